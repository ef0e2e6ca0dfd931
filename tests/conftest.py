"""Test set-up: environment first, then the app; per-test rollback.

Ordinary tests run inside a transaction rolled back afterwards. Tests that need
real separate connections (concurrency, atomicity) use the `committing` marker's
fixture `fresh_db`, which truncates instead.
"""

from __future__ import annotations

import os

from tests.dbsetup import configure_environment

ENGINE = configure_environment()

from collections.abc import AsyncIterator, Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402

from composition.wiring import wire  # noqa: E402
from market import clock  # noqa: E402
from market.db import engine, is_postgres  # noqa: E402
from market.demo import DemoDistrict  # noqa: E402
from tests.demo_snapshot import DemoSnapshot  # noqa: E402

# Fixtures defined in their own modules, usable in every test: `mailbox` (tests/smtp.py,
# a real SMTP server) and `server` (tests/served.py, the app in a process of its own).
pytest_plugins = ["tests.smtp", "tests.served"]

wire()  # the same explicit wiring as the web app and the CLI (composition/wiring.py)


def pytest_report_header(config: pytest.Config) -> str:
    return f"market test engine: {ENGINE} ({os.environ['DATABASE_URL']})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: runs in the postgres pass of make test")
    # Browser tests check pages in a real browser, not the database engine (every page's
    # queries run on both engines in tests/web); `make test` runs them once, in the
    # SQLite pass. MARKET_TEST_E2E=1 runs them on PostgreSQL too.
    skip_e2e = pytest.mark.skip(
        reason="browser tests run in the SQLite pass of make test (MARKET_TEST_E2E=1 runs"
        " them on PostgreSQL too)"
    )
    e2e_here = ENGINE != "postgres" or bool(os.environ.get("MARKET_TEST_E2E"))
    for item in items:
        path = item.path.as_posix()
        if "postgres_only" in item.keywords and ENGINE != "postgres":
            item.add_marker(skip_pg)
        if not e2e_here and ("e2e" in item.keywords or "/tests/e2e/" in path):
            item.add_marker(skip_e2e)


# tests/unit holds the pure rules and the architecture ratchets: no database, so nothing
# in them depends on the engine; `make test` runs them once, in the pass that
# MARKET_TEST_UNIT_PASS names — the PostgreSQL pass when PostgreSQL answers (the SQLite
# pass carries the browser tests: this evens the two out), else the SQLite pass
# (MARKET_TEST_UNIT=1 runs them in both). Skipped here rather than marked at collection
# so that the summary says it in one line, not one per test function.
UNIT_PASS = os.environ.get("MARKET_TEST_UNIT_PASS", "sqlite")
UNIT_ELSEWHERE = ENGINE != UNIT_PASS and not os.environ.get("MARKET_TEST_UNIT")


# The OpenAPI fuzz (tests/web/test_openapi_fuzz.py, the slowest test of the SQLite
# pass) runs in that pass too: on PostgreSQL when it answers — the production engine,
# and the stricter one (an out-of-range number is an error there, not a wider value) —
# else on SQLite. MARKET_TEST_FUZZ=1 runs it in both.
FUZZ_ELSEWHERE = ENGINE != UNIT_PASS and not os.environ.get("MARKET_TEST_FUZZ")
# The link crawl (tests/web/test_reachability.py: every page a role uses is reachable
# from where it lands) checks the links, which are the same on both engines; every
# page's own queries run on both in its own tests. It runs in the SQLite pass, beside
# the browser walk that crawls the same way. MARKET_TEST_CRAWL=1 runs it on PostgreSQL.
CRAWL_ELSEWHERE = ENGINE == "postgres" and not os.environ.get("MARKET_TEST_CRAWL")


def pytest_runtest_setup(item: pytest.Item) -> None:
    path = item.path.as_posix()
    if UNIT_ELSEWHERE and "/tests/unit/" in path:
        pytest.skip(
            f"tests/unit is engine-independent (no database): runs in the {UNIT_PASS} pass"
            " of make test (MARKET_TEST_UNIT=1 runs it in both)"
        )
    if CRAWL_ELSEWHERE and path.endswith("/tests/web/test_reachability.py"):
        pytest.skip(
            "the link crawl runs in the SQLite pass of make test, beside the browser walk"
            " (MARKET_TEST_CRAWL=1 runs it on PostgreSQL too)"
        )
    if FUZZ_ELSEWHERE and path.endswith("/tests/web/test_openapi_fuzz.py"):
        pytest.skip(
            f"the OpenAPI fuzz runs in the {UNIT_PASS} pass of make test"
            " (MARKET_TEST_FUZZ=1 runs it in both)"
        )


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2-cffi's cheapest argon2id for the suite's many sign-ups and log-ins;
    tests/web/test_password_hashing.py checks the production parameters (tests/passwords.py)."""
    from tests.passwords import use_cheap_hashing, use_production_hashing

    if os.environ.get("MARKET_TEST_PRODUCTION_ARGON2"):
        yield
        return
    use_cheap_hashing()
    yield
    use_production_hashing()


@pytest.fixture(scope="session", autouse=True)
async def migrated() -> AsyncIterator[None]:
    from market.migrate import migrate

    await migrate()
    from market.db import close_pool, start_pool

    await start_pool()
    yield
    await close_pool()


@pytest.fixture(scope="session")
async def demo_snapshot(migrated: None) -> DemoSnapshot:
    """The demo district, built once per session (per xdist worker): tests/demo_snapshot.py."""
    return await DemoSnapshot.build()


@pytest.fixture
async def demo_district(demo_snapshot: DemoSnapshot) -> DemoDistrict:
    """The demo district in this test's database, as `load_demo()` leaves it (a copy of
    the session's build) and what it returned."""
    return await demo_snapshot.restore()


@pytest.fixture(autouse=True)
async def rollback(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test runs in a transaction that is rolled back, unless it asks for fresh_db."""
    if "fresh_db" in request.fixturenames:
        yield
        return
    async with engine().transaction() as tx:
        yield
        await tx.rollback()


@pytest.fixture
async def fresh_db() -> AsyncIterator[None]:
    """Real commits on separate connections; every table truncated afterwards."""
    yield
    from market.migrate import truncate_all

    await truncate_all()


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    fc = clock.FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    clock.set_clock(fc)
    yield fc
    clock.set_clock(None)


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    from composition.app import create_app

    return create_app()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as c:
        yield c


@pytest.fixture
def postgres() -> bool:
    return is_postgres()
