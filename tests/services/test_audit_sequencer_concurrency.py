"""PostgreSQL, real separate connections: appenders never wait for one another on the
chain, and the sequencer chains what they commit while they go on.

Eight tasks append for real (each transaction on its own pooled connection, one or two
rows, every fifth transaction rolled back after appending) while the worker's
`audit.sequence` job runs its session and a second, unclaimed sequencer races it batch
by batch. Afterwards the chain is contiguous and verifies, every committed row is in it
exactly once, and no rolled-back row is anywhere.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from market import jobs
from market.audit import append_audit, queued_count, sequence_batch, verify_chain
from market.db import atomic
from market.jobs.runner import Outcome, run_job
from market.sql import execute

pytestmark = pytest.mark.postgres_only

WRITERS, TRANSACTIONS = 8, 25


class RolledBack(Exception):
    pass


async def writer(w: int, committed: list[int], rolled_back: list[int]) -> None:
    for t in range(TRANSACTIONS):
        ids: list[int] = []
        try:
            async with atomic():
                for part in range(1 + t % 2):
                    record = await append_audit(
                        f"user:{w}", "escrow.release", "tender", w, {"t": t, "part": part}
                    )
                    ids.append(record.id)
                if t % 5 == 4:
                    raise RolledBack
        except RolledBack:
            rolled_back.extend(ids)
        else:
            committed.extend(ids)
        await asyncio.sleep(0)


async def drained() -> None:
    """Until the sequencer has chained everything committed (bounded: 30 s)."""
    for _ in range(300):
        if (await queued_count())[0] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("rows still queued after 30 s")


async def test_concurrent_appenders_and_sequencers_build_one_contiguous_chain(
    fresh_db: None,
) -> None:
    job = jobs.get_job("audit.sequence")
    assert job is not None and job.repeat is not None
    stop = asyncio.Event()
    rogue_chained = 0

    async def rogue_sequencer() -> None:
        nonlocal rogue_chained
        while not stop.is_set():
            rogue_chained += await sequence_batch(limit=7)
            await asyncio.sleep(0.01)

    session: asyncio.Task[Outcome] = asyncio.create_task(
        run_job(job, worker="test:1", force=True, stop=stop)
    )
    rogue = asyncio.create_task(rogue_sequencer())
    committed: list[int] = []
    rolled_back: list[int] = []
    await asyncio.gather(*(writer(w, committed, rolled_back) for w in range(WRITERS)))
    await drained()
    stop.set()
    outcome, _ = await asyncio.gather(session, rogue)

    assert outcome.status == "ok", outcome
    assert outcome.counts["chained"] + rogue_chained == len(committed)  # each row once
    assert outcome.counts["chained"] > 0 and rogue_chained > 0  # both really sequenced
    rows = await execute("SELECT id, seq FROM audit_event ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, len(committed) + 1))
    assert Counter(r["id"] for r in rows) == Counter(committed)
    assert not set(rolled_back) & {r["id"] for r in rows} and rolled_back
    status = await verify_chain()
    assert status.ok and status.length == len(committed) and status.queued == 0, status.summary()
