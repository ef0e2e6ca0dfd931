"""Write notifications to the outbox, inside the caller's transaction.

`notify_users` tells signed-up users: for each, the channels their preferences (or the
kind's defaults) allow, in their language. `notify_address` tells someone known only by
an e-mail address (a guest donor): e-mail only, in the language they used. Each message
is keyed by (event, recipient, channel), so calling either twice for one event writes
nothing the second time. `event` names the occurrence, stable across retries — e.g.
"tender.publish:42" or "milestone.due:7:2026-12-01".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from market.audit import batch_memo, shared_in_batch
from market.db import before_commit
from market.directory import contacts
from market.outbox import Outgoing, enqueue, message_key
from market.sql import execute, ids_in
from market.web.i18n import DEFAULT, LANGUAGES
from notify.kinds import CHANNELS, KINDS, enabled
from notify.unsubscribe import suppressed


def _lang(code: str) -> str:
    return code if code in LANGUAGES else DEFAULT


async def _choices(kind: str, user_ids: list[int]) -> dict[tuple[int, str], bool]:
    found: dict[tuple[int, str], bool] = {}
    for test, args in ids_in(user_ids):
        rows = await execute(
            'SELECT "user" AS uid, channel, enabled FROM notify_preference'  # noqa: S608
            f' WHERE kind = {{}} AND "user" {test}',
            kind,
            *args,
        )
        found.update({(int(r["uid"]), r["channel"]): bool(r["enabled"]) for r in rows})
    return found


async def notify_users(
    event: str, kind: str, user_ids: Iterable[int], params: Mapping[str, Any], link: str
) -> int:
    """Tell users about `event`; returns how many messages were written."""
    spec = KINDS[kind]
    wanted = tuple(sorted(set(user_ids)))
    # A batch of events (`market.audit.shared_in_batch`) reads its recipients once.
    reach = await shared_in_batch(("notify.contacts", wanted), lambda: contacts(wanted))
    if not reach:
        return 0
    choices = await shared_in_batch(
        ("notify.choices", kind, wanted), lambda: _choices(kind, sorted(reach))
    )
    messages: list[Outgoing] = []
    for uid, (address, locale) in sorted(reach.items()):
        for channel in CHANNELS:
            if not enabled(spec, channel, choices.get((uid, channel))):
                continue
            messages.append(
                Outgoing(
                    key=message_key(event, f"user:{uid}", channel),
                    channel=channel,
                    kind=kind,
                    recipient=address if channel == "email" else "",
                    user_id=uid,
                    lang=_lang(locale),
                    params=params,
                    link=link,
                )
            )
    return await _enqueue(messages)


async def notify_address(
    event: str, kind: str, address: str, lang: str, params: Mapping[str, Any], link: str
) -> int:
    """E-mail someone known only by address (no account, so no inbox and no
    preferences): nothing when the address unsubscribed from `kind` (a mandatory kind
    cannot be unsubscribed from)."""
    if kind not in KINDS:
        raise KeyError(kind)
    if not KINDS[kind].mandatory and await suppressed(address, kind):
        return 0
    message = Outgoing(
        key=message_key(event, address.lower(), "email"),
        channel="email",
        kind=kind,
        recipient=address,
        user_id=None,
        lang=_lang(lang),
        params=params,
        link=link,
    )
    return await _enqueue([message])


async def _enqueue(messages: list[Outgoing]) -> int:
    """`enqueue` — or, while the hooks of a batch of events run
    (`market.audit.append_all_with`), one `enqueue` of the whole batch's messages right
    before its transaction commits; then the messages queued are counted (a key written
    before is skipped at the write, as always)."""
    batch = batch_memo()
    if batch is None or not messages:
        return await enqueue(messages)
    pending = batch.get("notify.outbox")
    if pending is None:
        pending = batch["notify.outbox"] = []
        await before_commit(lambda: _flush(pending))
    pending.extend(messages)
    return len(messages)


async def _flush(messages: list[Outgoing]) -> None:
    await enqueue(messages)
