"""Database engine construction and the one transaction helper services use.

`atomic()` opens a transaction, or a savepoint when one is already open, so a
failing service never leaves partial writes behind even inside an outer
transaction (Piccolo's own nested `transaction()` reuses the outer one without a
savepoint). On SQLite the transaction is IMMEDIATE: writers serialize up front
instead of failing on lock upgrade.

`unavailable(exc)` tells a database that cannot be reached (down, restarting, failing
over, the connection lost mid-request, out of connections, SQLite locked past its
timeout) from a bug: the web layer answers the first with 503 and `Retry-After`
(`market.web.errors`). The asyncpg pool recovers by itself: a connection that broke is
closed and its slot returned, and the next `acquire` connects afresh (through HAProxy,
to whichever node is primary now). One case needs help: when BEGIN, COMMIT or ROLLBACK
itself fails, Piccolo neither returns the connection to the pool nor forgets the
transaction; `atomic()` then aborts the connection (the server rolls back what was
open, and asyncpg returns the slot) and forgets the transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlparse

from asyncpg import exceptions as pg_errors
from asyncpg.pool import PoolConnectionProxy
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

log = logging.getLogger("market.db")


# The replica the current request may read from (`market.replicas` sets it for the
# anonymous reads of public pages); None: the primary.
read_node: ContextVar[PostgresEngine | None] = ContextVar("read_node", default=None)


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


def _replica_refused(exc: BaseException) -> bool:
    """The replica cannot answer this query, the primary can: it is down or restarting,
    read-only (a write went its way), or cancelled the query for replaying the WAL."""
    return unavailable(exc) or isinstance(
        exc, pg_errors.ReadOnlySQLTransactionError | pg_errors.SerializationError
    )


class RoutedPostgresEngine(PostgresEngine):
    """The primary's engine, whose pooled statements outside a transaction go to the
    request's replica (`read_node`) when they only read (a SELECT): a query the replica
    refuses runs on the primary, and so does the rest of the request. Transactions
    always run on the primary. The replicas are also Piccolo `extra_nodes`
    (`replica0`, `replica1`, …), for a query that names its node."""

    async def _run_in_pool(self, query: str, args: Any = None) -> Any:
        replica = read_node.get()
        if replica is not None and replica.pool is not None and _is_read(query):
            try:
                return await replica._run_in_pool(query, args)
            except Exception as exc:
                if not _replica_refused(exc):
                    raise
                log.warning("replica refused a read (%s): on the primary", type(exc).__name__)
                read_node.set(None)
        if self.pool is None:
            return await super()._run_in_pool(query, args)
        async with self.pool.acquire() as connection:
            _mark_clean(connection)  # one statement: no session state (see reset_session)
            return await connection.fetch(query, *(args or []))


def _dsn(url: str) -> dict[str, str]:
    return {"dsn": url.replace("postgres://", "postgresql://", 1)}


def make_engine(url: str, replicas: tuple[str, ...] = ()) -> Engine[Any]:
    """`sqlite:///path` or `postgresql://user@host:port/db` → a Piccolo engine; read
    replicas (PostgreSQL only) become its `extra_nodes`."""
    if url.startswith("sqlite:///"):
        path = unquote(url[len("sqlite:///") :])
        return SQLiteEngine(path=path, timeout=30)
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        nodes = {f"replica{i}": PostgresEngine(config=_dsn(u)) for i, u in enumerate(replicas)}
        return RoutedPostgresEngine(config=_dsn(url), extra_nodes=nodes)
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


# What to do once the transaction `atomic()` opened commits (metrics, mostly): a list
# per open transaction or savepoint; a savepoint's joins its parent's when released and
# is dropped when rolled back.
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "after_commit", default=None
)


def on_commit(action: Callable[[], None]) -> None:
    """Run `action` when the current `atomic()` transaction commits (never if it rolls
    back); at once outside one (or inside a transaction `atomic()` did not open)."""
    pending = _after_commit.get()
    if pending is None:
        action()
    else:
        pending.append(action)


def _run_after_commit(actions: list[Callable[[], None]]) -> None:
    for action in actions:
        try:
            action()
        except Exception:  # a metric must never turn a commit into an error
            log.exception("after-commit action failed")


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
    ends with the writes `before_commit` registered in it; what `on_commit` registered
    runs once the outermost transaction has committed."""
    db = engine()
    current = db.current_transaction.get()
    outer = _after_commit.get()
    mine: list[Callable[[], None]] = []
    token = _after_commit.set(mine)
    writes = _AT_COMMIT.set([])
    transaction: Any = None
    committed = False
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
        else:
            if isinstance(db, SQLiteEngine):
                transaction = db.transaction(transaction_type=TransactionType.immediate)
            else:
                transaction = db.transaction()
            async with transaction as tx:
                if isinstance(db, PostgresEngine):
                    _mark_clean(getattr(tx, "connection", None))
                yield tx
                await _run_at_commit()
        committed = True
    finally:
        _AT_COMMIT.reset(writes)
        _after_commit.reset(token)
        if current is None:
            # When BEGIN, COMMIT or ROLLBACK itself failed (the connection died, or its
            # protocol broke under a dying server), Piccolo keeps the connection out of
            # the pool and its transaction current: abort the one, forget the other.
            if isinstance(db, PostgresEngine) and transaction is not None:
                abandon(getattr(transaction, "connection", None))
            if db.current_transaction.get() is not None:
                db.current_transaction.set(None)
    if committed:
        if current is not None and outer is not None:
            outer.extend(mine)  # a released savepoint's actions wait for the commit
        else:  # committed, or a savepoint in a transaction atomic() did not open (tests)
            _run_after_commit(mine)


