"""`market ledger check` and `market audit verify` as an operator runs them (own SQLite file)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    os.environ.get("MARKET_TEST_ENGINE") == "postgres",
    reason="uses its own SQLite file: runs once, in the SQLite pass",
)
SEED = """
import asyncio
from market.ledger import escrow
from market.money import Money

async def main():
    for i in range(3):
        await escrow.fund(f"d{i}", tender_id=1, source="public", from_code="external:stripe",
                          amount=Money(100 + i, "CNY"), actor="cli-test")

asyncio.run(main())
"""


def market(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PICCOLO_CONF": "piccolo_conf"}
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "composition.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "market.sqlite3"
    assert market(path, "migrate").returncode == 0
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "PICCOLO_CONF": "piccolo_conf"}
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, timeout=120
    )
    queued = market(path, "audit", "verify")
    assert queued.returncode == 0 and "0 events" in queued.stdout and "3 queued" in queued.stdout
    assert market(path, "worker", "--job", "audit.sequence").returncode == 0  # chains them
    return path


def test_check_and_verify_pass_on_an_untouched_database(db: Path) -> None:
    check = market(db, "ledger", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("ledger OK: 2 accounts, 3 transfers")
    verify = market(db, "audit", "verify")
    assert verify.returncode == 0 and "audit chain OK: 3 events" in verify.stdout


def test_tampering_makes_both_commands_fail_and_name_the_row(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE ledger_account SET credits_posted = credits_posted + 1"
            " WHERE code = 'tender:1:escrow:public'"
        )
        conn.execute("DROP TRIGGER audit_event_append_only")
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    check = market(db, "ledger", "check")
    assert check.returncode == 1 and "'tender:1:escrow:public'" in check.stdout
    verify = market(db, "audit", "verify")
    assert verify.returncode == 1 and "BROKEN at index 2" in verify.stdout


@pytest.fixture
def settled_db(tmp_path: Path) -> Path:
    """A fresh database whose tender 1 holds ¥3.03 in its public escrow."""
    path = tmp_path / "market.sqlite3"
    assert market(path, "migrate").returncode == 0
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "PICCOLO_CONF": "piccolo_conf"}
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, timeout=120
    )
    queued = market(path, "audit", "verify")
    assert queued.returncode == 0 and "0 events" in queued.stdout and "3 queued" in queued.stdout
    assert market(path, "worker", "--job", "audit.sequence").returncode == 0  # chains them
    return path


def test_the_check_runs_the_donors_money_invariants_and_names_the_first_problem(
    settled_db: Path,
) -> None:
    check = market(settled_db, "ledger", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip().endswith(
        "; app invariants: donations, expiry, fund_balance, fund_grants, fund_holds,"
        " fund_not_negative, payments, pledges, refunds, sandbox, settlements"
    )
    with sqlite3.connect(settled_db) as conn:  # settled, yet the escrow still holds the money
        conn.execute(
            "INSERT INTO donors_settlement (tender, reason, operation_key, settled_at)"
            " VALUES (1, 'cancelled', 'settle:tender:1', '2026-11-29 18:00:00+00:00')"
        )
    check = market(settled_db, "ledger", "check")
    assert check.returncode == 1
    assert check.stdout.strip() == (
        "ledger check FAILED: settlements: tender 1 was settled (cancelled) but"
        " tender:1:escrow:public still holds 303 (1 problem(s))"
    )
