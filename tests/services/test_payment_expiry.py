"""Payment confirmation windows (#13): every payment gets its provider's window; an
awaiting payment past it fails as "expired", its reserved match is voided and the pledge
gets its room back exactly, and a donor who left an e-mail is told in their language."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from donors import donations, payments, settlement
from market import clock
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.ledger.services import get_transfer
from market.money import Money
from market.settings import get_settings, reset_settings
from market.sql import execute
from market.timestamps import timestamp
from tests.builders import make_user
from tests.donation_builders import make_pledge, make_tender

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    fc = clock.FrozenClock(clock.now())
    clock.set_clock(fc)
    yield fc
    clock.set_clock(None)


async def outbox() -> list[dict[str, object]]:
    rows = await execute("SELECT recipient, subject, body FROM market_outbox ORDER BY id")
    return [dict(r) for r in rows]


async def test_each_provider_has_its_window(frozen: clock.FrozenClock) -> None:
    tender = await make_tender()
    bank = await donations.start_donation(
        tender_id=tender, amount=Money(50_00, "CNY"), provider="bank_transfer"
    )
    card = await donations.start_donation(
        tender_id=tender, amount=Money(50_00, "CNY"), provider="sandbox"
    )
    for started, window in ((bank, timedelta(days=7)), (card, timedelta(minutes=30))):
        payment = await payments.get_payment(started.payment_id)
        assert timestamp(payment["expires_at"]) == frozen() + window


async def test_windows_come_from_the_settings(frozen: clock.FrozenClock) -> None:
    before = get_settings()
    reset_settings(dataclasses.replace(before, payment_window_bank_days=2))
    try:
        started = await donations.start_donation(
            tender_id=await make_tender(), amount=Money(50_00, "CNY"), provider="bank_transfer"
        )
    finally:
        reset_settings(before)
    payment = await payments.get_payment(started.payment_id)
    assert timestamp(payment["expires_at"]) == frozen() + timedelta(days=2)


async def test_expiry_voids_the_match_gives_the_room_back_and_tells_the_donor(
    frozen: clock.FrozenClock,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=100_00, total_cap=150_00)
    first = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer",
        email="donor@example.org", lang="en",
    )  # fmt: skip
    second = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer",
        email="juanzeng@example.cn", lang="zh_Hans",
    )  # fmt: skip
    assert (first.match.amount, second.match.amount) == (100_00, 50_00)
    # the pledge is exhausted: a third donor gets no match
    third = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer"
    )
    assert third.match.amount == 0
    frozen.advance(days=7, seconds=-1)
    assert await payments.expire_payments() == {"expired": 0, "notified": 0}
    frozen.advance(seconds=1)
    assert await payments.expire_payments() == {"expired": 3, "notified": 2}
    assert await payments.expire_payments() == {"expired": 0, "notified": 0}  # once
    for started in (first, second):
        row = await donations.get_donation(started.donation_id)
        assert (row["status"], row["match_status"]) == ("failed", "released")
        void = (await get_transfer(f"donation:{started.donation_id}:match:void")).transfer
        assert void.amount == started.match.amount
        payment = await payments.get_payment(started.payment_id)
        assert (payment["status"], payment["failure_reason"]) == ("failed", "expired")
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 150_00
    mails = await outbox()
    assert [m["recipient"] for m in mails] == ["donor@example.org", "juanzeng@example.cn"]
    assert mails[0]["subject"] == "Your donation was not paid in time"
    assert "was not paid within the time allowed" in str(mails[0]["body"])
    assert f"/tenders/{tender}/donate" in str(mails[0]["body"])
    assert first.reference_code in str(mails[0]["body"])
    assert mails[1]["subject"] != mails[0]["subject"]  # the Chinese catalog's
    assert "捐" in str(mails[1]["subject"])
    # the room is there again: a new donation is matched
    again = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer"
    )
    assert again.match.amount == 100_00
    assert (await run_checks()).ok


async def test_an_expired_payment_reported_failed_again_changes_nothing(
    frozen: clock.FrozenClock,
) -> None:
    tender = await make_tender()
    await make_pledge(per_donation_cap=100_00)
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer"
    )
    frozen.advance(days=8)
    assert (await payments.expire_payments())["expired"] == 1
    assert await payments.fail_payment(started.payment_id, reason="declined") == "duplicate"
    payment = await payments.get_payment(started.payment_id)
    assert payment["failure_reason"] == "expired"
    assert (await run_checks()).ok


async def test_paid_payments_never_expire(frozen: clock.FrozenClock) -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="sandbox"
    )
    assert started.status == "paid"
    frozen.advance(days=30)
    assert await payments.expire_payments() == {"expired": 0, "notified": 0}
    assert (await donations.get_donation(started.donation_id))["status"] == "paid"


async def test_expiry_after_the_tender_was_settled_releases_the_room_once(
    frozen: clock.FrozenClock,
) -> None:
    """The settlement voided the reservation with the escrow's holds; the expiry that
    follows never voids it a second time, and the pledge ends with its room back."""
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=30_00)
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer"
    )
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    assert await settlement.settle_tender(tender, "cancelled")
    frozen.advance(days=8)
    assert (await payments.expire_payments())["expired"] == 1
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("failed", "released")
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
    assert (await run_checks()).ok


async def test_the_cli_expires_what_is_due_and_delivers_the_notices(fresh_db: None) -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="bank_transfer",
        email="late@example.org", lang="en",
    )  # fmt: skip
    await execute(
        "UPDATE donors_payment SET expires_at = {} WHERE id = {}",
        clock.now() - timedelta(seconds=1),
        started.payment_id,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "composition.cli", "payments", "expire", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, out.decode() + err.decode()
    assert "1 payment(s) expired, 1 donor(s) told, 1 e-mail(s) delivered" in out.decode()
    payment = await payments.get_payment(started.payment_id)
    assert (payment["status"], payment["failure_reason"]) == ("failed", "expired")
    [mail] = await execute("SELECT recipient, sent_at FROM market_outbox")
    assert mail["recipient"] == "late@example.org" and mail["sent_at"] is not None


async def test_a_signed_in_donor_without_an_e_mail_on_the_donation_is_told_at_their_account(
    frozen: clock.FrozenClock,
) -> None:
    donor = await make_user("signed.in.donor@example.org")
    await execute("UPDATE market_user SET locale = 'en' WHERE id = {}", donor)
    tender = await make_tender()
    await donations.start_donation(
        tender_id=tender, amount=Money(30_00, "CNY"), provider="bank_transfer", donor_id=donor
    )
    anonymous = await donations.start_donation(
        tender_id=tender, amount=Money(30_00, "CNY"), provider="bank_transfer"
    )
    frozen.advance(days=8)
    assert await payments.expire_payments() == {"expired": 2, "notified": 1}
    [mail] = await outbox()
    assert mail["recipient"] == "signed.in.donor@example.org"
    assert mail["subject"] == "Your donation was not paid in time"  # the account's language
    assert anonymous.reference_code not in str(mail["body"])
