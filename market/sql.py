"""Raw SQL plumbing for the ledger and audit modules: portable `{}` placeholders
(Piccolo's QueryString compiles them to `$n` or `?`), row locks on PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from piccolo.querystring import QueryString

from market.db import engine, is_postgres

Row = Mapping[str, Any]


async def fetch(sql: str, *args: Any) -> list[Row]:
    """Run one statement in the current transaction (or alone) and return its rows."""
    rows = await engine().run_querystring(QueryString(sql, *args))
    return list(rows or [])


def marks(n: int) -> str:
    """`{}, {}, {}` for an IN list of n values."""
    return ", ".join(["{}"] * n)


def for_update() -> str:
    """Row locks on PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE instead."""
    return " FOR UPDATE" if is_postgres() else ""


def is_unique_violation(exc: BaseException) -> bool:
    name = type(exc).__name__
    if name == "UniqueViolationError":  # asyncpg
        return True
    return name == "IntegrityError" and "UNIQUE" in str(exc)


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
