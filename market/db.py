"""Database engine construction and the one transaction helper services use.

`atomic()` opens a transaction, or a savepoint when one is already open, so a
failing service never leaves partial writes behind even inside an outer
transaction (Piccolo's own nested `transaction()` reuses the outer one without a
savepoint). On SQLite the transaction is IMMEDIATE: writers serialize up front
instead of failing on lock upgrade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlparse

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


@asynccontextmanager
async def atomic() -> AsyncIterator[Any]:
    """All-or-nothing: a new transaction, or a savepoint inside an open one."""
    db = engine()
    current = db.current_transaction.get()
    if current is not None:
        savepoint = await current.savepoint()
        try:
            yield current
        except BaseException:
            await savepoint.rollback_to()
            raise
        else:
            await savepoint.release()
        return
    if isinstance(db, SQLiteEngine):
        transaction = db.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = db.transaction()
    async with transaction as tx:
        yield tx


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=20)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
