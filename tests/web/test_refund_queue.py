"""The operator's refund queue (#13): a bank-transfer refund waits on /operator/refunds,
the operator sends the money back and records the outgoing transfer on the refund's
page, which then is its payout record; the ledger moves `refund:{id}` once."""

from __future__ import annotations

import re

import httpx
import pytest

from donors import donations, payments, refunds
from market.ledger.check import run_checks
from market.ledger.services import get_transfer
from market.money import Money
from market.sql import execute
from tests.builders import login, make_operator, make_user
from tests.donation_builders import make_tender
from tests.web.forms import submit


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


async def late_bank_refund(operator: int) -> int:
    """A bank-transfer donation recorded after its project was cancelled: refund queued."""
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=Money(88_00, "CNY"), provider="bank_transfer"
    )
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    await payments.record_bank_transfer(
        reference_code=started.reference_code, amount=88_00, currency="CNY",
        bank_reference="ICBC 5521", operator_id=operator,
    )  # fmt: skip
    [refund] = await refunds.refunds_of_payment(started.payment_id)
    return int(refund["id"])


async def email_of(user_id: int) -> str:
    rows = await execute("SELECT email FROM market_user WHERE id = {}", user_id)
    return str(rows[0]["email"])


async def test_operator_pays_a_refund_out_from_the_queue_and_it_is_recorded(
    client: httpx.AsyncClient,
) -> None:
    operator = await make_operator()
    refund_id = await late_bank_refund(operator)
    await login(client, await email_of(operator))
    dashboard = await client.get("/dashboard")
    assert 'href="/operator/refunds"' in dashboard.text
    queue = await client.get("/operator/refunds")
    assert queue.status_code == 200
    assert f'href="/operator/refunds/{refund_id}"' in queue.text
    assert "88.00" in queue.text and "Arrived after the project closed" in queue.text
    page = await client.get(f"/operator/refunds/{refund_id}")
    assert "Awaiting payout" in page.text and "ICBC 5521" in page.text
    action = f"/operator/refunds/{refund_id}"

    empty = await submit(client, page, action, {"bank_reference": ""}, complete=False)
    assert empty.status_code == 422
    assert "Enter the outgoing bank transfer&#39;s reference." in empty.text
    assert (await refunds.get_refund(refund_id))["status"] == "queued"

    done = await submit(client, page, action, {"bank_reference": "BOC OUT 7781"})
    assert done.status_code == 303 and done.headers["location"] == action
    record = await client.get(action)
    assert "Refund paid out and recorded." in record.text
    assert "Paid out" in record.text and "BOC OUT 7781" in record.text
    assert "Operator" in record.text  # who paid it out
    assert 'action="/operator/refunds/' not in record.text  # no form any more
    transfer = (await get_transfer(f"refund:{refund_id}")).transfer
    assert re.fullmatch(r"donor:d\d+:refund", transfer.debit)
    assert (transfer.credit, transfer.amount, transfer.reason) == ("external:bank", 88_00, "refund")
    row = await refunds.get_refund(refund_id)
    assert (row["status"], row["paid_by"], row["bank_reference"]) == (
        "paid",
        operator,
        "BOC OUT 7781",
    )
    queue = await client.get("/operator/refunds")
    assert "No refund is waiting to be paid out." in queue.text
    assert "BOC OUT 7781" in queue.text  # listed under "Paid out"

    again = await submit(client, page, action, {"bank_reference": "BOC OUT 7782"})
    assert again.status_code == 422
    assert "This refund was already paid out." in again.text
    assert (await refunds.get_refund(refund_id))["bank_reference"] == "BOC OUT 7781"
    assert (await run_checks()).ok


async def test_only_the_operator_sees_the_refund_queue(client: httpx.AsyncClient) -> None:
    refund_id = await late_bank_refund(await make_operator())
    assert (await client.get("/operator/refunds")).status_code in (302, 303, 401, 403)
    await login(client, await email_of(await make_user()))
    for path in ("/operator/refunds", f"/operator/refunds/{refund_id}"):
        assert (await client.get(path)).status_code == 403


async def test_an_unknown_refund_is_a_404_page(client: httpx.AsyncClient) -> None:
    await login(client, await email_of(await make_operator()))
    assert (await client.get("/operator/refunds/999999")).status_code == 404
