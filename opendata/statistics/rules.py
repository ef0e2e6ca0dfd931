"""Pure aggregation rules for the district statistics and the organization track
record: district years, per-10,000-residents rates, dense year series, milestone
punctuality and cursors. No Piccolo or Litestar imports.

Years are the district's calendar years (Asia/Shanghai by default), not UTC years:
a donation at 2026-12-31 20:00 UTC is a 2027 donation in the district. The read
models bucket timestamps in SQL with a `CASE` over the instants where each local
year starts (`year_starts`), which is exact for any zone on both engines;
`year_of` states the same rule in Python so it can be tested against `astimezone`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from market import cursor, inputs

DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")
MAX_PAGE = 100
MAX_ID = inputs.MAX_ID  # ids are 32-bit serials


# A paging cursor or page size that is not one we accept (400; CursorInvalid is one).
BadPageQuery = inputs.InputInvalid


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value


def local_year(instant: datetime, zone: tzinfo = DISTRICT_ZONE) -> int:
    return _aware(instant).astimezone(zone).year


def year_starts(
    first: datetime, last: datetime, zone: tzinfo = DISTRICT_ZONE
) -> list[tuple[int, datetime]]:
    """(year, the UTC instant its local 1 January 00:00 falls on) for every district
    year from `first`'s to `last`'s, oldest first."""
    start_year, end_year = local_year(first, zone), local_year(last, zone)
    if end_year < start_year:
        raise ValueError("last must not be before first")
    return [
        (year, datetime(year, 1, 1, tzinfo=zone).astimezone(UTC))
        for year in range(start_year, end_year + 1)
    ]


def year_of(instant: datetime, starts: Sequence[tuple[int, datetime]]) -> int:
    """The year whose start is the latest at or before `instant` (the SQL CASE rule)."""
    if not starts:
        raise ValueError("no years to choose from")
    index = bisect_right([at for _, at in starts], _aware(instant)) - 1
    if index < 0:
        raise ValueError("instant is before the first year")
    return starts[index][0]


def per_10k(count: int, population: int) -> Decimal | None:
    """Organizations per 10,000 residents, to two places (None without a population)."""
    if population <= 0:
        return None
    return (Decimal(count) * 10_000 / Decimal(population)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True, slots=True)
class YearGrowth:
    year: int
    new: int
    total: int  # running total at the end of the year


def growth(counts: Iterable[tuple[int, int]]) -> list[YearGrowth]:
    """New per year → a dense series (missing years are 0) with running totals."""
    by_year: dict[int, int] = {}
    for year, count in counts:
        by_year[year] = by_year.get(year, 0) + count
    if not by_year:
        return []
    out: list[YearGrowth] = []
    total = 0
    for year in range(min(by_year), max(by_year) + 1):
        total += by_year.get(year, 0)
        out.append(YearGrowth(year, by_year.get(year, 0), total))
    return out


def year_grid(
    rows: Iterable[tuple[int, str, int]], keys: Sequence[str]
) -> dict[int, dict[str, int]]:
    """(year, key, amount) rows → {year: {key: amount}} with every year between the
    first and the last and every key present (0 where nothing happened)."""
    grid: dict[int, dict[str, int]] = {}
    for year, key, amount in rows:
        if key not in keys:
            raise ValueError(f"unknown key {key!r}")
        cell = grid.setdefault(year, dict.fromkeys(keys, 0))
        cell[key] += amount
    if not grid:
        return {}
    return {
        year: grid.get(year, dict.fromkeys(keys, 0)) for year in range(min(grid), max(grid) + 1)
    }


def ordered_counts(counts: dict[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    """Every code of `order` (0 when absent), then any unknown codes, largest first."""
    known = [(code, counts.get(code, 0)) for code in order]
    others = sorted(
        ((code, n) for code, n in counts.items() if code not in order), key=lambda c: (-c[1], c[0])
    )
    return known + others


# --- milestones ---------------------------------------------------------------------

OPEN_MILESTONE = ("scheduled", "submitted", "rejected")


def met_on_time(due: date, approved_at: datetime, zone: tzinfo = DISTRICT_ZONE) -> bool:
    """Approved on or before its due date, as the district's calendar reads the time."""
    return _aware(approved_at).astimezone(zone).date() <= due


@dataclass(frozen=True, slots=True)
class MilestoneTally:
    total: int = 0
    approved: int = 0
    on_time: int = 0
    late: int = 0
    not_met: int = 0
    open: int = 0
    overdue: int = 0  # open and past due

    @property
    def decided(self) -> int:
        return self.approved + self.not_met

    @property
    def on_time_percent(self) -> int | None:
        """Share of decided milestones met on time, rounded down (None: none decided)."""
        return None if self.decided == 0 else self.on_time * 100 // self.decided


def tally_milestones(
    rows: Iterable[tuple[str, date, datetime | None]],
    now: datetime,
    zone: tzinfo = DISTRICT_ZONE,
) -> MilestoneTally:
    """(status, due, decided_at) per milestone → counts. An approved milestone without
    a decision time (impossible through the services) counts as late, never on time."""
    today = _aware(now).astimezone(zone).date()
    counts = {"total": 0, "approved": 0, "on_time": 0, "late": 0, "not_met": 0, "open": 0}
    overdue = 0
    for status, due, decided_at in rows:
        counts["total"] += 1
        if status == "approved":
            counts["approved"] += 1
            if decided_at is not None and met_on_time(due, decided_at, zone):
                counts["on_time"] += 1
            else:
                counts["late"] += 1
        elif status == "not_met":
            counts["not_met"] += 1
        elif status in OPEN_MILESTONE:
            counts["open"] += 1
            if due < today:
                overdue += 1
        else:
            raise ValueError(f"unknown milestone status {status!r}")
    return MilestoneTally(**counts, overdue=overdue)


# --- paging -------------------------------------------------------------------------


def parse_before(raw: str | None) -> int | None:
    """The `before` cursor of a keyset page: empty, or a positive id we handed out."""
    return cursor.decode_id(raw, field="before", maximum=MAX_ID)


def parse_limit(raw: str | None, default: int = 20) -> int:
    return inputs.parse_limit(raw, default=default, maximum=MAX_PAGE)
