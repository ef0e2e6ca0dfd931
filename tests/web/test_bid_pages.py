"""The bids pages through HTTP: forms work without JavaScript (303 after success, the
full page with errors beside the fields on failure) and with htmx (422 fragment)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bids import evaluation
from market.sql import execute
from tests.bid_builders import (
    CANARY,
    add_approver,
    appoint_and_score,
    make_bidder,
    opened,
    plan_for,
    tender_with_bids,
)
from tests.builders import PASSWORD, login, make_operator
from tests.web.forms import csrf_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def browser(app):
    clients: list[httpx.AsyncClient] = []

    async def make(email: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        await login(client, email, PASSWORD)
        return client

    yield make
    for c in clients:
        await c.aclose()


async def post(client, path, data, *, htmx=False, files=None):
    token = await csrf_token(client, "/dashboard")
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(
        path, data={**data, "_csrf_token": token}, headers=headers, files=files
    )


async def test_bid_form_errors_sit_beside_the_field_and_success_redirects_to_the_receipt(
    frozen_clock, browser
):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    newcomer = await make_bidder()
    client = await browser(newcomer.email)
    path = f"/tenders/{scenario.tender_id}/bid"
    page = await client.get(path)
    assert page.status_code == 200 and 'name="price"' in page.text
    bad = await post(client, path, {"price": "abc", "proposal": "plan"})
    assert bad.status_code == 422 and "<html" in bad.text
    assert 'id="price-error"' in bad.text
    fragment = await post(client, path, {"price": "999999999", "proposal": ""}, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert 'id="price-error"' in fragment.text and 'id="proposal-error"' in fragment.text
    good = await post(
        client,
        path,
        {"price": "120000", "proposal": f"{CANARY} plan"},
        files={"document": ("plan.png", PNG, "image/png")},
    )
    assert good.status_code == 303
    receipt_page = await client.get(good.headers["location"])
    row = await execute(
        "SELECT receipt FROM bids_bid WHERE tender = {} AND organization = {}",
        scenario.tender_id,
        newcomer.org_id,
    )
    assert row[0]["receipt"] in receipt_page.text
    assert CANARY not in receipt_page.text  # the server never shows sealed content
    late = frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    assert late is None
    refused = await post(client, path, {"price": "100000", "proposal": "late"})
    assert refused.status_code == 422 and 'class="error-box"' in refused.text
    after = await execute(
        "SELECT revision, received_at FROM bids_bid WHERE tender = {} AND organization = {}",
        scenario.tender_id,
        newcomer.org_id,
    )
    assert after[0]["revision"] == 1  # nothing replaced after the deadline


async def test_evaluation_award_contract_and_milestones_through_the_pages(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    department = await browser(scenario.department.email)
    base = f"/workspace/tenders/{scenario.tender_id}"
    assert (await post(department, f"{base}/open", {})).status_code == 303
    from tests.builders import make_user

    await make_user("web-expert@example.org")
    missing = await post(department, f"{base}/evaluators", {"email": "nobody@example.org"})
    assert missing.status_code == 422 and 'id="email-error"' in missing.text
    ok = await post(department, f"{base}/evaluators", {"email": "web-expert@example.org"})
    assert ok.status_code == 303
    expert = await browser("web-expert@example.org")
    panel = await expert.get(f"/panels/{scenario.tender_id}")
    assert CANARY not in panel.text and 'name="conflict"' in panel.text
    assert (
        await post(expert, f"/panels/{scenario.tender_id}/declare", {"conflict": "no"})
    ).status_code == 303
    panel = await expert.get(f"/panels/{scenario.tender_id}")
    assert CANARY in panel.text
    score_path = f"/panels/{scenario.tender_id}/bids/{scenario.refs[0]}/score"
    bad = await post(expert, score_path, {"mark_c1": "101", "comment_c1": ""}, htmx=True)
    assert bad.status_code == 422 and "<html" not in bad.text
    assert f'id="mark_c1-{scenario.refs[0]}-error"' in bad.text
    for ref, mark in zip(scenario.refs, ("90", "60"), strict=True):
        done = await post(
            expert,
            f"/panels/{scenario.tender_id}/bids/{ref}/score",
            {"mark_c1": mark, "comment_c1": "ok", "mark_c2": mark, "comment_c2": "ok"},
        )
        assert done.status_code == 303
    assert (await post(department, f"{base}/award", {})).status_code == 303
    public = httpx.AsyncClient(transport=department._transport, base_url="http://testserver")
    results = await public.get(f"/tenders/{scenario.tender_id}/results")
    assert "150,000" in results.text and "web-expert" not in results.text
    api = await public.get(f"/api/v1/tenders/{scenario.tender_id}/results")
    assert api.json()["ranking"][0]["price"] == 15_000_000
    frozen_clock.advance(days=6)  # past the standstill (sessions idle out: log in again)
    department = await browser(scenario.department.email)
    starts = frozen_clock.at.date()
    plan = plan_for(15_000_000, starts, 2)
    form = {"starts": starts.isoformat()}
    for i, item in enumerate(plan):
        form |= {
            f"deliverable_{i}": item.deliverable,
            f"due_{i}": item.due.isoformat(),
            f"amount_{i}": str(item.amount // 100),
        }
    wrong = await post(department, f"{base}/contract", {**form, "amount_1": "1"})
    assert wrong.status_code == 422 and 'id="milestones-error"' in wrong.text
    assert (await post(department, f"{base}/contract", form)).status_code == 303
    contract_id = (
        await execute("SELECT id FROM bids_contract WHERE tender = {}", scenario.tender_id)
    )[0]["id"]
    assert (
        await post(department, f"/contracts/{contract_id}/sign", {"side": "department"})
    ).status_code == 303
    winner = await browser(scenario.bidders[0].email)
    assert (
        await post(winner, f"/contracts/{contract_id}/sign", {"side": "organization"})
    ).status_code == 303
    milestone = (
        await execute(
            "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
        )
    )[0]["id"]
    empty = await post(
        winner, f"/milestones/{milestone}/evidence", {"contract": str(contract_id), "note": ""}
    )
    assert empty.status_code == 422 and f'id="note-{milestone}-error"' in empty.text
    sent = await post(
        winner,
        f"/milestones/{milestone}/evidence",
        {"contract": str(contract_id), "note": "Visited 40 residents"},
        files={"document": ("sheet.png", PNG, "image/png")},
    )
    assert sent.status_code == 303
    own = await post(
        department,
        f"/milestones/{milestone}/decide",
        {"contract": str(contract_id), "decision": "approve"},
    )
    assert own.status_code == 403  # the contract's creator may not approve
    await add_approver(scenario)
    approver = await browser(scenario.approver_email)
    approved = await post(
        approver,
        f"/milestones/{milestone}/decide",
        {"contract": str(contract_id), "decision": "approve"},
    )
    assert approved.status_code == 303
    page = await public.get(f"/contracts/{contract_id}")
    assert page.status_code == 200 and "approved" in page.text and "scheduled" in page.text
    assert "/evidence/" not in page.text  # evidence files are for the parties
    evidence = (await execute("SELECT id FROM bids_milestone_evidence"))[0]["id"]
    assert (await winner.get(f"/evidence/{evidence}")).content == PNG
    stranger = await browser((await make_bidder()).email)
    assert (await stranger.get(f"/evidence/{evidence}")).status_code == 404
    await public.aclose()


async def test_operator_resolves_complaints_with_a_reason(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    loser = await browser(scenario.bidders[1].email)
    empty = await post(loser, f"/tenders/{scenario.tender_id}/complaints", {"text": ""})
    assert empty.status_code == 422 and 'id="text-error"' in empty.text
    filed = await post(loser, f"/tenders/{scenario.tender_id}/complaints", {"text": "Unfair"})
    assert filed.status_code == 303
    await make_operator("complaints-op@example.org")
    operator = await browser("complaints-op@example.org")
    queue = await operator.get("/operator/complaints")
    assert "Unfair" in queue.text
    complaint = (await execute("SELECT id FROM bids_complaint"))[0]["id"]
    no_reason = await post(operator, f"/operator/complaints/{complaint}", {"decision": "dismiss"})
    assert no_reason.status_code == 422 and f'id="resolution-{complaint}-error"' in no_reason.text
    done = await post(
        operator,
        f"/operator/complaints/{complaint}",
        {"decision": "dismiss", "resolution": "Marks are within the evaluators' discretion."},
    )
    assert done.status_code == 303
    assert (await loser.get("/operator/complaints")).status_code == 403
