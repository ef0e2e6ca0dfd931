"""Apply migrations (used by `market migrate`, the test suite and `make run`)."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.conf.apps import Finder

from market.db import engine, is_postgres


async def migrate() -> None:
    response = await run_forwards(app_name="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}")
    if not is_postgres():
        await engine().run_ddl("PRAGMA journal_mode=WAL")


def all_tables() -> list[type]:
    return Finder().get_table_classes()


async def truncate_all() -> None:
    """Empty every application table (tests that commit for real)."""
    tables = all_tables()
    names = [t._meta.tablename for t in tables]
    if is_postgres():
        await engine().run_ddl("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE")
        return
    async with engine().transaction():
        await engine().run_ddl("PRAGMA defer_foreign_keys = ON")
        for name in names:
            await engine().run_ddl(f'DELETE FROM "{name}"')  # noqa: S608 - table names from code


async def command(args: object) -> int:
    await migrate()
    print("migrations applied")
    return 0
