"""Which kinds of notification a user gets on which channel (`notify_preference`):
the page's table, grouped as `notify.kinds` groups the kinds, and saving it. A
mandatory kind is always on (shown checked and disabled); a choice equal to the kind's
default is stored too, so a later change of defaults does not flip what a user chose.
"""

from __future__ import annotations

from dataclasses import dataclass

from market import clock
from market.errors import ValidationFailed
from market.sql import execute, marks
from notify.kinds import CHANNELS, KINDS, Kind, enabled
from notify.tables import Preference


@dataclass(frozen=True, slots=True)
class Choice:
    kind: Kind
    on: dict[str, bool]  # channel → enabled

    def field(self, channel: str) -> str:
        return f"{self.kind.name}|{channel}"


@dataclass(frozen=True, slots=True)
class Group:
    label: str  # msgid
    choices: list[Choice]


async def _chosen(user_id: int) -> dict[tuple[str, str], bool]:
    rows = await Preference.select(Preference.kind, Preference.channel, Preference.enabled).where(
        Preference.user == user_id
    )
    return {(r["kind"], r["channel"]): bool(r["enabled"]) for r in rows}


async def table(user_id: int) -> list[Group]:
    """The user's choices, a section per group in the order of `notify.kinds`."""
    chosen = await _chosen(user_id)
    groups: dict[str, list[Choice]] = {}
    for kind in KINDS.values():
        on = {c: enabled(kind, c, chosen.get((kind.name, c))) for c in CHANNELS}
        groups.setdefault(kind.group, []).append(Choice(kind, on))
    return [Group(label, choices) for label, choices in groups.items()]


def parse(values: list[str]) -> set[tuple[str, str]]:
    """The ticked boxes ("kind|channel") as (kind, channel); anything else is refused."""
    ticked: set[tuple[str, str]] = set()
    for value in values:
        kind, _, channel = value.partition("|")
        if kind not in KINDS or channel not in CHANNELS:
            raise ValidationFailed.single("form", "This choice of notifications is not offered.")
        ticked.add((kind, channel))
    return ticked


async def save(user_id: int, ticked: set[tuple[str, str]]) -> None:
    """Store every optional kind × channel as ticked or not (mandatory kinds stay on),
    in one statement."""
    now = clock.now()
    values: list[object] = []
    for kind in KINDS.values():
        if not kind.mandatory:
            for channel in CHANNELS:
                values += [user_id, kind.name, channel, (kind.name, channel) in ticked, now]
    rows = ", ".join(["(" + marks(5) + ")"] * (len(values) // 5))
    await execute(
        'INSERT INTO notify_preference ("user", kind, channel, enabled, updated_at)'  # noqa: S608
        f' VALUES {rows} ON CONFLICT ("user", kind, channel)'
        " DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
        *values,
    )
