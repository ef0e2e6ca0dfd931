"""No later borrower of a pooled connection inherits a session setting or lock: a job's
advisory claim and the outbox's `SET synchronous_commit TO OFF` are undone by asyncpg's
reset when the connection goes back (a pool that skipped that reset to save a round trip
let donations commit unflushed)."""

from __future__ import annotations

from typing import Any

import pytest

from market.db import engine
from market.jobs.claims import claim
from market.outbox.marking import marker


async def _every_pooled_session(sql: str) -> list[Any]:
    """`sql` on every connection the pool holds (all borrowed at once)."""
    pool: Any = engine().pool  # type: ignore[attr-defined]
    held = [await pool.acquire(timeout=10) for _ in range(pool.get_max_size())]
    try:
        return [await c.fetchval(sql) for c in held]
    finally:
        for c in held:
            await pool.release(c)


@pytest.mark.postgres_only
async def test_the_outbox_marks_unflushed_commits_on_its_own_session_only(
    fresh_db: None,
) -> None:
    async with marker() as mark:
        assert mark is not None  # the run's own connection: synchronous_commit off
    assert set(await _every_pooled_session("SHOW synchronous_commit")) == {"on"}


@pytest.mark.postgres_only
async def test_a_jobs_advisory_claim_is_not_left_on_a_pooled_session(fresh_db: None) -> None:
    async with claim("pool-session-test") as held:
        assert held
    locks = await _every_pooled_session(
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    assert set(locks) == {0}
