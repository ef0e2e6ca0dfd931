"""Marking a delivered e-mail sent: one commit per message, right after the server
accepted it, so a worker killed at any moment repeats at most the one message it
had in flight.

On PostgreSQL a delivery run marks through a connection of its own with
`synchronous_commit` off: each mark is one round trip that does not wait for the
disk. Every session sees it as soon as it returns — a worker killed afterwards
cannot resend that row — and only a crash of PostgreSQL itself may forget the last
moment's marks, whose messages are then sent once more, with the same Message-ID
(at least once holds; at most once more per message). Waiting for one disk flush
per message would bound delivery by the disk's flush rate. The setting is the
connection's only while the run holds it: the pool resets a connection it takes
back (`RESET ALL`). On SQLite the run keeps one connection for its marks. Inside an
open transaction (the test suite's), marks join it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from market import clock
from market.db import engine, holds_session_state, is_postgres
from market.sql import execute, numbered

Mark = Callable[[int], Awaitable[Any]]
MARK = "UPDATE market_outbox SET sent_at = {}, claim = '', last_error = '' WHERE id = {}"


@asynccontextmanager
async def _own_connection() -> AsyncIterator[Any]:
    db = engine()
    pool = getattr(db, "pool", None)
    if pool is not None:
        async with pool.acquire() as connection:
            holds_session_state(connection)  # its SET is reset when it goes back
            yield connection
        return
    connection = await db.get_new_connection()  # type: ignore[attr-defined]
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def marker() -> AsyncIterator[Mark]:
    """`mark(row_id)` for one delivery run."""
    if engine().current_transaction.get() is not None:

        async def mark(row_id: int) -> None:
            await execute(MARK, clock.now(), row_id)

        yield mark
    elif is_postgres():
        async with _own_connection() as connection:
            await connection.execute("SET synchronous_commit TO OFF")
            sql = numbered(MARK)

            async def mark_unflushed(row_id: int) -> None:
                await connection.execute(sql, clock.now(), row_id)

            yield mark_unflushed
    else:  # SQLite: one connection for the run, not one opened per statement
        connection = await engine().get_connection()
        sql = MARK.replace("{}", "?")
        try:

            async def mark_committed(row_id: int) -> None:
                await connection.execute(sql, (clock.now(), row_id))
                await connection.commit()

            yield mark_committed
        finally:
            await connection.close()
