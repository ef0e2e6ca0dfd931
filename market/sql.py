"""Named SQL for what Piccolo cannot express: `execute` runs one statement (read or
write) with portable `{}` placeholders (Piccolo's QueryString compiles them to `$n`
or `?`); row locks on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from piccolo.querystring import QueryString

from market.db import engine, is_postgres

Row = Mapping[str, Any]


_PG_SQL: dict[str, str] = {}


def numbered(sql: str) -> str:
    """`{}` placeholders → `$1, $2, …` (cached per statement text)."""
    compiled = _PG_SQL.get(sql)
    if compiled is None:
        parts = sql.split("{}")
        compiled = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
        _PG_SQL[sql] = compiled
    return compiled


async def execute(sql: str, *args: Any) -> list[Row]:
    """Run one statement in the current transaction (or alone) and return its rows.

    Inside a PostgreSQL transaction the statement goes straight to the transaction's
    asyncpg connection (prepared and cached by asyncpg): the ledger's hot path spends
    less CPU than through Piccolo's QueryString, which re-parses the template per call.
    """
    db = engine()
    if is_postgres():
        transaction = db.current_transaction.get()
        if transaction is not None:
            return list(await transaction.connection.fetch(numbered(sql), *args))
    rows = await db.run_querystring(QueryString(sql, *args))
    return list(rows or [])


def marks(n: int) -> str:
    """`{}, {}, {}` for an IN list of n values."""
    return ", ".join(["{}"] * n)


def ids_in(ids: Sequence[int], *, chunk: int = 5000) -> Iterator[tuple[str, list[Any]]]:
    """`column <test>` for a long list of integer ids, in as few statements as the
    engine allows: PostgreSQL one `= ANY({}::integer[])` bound to the whole list;
    SQLite `IN ({}, …)` in chunks (its bound-value limit). Yields (test, arguments)."""
    if not ids:
        return
    if is_postgres():
        yield "= ANY({}::integer[])", [list(ids)]
        return
    for start in range(0, len(ids), chunk):
        part = list(ids[start : start + chunk])
        yield f"IN ({marks(len(part))})", part


def for_update() -> str:
    """Row locks on PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE instead."""
    return " FOR UPDATE" if is_postgres() else ""


def for_key_share() -> str:
    """A shared row lock on PostgreSQL: many holders at once, but it waits for (and
    blocks) `FOR UPDATE`. SQLite serializes writers with BEGIN IMMEDIATE instead."""
    return " FOR KEY SHARE" if is_postgres() else ""


def is_unique_violation(exc: BaseException) -> bool:
    name = type(exc).__name__
    if name == "UniqueViolationError":  # asyncpg
        return True
    return name == "IntegrityError" and "UNIQUE" in str(exc)
