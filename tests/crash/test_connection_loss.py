"""A transaction whose connection dies under it (the postmaster killed) raises an
error that `market.db.unavailable` recognises, leaves no transaction current in the
task, and the pool serves the same task again once PostgreSQL is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from market import db
from market.db import atomic, in_transaction, make_engine, unavailable
from market.sql import execute
from tests.crash.cluster import Cluster

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def on_the_cluster(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """market.db's engine is the throw-away cluster's for this test."""
    engine = make_engine(cluster.url())
    await engine.start_connection_pool(min_size=1, max_size=2)  # type: ignore[attr-defined]
    monkeypatch.setattr(db, "_engine", engine)
    yield
    await engine.close_connection_pool()  # type: ignore[attr-defined]


async def test_a_transaction_that_lost_its_connection_is_forgotten(
    cluster: Cluster, on_the_cluster: None
) -> None:
    try:
        with pytest.raises(Exception) as caught:
            async with atomic():
                await execute("SELECT 1")
                await asyncio.to_thread(cluster.kill)
                await execute("SELECT 1")
        assert unavailable(caught.value), repr(caught.value)
        assert not in_transaction()
        with pytest.raises(Exception) as down:
            async with atomic():
                await execute("SELECT 1")
        assert unavailable(down.value), repr(down.value)
    finally:
        await asyncio.to_thread(cluster.start)
    async with atomic():
        assert in_transaction()
        rows = await execute("SELECT 2 AS two")
    assert rows[0]["two"] == 2 and not in_transaction()
