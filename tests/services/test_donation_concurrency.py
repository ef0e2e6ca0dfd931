"""PostgreSQL: hundreds of simultaneous donations never overdraw a pledge."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from donors import donations
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres_only
async def test_200_concurrent_donations_match_exactly_the_pledge_cap(fresh_db: None) -> None:
    tender = await make_tender()
    # 1:1 up to ¥100 a donation, ¥5,000 in all: room for exactly 50 matches.
    pledge = await make_pledge(per_donation_cap=100_00, total_cap=5_000_00)
    results = await asyncio.gather(
        *(
            donations.start_donation(
                tender_id=tender, amount=Money(200_00, "CNY"), provider="sandbox"
            )
            for _ in range(200)
        )
    )
    assert all(r.status == "paid" for r in results)
    assert sum(r.match.amount for r in results) == 5_000_00
    assert sum(1 for r in results if r.match.amount) == 50
    corporate = await get_account(f"tender:{tender}:escrow:corporate")
    assert corporate.posted.amount == 5_000_00
    assert (await get_account(f"pledge:{pledge}")).available.amount == 0
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 5_000_00
    assert (await get_account(f"tender:{tender}:escrow:public")).posted.amount == 200 * 200_00
    assert (await run_checks()).ok
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "composition.cli",
        "ledger",
        "check",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, out.decode() + err.decode()
    assert "ledger OK" in out.decode()


@pytest.mark.postgres_only
async def test_200_concurrent_donations_claiming_a_hot_pledge_at_commit_never_overdraw_it(
    fresh_db: None,
) -> None:
    """The match is claimed right before the commit (donors.donations): when the room a
    donation chose is gone by then, it is taken again under the pledge's lock. Room for
    50 full matches and one of ¥50: exactly that is matched, never more."""
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=100_00, total_cap=5_050_00)
    results = await asyncio.gather(
        *(
            donations.start_donation(
                tender_id=tender, amount=Money(100_00, "CNY"), provider="sandbox"
            )
            for _ in range(200)
        )
    )
    assert all(r.status == "paid" for r in results)
    matches = sorted((r.match.amount for r in results if r.match.amount), reverse=True)
    assert matches == [100_00] * 50 + [50_00]
    account = await get_account(f"pledge:{pledge}")
    assert account.debits_posted == 5_050_00 and account.debits_pending == 0
    assert account.available.amount == 0
    rows = await execute(
        "SELECT p.matched, (SELECT SUM(match_amount) FROM donors_donation"
        " WHERE match_pledge = p.id AND match_status = 'posted') AS posted"
        " FROM donors_pledge p WHERE p.id = {}",
        pledge,
    )
    assert int(rows[0]["matched"]) == int(rows[0]["posted"]) == 5_050_00
    corporate = await get_account(f"tender:{tender}:escrow:corporate")
    assert corporate.posted.amount == 5_050_00
    assert (await run_checks()).ok
