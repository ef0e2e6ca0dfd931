# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What escrow's multi-transfer operations (release, return-all) share, moved out of
`escrow` unchanged: their idempotency record in `ledger_operation` (replay an identical
operation, refuse the same key with another body), the cancellation destinations and
the open holds to void."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from market.audit import canonical_json
from market.ledger.rules import SOURCES, IdempotencyConflict, InvalidTransfer
from market.ledger.services import TransferResult, get_transfer
from market.sql import execute, marks

# Where a source's remainder goes on cancellation: one account, or several with
# weights (e.g. each donor's donated amount) split by largest remainder.
Destination = str | Sequence[tuple[str, int]]


async def replay_operation(key: str, kind: str, body: str) -> list[TransferResult] | None:
    """Under the tender's locks: the stored result of an earlier identical operation."""
    rows = await execute("SELECT kind, body, result FROM ledger_operation WHERE key = {}", key)
    if not rows:
        return None
    if rows[0]["kind"] != kind or rows[0]["body"] != body:
        raise IdempotencyConflict(
            f"operation {key!r} exists with a different body; nothing written"
        )
    return [await get_transfer(k) for k in json.loads(rows[0]["result"])]


async def record_operation(
    key: str, kind: str, body: str, results: Sequence[TransferResult]
) -> None:
    from market import clock

    await execute(
        "INSERT INTO ledger_operation (key, kind, body, result, created_at)"
        " VALUES ({}, {}, {}, {}, {})",
        key,
        kind,
        body,
        canonical_json([r.key for r in results]),
        clock.now(),
    )


def normalise_destinations(
    destinations: Mapping[str, Destination],
) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for source, dest in destinations.items():
        if source not in SOURCES:
            raise InvalidTransfer(f"unknown funding source {source!r}")
        parts = [(dest, 1)] if isinstance(dest, str) else [(c, w) for c, w in dest]
        if not parts or any(type(w) is not int or w < 0 for _, w in parts):
            raise InvalidTransfer(f"destinations for {source} need non-negative integer weights")
        out[source] = parts
    return out


async def open_pendings(account_ids: Sequence[int]) -> list[str]:
    """Unresolved pending transfers into or out of these accounts, oldest first."""
    m = marks(len(account_ids))
    rows = await execute(
        "SELECT t.key FROM ledger_transfer t WHERE t.kind = 'pending'"
        f" AND (t.debit_account IN ({m}) OR t.credit_account IN ({m}))"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.pending = t.id)"
        " ORDER BY t.id",
        *account_ids,
        *account_ids,
    )
    return [row["key"] for row in rows]
