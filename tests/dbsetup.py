"""Test database selection, shared by conftest and the Makefile.

MARKET_TEST_ENGINE=sqlite (default) uses a fresh file under a temp dir;
MARKET_TEST_ENGINE=postgres creates a fresh database on MARKET_TEST_PG_URL
(default postgresql://postgres@127.0.0.1:5432/postgres), named MARKET_TEST_PG_DB
(default market_test). Under pytest-xdist every worker is a process of its own with
its own temp dir and its own database: MARKET_TEST_PG_DB with the worker's id after
it (market_test_gw0, market_test_gw1, …).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from urllib.parse import urlparse, urlunparse

PG_ADMIN_URL = os.environ.get("MARKET_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# PYTEST_XDIST_WORKER ("gw0", "gw1", …) is set in a worker before conftest imports this.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_DB_NAME = os.environ.get("MARKET_TEST_PG_DB", "market_test") + (
    f"_{_WORKER}" if _WORKER else ""
)


def pg_url(dbname: str = TEST_DB_NAME) -> str:
    parts = urlparse(PG_ADMIN_URL)
    return urlunparse(parts._replace(path="/" + dbname))


async def _pg_answers() -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL), timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


def pg_answers() -> bool:
    return asyncio.run(_pg_answers())


async def recreate_pg_database(dbname: str = TEST_DB_NAME) -> str:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await conn.close()
    return pg_url(dbname)


def configure_environment() -> str:
    """Set DATABASE_URL and friends for the chosen engine; returns the engine name."""
    engine = os.environ.get("MARKET_TEST_ENGINE", "sqlite")
    tmp = tempfile.mkdtemp(prefix="market-test-")
    os.environ["MARKET_ENV"] = "test"
    os.environ["MARKET_VAR_DIR"] = tmp
    os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-suite-0123456789")
    os.environ.setdefault("MARKET_BID_KEY", "11" * 32)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("STRIPE_SECRET_KEY", None)
    if engine == "postgres":
        os.environ["DATABASE_URL"] = asyncio.run(recreate_pg_database())
    elif engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/test.sqlite3"
    else:
        raise SystemExit(f"MARKET_TEST_ENGINE must be sqlite or postgres, got {engine!r}")
    return engine


if __name__ == "__main__":
    # `python -m tests.dbsetup pg-answers` → exit 0 when PostgreSQL answers.
    if sys.argv[1:] == ["pg-answers"]:
        sys.exit(0 if pg_answers() else 1)
    sys.exit(2)
