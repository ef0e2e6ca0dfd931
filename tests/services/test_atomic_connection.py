"""When BEGIN, COMMIT or ROLLBACK itself fails, `atomic()` aborts the connection and
forgets the transaction: the pool does not lose a slot per failure (Piccolo keeps the
connection out of the pool when its own commit or rollback raises), and the next
transaction runs. A failover produces such failures (`deploy/failover.py`); a deferred
constraint that fails at COMMIT produces one here, on the shared PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asyncpg import exceptions as pg_errors

from market import db
from market.db import abandon, atomic, in_transaction, make_engine
from market.sql import execute

pytestmark = pytest.mark.postgres_only

DEFERRED = (
    "CREATE TEMP TABLE deferred_once (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)"
    " ON COMMIT DROP"
)


@pytest.fixture
async def two_connections(fresh_db: None, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """market.db's engine has a pool of two connections for this test."""
    engine: Any = make_engine(os.environ["DATABASE_URL"])
    await engine.start_connection_pool(min_size=1, max_size=2)
    monkeypatch.setattr(db, "_engine", engine)
    yield engine
    await engine.close_connection_pool()


async def test_failed_commits_give_their_connections_back(two_connections: Any) -> None:
    async with asyncio.timeout(60):  # a leaking pool would wait for a slot for ever
        for _ in range(3):  # more failures than the pool has connections
            with pytest.raises(pg_errors.UniqueViolationError):
                async with atomic():
                    await execute(DEFERRED)
                    await execute("INSERT INTO deferred_once VALUES (1), (1)")
            assert not in_transaction()
        async with atomic():
            rows = await execute("SELECT 2 AS two")
    assert rows[0]["two"] == 2
    assert two_connections.pool.get_size() >= 1


async def test_abandoning_a_released_or_closed_connection_does_nothing(
    two_connections: Any,
) -> None:
    pool = two_connections.pool
    connection = await pool.acquire()
    await pool.release(connection)
    abandon(connection)  # released: nothing to abort
    abandon(None)
    held = await pool.acquire()
    abandon(held)  # still held: aborted, and its slot is back in the pool
    abandon(held)
    async with asyncio.timeout(30):
        first, second = await pool.acquire(), await pool.acquire()
    await pool.release(first)
    await pool.release(second)
