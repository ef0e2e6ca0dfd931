"""`market budget year-end --year Y` as an operator runs it (own SQLite file): refused
for a year that has not closed, once for a closed one, and nothing more the second
time; `market ledger check` agrees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.test_ledger_cli import ROOT, market

pytestmark = pytest.mark.skipif(
    os.environ.get("MARKET_TEST_ENGINE") == "postgres",
    reason="uses its own SQLite file: runs once, in the SQLite pass",
)
SEED = """
import asyncio
from datetime import UTC, datetime
from market import clock
from tests.budget_builders import appropriation, funded_line, make_district, make_finance

async def main():
    clock.set_clock(clock.FrozenClock(datetime(2025, 6, 1, 2, 0, tzinfo=UTC)))
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000, year=2025)
    await funded_line(finance, appropriation_id, district.streets[0], 600)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("budget-cli") / "market.sqlite3"
    assert market(path, "migrate").returncode == 0
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "PICCOLO_CONF": "piccolo_conf"}
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, timeout=120
    )
    return path


def test_the_year_end_runs_once_for_a_closed_year_and_never_for_an_open_one(db: Path) -> None:
    open_year = market(db, "budget", "year-end", "--year", "2100")
    assert open_year.returncode == 1 and "has not closed yet" in open_year.stdout
    first = market(db, "budget", "year-end", "--year", "2025")
    assert first.returncode == 0, first.stderr
    assert "1 appropriation(s) closed, 1 line(s) returned 600.00" in first.stdout
    again = market(db, "budget", "year-end")
    assert "0 appropriation(s) closed, 0 line(s) returned 0.00" in again.stdout
    check = market(db, "ledger", "check")
    assert check.returncode == 0 and "budget's lines and appropriations hold" in check.stdout