def abandon(connection: Any) -> None:
    """Abort `connection` unless it is closed or back in the pool already: the server
    rolls back whatever it had open, and asyncpg gives its pool slot back (a pooled
    connection that closes releases itself)."""
    if connection is None:
        return
    if isinstance(connection, PoolConnectionProxy):
        if connection._con is None:  # released (or closed, which released it)
            return
    elif connection.is_closed():
        return
    connection.terminate()


async def _run_at_commit() -> None:
    pending = _AT_COMMIT.get() or []
    while pending:
        await pending.pop(0)()


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


POOL_SIZE = 20  # connections per process to the primary (and to each replica)

# Pooled connections last borrowed by a transaction `atomic()` opened (see `reset_session`).
_CLEAN: weakref.WeakSet[Any] = weakref.WeakSet()


def _mark_clean(connection: Any) -> None:
    raw = connection._con if isinstance(connection, PoolConnectionProxy) else None
    if raw is not None:
        _CLEAN.add(raw)


async def reset_session(connection: Any) -> None:
    """The pool's reset of a connection it takes back. asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` on every
    release: one more round trip per transaction or pooled statement, and a costly one
    (RESET ALL walks every setting; benchmarks/ledger_pgbench.py measures both). It is
    skipped for a connection whose borrower was a transaction `atomic()` opened or one
    statement run outside a transaction (Piccolo's pooled queries, `market.sql.execute`):
    neither changes session state — no `SET` without LOCAL, no session advisory lock,
    no LISTEN, no cursor kept past the commit (`tests/services/test_pool_session.py`
    scans the code for them) — and a transaction's end undid what it set for itself
    (asyncpg rolls back one left open before this runs). A connection borrowed any
    other way — a job's advisory claim, the outbox's `synchronous_commit` session — gets
    the full reset."""
    if connection in _CLEAN:
        _CLEAN.discard(connection)
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


def pool_options() -> dict[str, Any]:
    """The asyncpg pool arguments every pool to the primary uses (benchmarks too)."""
    return {"reset": reset_session}


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=POOL_SIZE, **pool_options())


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
        for node in db.extra_nodes.values():
            if node.pool is not None:
                await node.close_connection_pool()


def pools() -> dict[str, Any]:
    """Each open asyncpg pool by node name (`primary`, `replica0`, …), for metrics."""
    db = engine()
    if not isinstance(db, PostgresEngine):
        return {}
    found = {"primary": db.pool} if db.pool is not None else {}
    found.update({name: n.pool for name, n in db.extra_nodes.items() if n.pool is not None})
    return found


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
    # 25006: the address led to a standby — a failover or switchover is under way (the
    # proxy cuts such sessions; a fresh connection finds the new primary).
    pg_errors.ReadOnlySQLTransactionError,
)
_INTERFACE_CLOSED = (
    "connection is closed",
    "connection was closed",
    "connection has been released",
)
# asyncpg's protocol state broken by a server that died mid-exchange ("cannot switch to
# state …; another operation is in progress" / "… in the failed state"): raised before
# the command is sent, so nothing was committed; `atomic()` aborts the connection.
_PROTOCOL_BROKEN = "cannot switch to state"
_SQLITE_BUSY = ("database is locked", "unable to open database file", "disk i/o error")


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, pg_errors.ProtocolViolationError):  # 08P01: a bug, not an outage
        return False
    if isinstance(exc, _UNREACHABLE):
        return True
    if isinstance(exc, pg_errors.InterfaceError):
        return any(text in str(exc) for text in _INTERFACE_CLOSED)
    if isinstance(exc, pg_errors.InternalClientError):
        return str(exc).startswith(_PROTOCOL_BROKEN)
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
