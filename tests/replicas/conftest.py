"""Fixtures of the replica tests: a throw-away PostgreSQL primary with a streaming hot
standby of it (`tests/crash/cluster.py`: initdb, then `pg_basebackup -R`), a migrated
database with a tender open for donations, and `market serve` reading public pages from
the standby (DATABASE_REPLICA_URLS). Marked `postgres_only` like tests/crash: they run
in the PostgreSQL pass of `make test`, skipped with the reason when the binaries are
missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.crash.cluster import Cluster, ClusterUnavailable, make_cluster, make_standby
from tests.crash.conftest import AppServer, run_cli, server_env
from tests.served import ROOT

DATABASE = "replica_reads"
MAX_LAG_MS = 1000  # the staleness bound the server is given


@dataclass(frozen=True)
class Pair:
    primary: Cluster
    standby: Cluster


async def sql(url: str, statement: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(statement))
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pair() -> Iterator[Pair]:
    try:
        primary = make_cluster()
    except ClusterUnavailable as exc:
        pytest.skip(f"no throw-away PostgreSQL cluster: {exc}")
    try:
        standby = make_standby(primary)
    except ClusterUnavailable as exc:
        primary.remove()
        pytest.skip(f"no standby: {exc}")
    yield Pair(primary, standby)
    standby.remove()
    primary.remove()


@pytest.fixture(scope="session")
def tender(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> int:
    """The database, created and migrated on the primary (the standby replays it), and a
    tender open for donations in it."""
    asyncio.run(sql(pair.primary.url(), f"CREATE DATABASE {DATABASE}"))
    env = server_env(pair.primary.url(DATABASE), "", tmp_path_factory.mktemp("replica"))
    run_cli(env, "migrate")
    done = subprocess.run(
        [sys.executable, "-m", "tests.replicas.prepare"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def replica_server(pair: Pair, tender: int, tmp_path: Path) -> Iterator[AppServer]:
    """`market serve` on the primary, reading public pages from the standby."""
    server = AppServer(pair.primary.url(DATABASE), "", tmp_path)
    server.env.update(
        DATABASE_REPLICA_URLS=pair.standby.url(DATABASE),
        MARKET_REPLICA_MAX_LAG_MS=str(MAX_LAG_MS),
        MARKET_WORKER_INLINE="0",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    os.makedirs(tmp_path / "metrics", exist_ok=True)
    server.start()
    yield server
    if server.alive():
        assert server.process is not None
        server.process.terminate()
        server.process.wait(timeout=60)
