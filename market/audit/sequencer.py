# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The sequencer: gives queued audit rows their place in the chain, batch by batch.

Like a Trillian log's sequencer (RFC 6962 logs promise to merge an entry within their
maximum merge delay), it takes the committed rows that have no seq yet, in id order,
up to `BATCH` at a time, chains them after the head (`market.audit.rules.sequence`)
and moves the head, in one short transaction that locks the head row: two sequencers
running at once (the `audit.sequence` job's claim normally prevents it) take turns,
and the second finds the first's rows already chained. A row whose transaction has
not committed yet is invisible here; it joins a later batch, so the chain's order is
the order in which the sequencer saw the rows, and `at` (the append time) may step
back by a few milliseconds from one row to the next.
"""

from __future__ import annotations

from market.audit.rules import GENESIS, Link, Queued, sequence
from market.db import atomic, is_postgres
from market.sql import execute, for_update, marks
from market.timestamps import timestamp

BATCH = 1000  # rows per transaction: a burst is chained in a few short transactions


async def _lock_head() -> tuple[int, str]:
    sql = "SELECT seq, hash FROM audit_head WHERE id = 1" + for_update()
    rows = await execute(sql)
    if not rows:
        await execute(
            "INSERT INTO audit_head (id, seq, hash, prev_hash) VALUES (1, 0, {}, {})"
            " ON CONFLICT (id) DO NOTHING",
            GENESIS,
            GENESIS,
        )
        rows = await execute(sql)
    return int(rows[0]["seq"]), str(rows[0]["hash"])


async def _queued(limit: int) -> list[Queued]:
    rows = await execute(
        "SELECT id, at, actor, action, object_type, object_id, change FROM audit_event"
        " WHERE seq IS NULL ORDER BY id LIMIT {}",
        limit,
    )
    return [
        Queued(
            int(r["id"]),
            timestamp(r["at"]),
            str(r["actor"]),
            str(r["action"]),
            str(r["object_type"]),
            str(r["object_id"]),
            str(r["change"]),
        )
        for r in rows
    ]


async def _write(links: list[Link]) -> None:
    if is_postgres():
        await execute(
            "UPDATE audit_event AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
            " FROM unnest({}::bigint[], {}::bigint[], {}::text[], {}::text[])"
            " AS v(id, seq, prev_hash, hash) WHERE e.id = v.id",
            [link.id for link in links],
            [link.seq for link in links],
            [link.prev_hash for link in links],
            [link.hash for link in links],
        )
    else:
        values = ", ".join(["(" + marks(4) + ")"] * len(links))
        await execute(
            "WITH v(id, seq, prev_hash, hash) AS (VALUES " + values + ")"
            " UPDATE audit_event SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
            " FROM v WHERE audit_event.id = v.id",
            *[value for link in links for value in (link.id, link.seq, link.prev_hash, link.hash)],
        )
    last = links[-1]
    await execute(
        "UPDATE audit_head SET seq = {}, hash = {}, prev_hash = {} WHERE id = 1",
        last.seq,
        last.hash,
        last.prev_hash,
    )


async def sequence_batch(limit: int = BATCH) -> int:
    """Chain up to `limit` queued rows (oldest ids first); how many were chained."""
    if not await execute("SELECT id FROM audit_event WHERE seq IS NULL LIMIT 1"):
        return 0  # the common idle case takes no lock and opens no write transaction
    async with atomic():
        head_seq, head_hash = await _lock_head()
        links = sequence(head_seq, head_hash, await _queued(limit))
        if links:
            await _write(links)
        return len(links)


async def sequence_queued() -> int:
    """Chain every row committed before the call (batch after batch)."""
    total = 0
    while True:
        done = await sequence_batch()
        total += done
        if done < BATCH:
            return total
