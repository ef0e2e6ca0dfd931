"""Database engine construction and the one transaction helper services use.

`atomic()` opens a transaction, or a savepoint when one is already open, so a
failing service never leaves partial writes behind even inside an outer
transaction (Piccolo's own nested `transaction()` reuses the outer one without a
savepoint). On SQLite the transaction is IMMEDIATE: writers serialize up front
instead of failing on lock upgrade.

`unavailable(exc)` tells a database that cannot be reached (down, restarting, the
connection lost mid-request, out of connections, SQLite locked past its timeout) from
a bug: the web layer answers the first with 503 and `Retry-After`
(`market.web.errors`). The asyncpg pool needs no help to recover: a connection that
broke is closed and its slot returned, and the next `acquire` connects afresh.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlparse

from asyncpg import exceptions as pg_errors
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def make_engine(url: str) -> Engine[Any]:
    """`sqlite:///path` or `postgresql://user@host:port/db` → a Piccolo engine."""
    if url.startswith("sqlite:///"):
        path = unquote(url[len("sqlite:///") :])
        return SQLiteEngine(path=path, timeout=30)
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


_engine: Engine[Any] | None = None


def engine() -> Engine[Any]:
    """The configured engine, looked up once (engine_finder costs ~0.1 ms a call)."""
    global _engine
    if _engine is None:
        found = engine_finder()
        if found is None:
            raise RuntimeError("No Piccolo engine configured (piccolo_conf.DB)")
        _engine = found
    return _engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


# What the open transaction runs last, just before its COMMIT (see `before_commit`).
_AT_COMMIT: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar(
    "at_commit", default=None
)


async def before_commit(write: Callable[[], Awaitable[None]]) -> None:
    """Run `write` at the end of the innermost open `atomic()` block, after everything
    else in it (writes registered so run in the order they were registered) — for the
    outermost block, right before its COMMIT; with no `atomic()` block open, now.

    For the writes to rows every writer wants — a campaign's escrow account, a hot
    pledge, a process's funding mark: a row lock taken there is held only for those last
    statements and the commit, not for the rest of the transaction. The block's caller
    sees them done when the block ends; a write that raises rolls the block back."""
    pending = _AT_COMMIT.get()
    if pending is None:
        await write()
    else:
        pending.append(write)


@asynccontextmanager
async def atomic() -> AsyncIterator[Any]:
    """All-or-nothing: a new transaction, or a savepoint inside an open one. The block
    ends with the writes `before_commit` registered in it."""
    db = engine()
    current = db.current_transaction.get()
    token = _AT_COMMIT.set([])
    try:
        if current is not None:
            savepoint = await current.savepoint()
            try:
                yield current
                await _run_at_commit()
            except BaseException:
                await savepoint.rollback_to()
                raise
            await savepoint.release()
            return
        if isinstance(db, SQLiteEngine):
            transaction = db.transaction(transaction_type=TransactionType.immediate)
        else:
            transaction = db.transaction()
        async with transaction as tx:
            yield tx
            await _run_at_commit()
    finally:
        _AT_COMMIT.reset(token)
        # Piccolo leaves its transaction current when the rollback itself fails (the
        # connection died); this task must not keep running queries on it.
        if current is None and db.current_transaction.get() is not None:
            db.current_transaction.set(None)


async def _run_at_commit() -> None:
    pending = _AT_COMMIT.get() or []
    while pending:
        await pending.pop(0)()


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


# Pooled connections whose session holds state a later borrower must not inherit (a
# job's session advisory lock, `market.jobs.claims`): only these get asyncpg's full
# reset query when released.
_SESSION_STATE: weakref.WeakSet[Any] = weakref.WeakSet()


def holds_session_state(connection: Any) -> None:
    """Mark a pooled connection (as `pool.acquire()` gave it) for the full reset."""
    _SESSION_STATE.add(getattr(connection, "_con", connection))


async def _reset(connection: Any) -> None:
    """asyncpg's reset on release, without its reset query (pg_advisory_unlock_all,
    CLOSE ALL, UNLISTEN *, RESET ALL: one more round trip per transaction) unless the
    session was marked: asyncpg still rolls back an open transaction first (`_reset`),
    prepared statements are meant to stay, and the app opens no cursor outside a
    transaction and listens to nothing on pooled connections. What changes its session
    marks it: a job's advisory claim, the outbox's `SET synchronous_commit` (tests:
    tests/services/test_pool_session.py)."""
    if connection in _SESSION_STATE:
        _SESSION_STATE.discard(connection)
        await connection.reset()


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=20, reset=_reset)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


# Connection-level failures: the server is down, restarting, refusing or out of
# connections, or the connection died under the request (asyncpg raises OSError
# subclasses such as ConnectionRefusedError from `connect`).
_UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    pg_errors.PostgresConnectionError,  # 08xxx: does not exist, failure, rejected
    pg_errors.AdminShutdownError,  # 57P01
    pg_errors.CrashShutdownError,  # 57P02
    pg_errors.CannotConnectNowError,  # 57P03: starting up, in recovery
    pg_errors.TooManyConnectionsError,  # 53300
)
_INTERFACE_CLOSED = (
    "connection is closed",
    "connection was closed",
    "connection has been released",
)
_SQLITE_BUSY = ("database is locked", "unable to open database file", "disk i/o error")


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, pg_errors.ProtocolViolationError):  # 08P01: a bug, not an outage
        return False
    if isinstance(exc, _UNREACHABLE):
        return True
    if isinstance(exc, pg_errors.InterfaceError):
        return any(text in str(exc) for text in _INTERFACE_CLOSED)
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in _SQLITE_BUSY)
    return False


def unavailable(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from or while handling, says the
    database cannot be reached right now (so retrying later may succeed)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _unreachable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
