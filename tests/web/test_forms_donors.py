"""Donate, pledge, contribute and bank-transfer forms, filled as a person fills them:
only the required fields typed into the page's own form; what was stored and shown.

The reports that started this: a donor who typed only an amount got a receipt reading
"捐赠人 None"; a pledge was saved with categories and areas "None" and matched ¥0."""

from __future__ import annotations

import re

import httpx
import pytest

from market.sql import execute
from tests.builders import login, make_operator, make_org, make_user
from tests.donation_builders import make_sponsor, make_tender
from tests.web.forms import none_texts, none_values, submit


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


async def test_donating_only_an_amount_stores_no_name_and_the_receipt_says_none_of_it(client):
    tender = await make_tender()
    page = await client.get(f"/tenders/{tender}/donate")
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(client, page, f"/tenders/{tender}/donate", {"amount": "50"})
    assert response.status_code == 303, response.text
    rows = await execute("SELECT * FROM donors_donation WHERE tender = {}", tender)
    row = dict(rows[0])
    assert row["amount"] == 50_00 and row["status"] == "paid"
    assert row["display_name"] == "" and row["message"] == "" and row["email"] == ""
    assert not none_texts(row)
    shown = await client.get(response.headers["location"])
    receipt_link = re.search(r"/donations/\d+/receipt\?ref=[A-Z0-9-]+", shown.text)
    assert receipt_link
    receipt = await client.get(receipt_link.group(0))
    assert receipt.status_code == 200 and "None" not in receipt.text and "—" in receipt.text


async def test_a_pledge_with_only_its_caps_matches_any_project(client):
    user, org = await make_sponsor()
    email = (await execute("SELECT email FROM market_user WHERE id = {}", user))[0]["email"]
    await login(client, email)
    page = await client.get("/sponsor")
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(
        client,
        page,
        "/sponsor/pledges",
        {"per_donation_cap": "100", "total_cap": "1000", "provider": "sandbox"},
    )
    assert response.status_code == 303, response.text
    row = dict((await execute("SELECT * FROM donors_pledge WHERE sponsor = {}", org))[0])
    assert row["categories"] == "" and row["areas"] == "" and row["tender_ids"] == ""
    assert row["note"] == "" and not none_texts(row)
    assert row["valid_from"] is not None and row["valid_until"] is not None
    # It matches a donation to any project.
    tender = await make_tender(category="charity", area="西湖街道")
    donate = await client.get(f"/tenders/{tender}/donate?amount=80", headers={"HX-Request": "true"})
    assert "80.00" in donate.text


async def test_contributing_only_an_amount(client):
    tender = await make_tender()
    user, org = await make_sponsor("foundation")
    email = (await execute("SELECT email FROM market_user WHERE id = {}", user))[0]["email"]
    await login(client, email)
    page = await client.get(f"/tenders/{tender}/contribute")
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(client, page, f"/tenders/{tender}/contribute", {"amount": "2000"})
    assert response.status_code == 303, response.text
    row = dict((await execute("SELECT * FROM donors_contribution WHERE tender = {}", tender))[0])
    assert row["amount"] == 2000_00 and row["organization"] == org
    assert row["note"] == "" and not none_texts(row)


async def test_operator_records_a_bank_transfer_from_the_queue(client):
    tender = await make_tender()
    page = await client.get(f"/tenders/{tender}/donate")
    started = await submit(
        client,
        page,
        f"/tenders/{tender}/donate",
        {"amount": "300", "provider": "bank_transfer"},
    )
    assert started.status_code == 303, started.text
    payment = dict(
        (await execute("SELECT * FROM donors_payment WHERE provider = 'bank_transfer'"))[0]
    )
    await make_operator("bank.op@example.org")
    await login(client, "bank.op@example.org")
    queue = await client.get("/operator/bank-transfers")
    assert payment["reference_code"] in queue.text and not none_values(queue.text)
    response = await submit(
        client,
        queue,
        "/operator/bank-transfers",
        {
            "reference_code": payment["reference_code"],
            "amount": "300",
            "bank_reference": "ICBC 2026-11-02 #88",
        },
    )
    assert response.status_code == 303, response.text
    row = dict((await execute("SELECT * FROM donors_payment WHERE id = {}", payment["id"]))[0])
    assert row["status"] == "succeeded" and row["bank_reference"] == "ICBC 2026-11-02 #88"
    assert not none_texts(row)


async def test_a_social_organization_records_its_own_income(client):
    tender = await make_tender(status="awarded")
    user = await make_user("ngo.finance@example.org")
    org = await make_org(admin=user)
    await login(client, "ngo.finance@example.org")
    page = await client.get(f"/tenders/{tender}/contribute")
    response = await submit(client, page, f"/tenders/{tender}/contribute", {"amount": "500"})
    assert response.status_code == 303, response.text
    row = dict((await execute("SELECT * FROM donors_contribution WHERE tender = {}", tender))[0])
    assert row["organization"] == org and row["kind"] == "own_income"
    assert not none_texts(row)


@pytest.mark.parametrize("path", ["donate", "contribute"])
async def test_a_mistyped_amount_is_explained_in_the_readers_language(client, path):
    client.headers["Accept-Language"] = "zh-CN"
    tender = await make_tender()
    if path == "contribute":
        user, _ = await make_sponsor()
        email = (await execute("SELECT email FROM market_user WHERE id = {}", user))[0]["email"]
        await login(client, email)
    page = await client.get(f"/tenders/{tender}/{path}")
    response = await submit(client, page, f"/tenders/{tender}/{path}", {"amount": "abc"})
    assert response.status_code == 422
    assert "请输入大于零的金额" in response.text and "is not an amount" not in response.text
