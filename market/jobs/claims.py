"""Claiming a job so that no two workers run it at the same time.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) keyed by a stable
hash of the job name, held on a connection of its own for the whole run and released
after the run is recorded; if the worker dies, its session ends and the lock with it.
Any number of `market worker` processes on any number of machines may share one
database. (A session lock, not `pg_try_advisory_xact_lock`: the job runs its own short
transactions, and a transaction held open for the whole run would hold back the
statistics fold's settled horizon, which waits for the oldest open transaction.)

SQLite: one machine holds the database file, so a lock file per job under
`<var>/jobs/` (`flock`, released by the kernel when the process dies) keeps every
worker process on that machine — the `make run` server's inline worker, a
`market worker`, a cron `market worker --once` — from running the same job together.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

from market.db import abandon, engine, is_postgres
from market.jobs.schedule import lock_key
from market.settings import get_settings

log = logging.getLogger("market.jobs")


@contextlib.asynccontextmanager
async def claim(name: str) -> AsyncIterator[bool]:
    """Yields True when this worker now holds the job, False when another one does."""
    if is_postgres():
        async with _advisory_lock(lock_key(name)) as held:
            yield held
    else:
        with _lock_file(name) as held:
            yield held


@contextlib.asynccontextmanager
async def _advisory_lock(key: int) -> AsyncIterator[bool]:
    db: Any = engine()
    pool = db.pool
    connection = await (pool.acquire() if pool is not None else db.get_new_connection())
    try:
        held = bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", key))
        try:
            yield held
        finally:
            if held:
                await _unlock(connection, key)
    finally:
        if pool is not None:
            await pool.release(connection)
        else:
            await connection.close()


async def _unlock(connection: Any, key: int) -> None:
    try:
        await connection.execute("SELECT pg_advisory_unlock($1)", key)
    except Exception as exc:  # a broken session: closing it releases the lock
        log.warning("advisory unlock failed (%s); dropping the connection", exc)
        abandon(connection)


@contextlib.contextmanager
def _lock_file(name: str) -> Iterator[bool]:
    folder = get_settings().var_dir / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
