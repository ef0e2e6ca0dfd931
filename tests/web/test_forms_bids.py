"""Bid, evaluation, panel, complaint and contract forms, filled as each role fills
them on the page the app serves (hidden fields and defaults from the page itself).

Also: the contract form is not offered during the standstill (the page says when it
opens); the contract's creator is not offered "approve" (four eyes) and a refusal is
shown beside the milestone with the list kept."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from bids import evaluation
from market.sql import execute
from market.timestamps import timestamp
from market.web import i18n
from market.web.render import format_datetime
from tests.bid_builders import (
    CANARY,
    add_approver,
    appoint_and_score,
    contracted,
    make_bidder,
    opened,
    tender_with_bids,
)
from tests.builders import PASSWORD, login, make_operator, make_user
from tests.web.forms import error_problems, find_form, none_texts, none_values, submit

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
async def browser(app):
    """A signed-in English browser per e-mail (log in again after moving the clock)."""
    clients: list[httpx.AsyncClient] = []

    async def make(email: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        client.cookies.set("pgm_lang", "en")
        clients.append(client)
        await login(client, email, PASSWORD)
        return client

    yield make
    for c in clients:
        await c.aclose()


async def page(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert not none_values(response.text), none_values(response.text)
    return response


async def test_a_bid_with_price_and_proposal_then_withdrawn(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    frozen_clock.set(scenario.deadline - timedelta(days=1))
    newcomer = await make_bidder()
    client = await browser(newcomer.email)
    path = f"/tenders/{scenario.tender_id}/bid"
    response = await submit(
        client, await page(client, path), path, {"price": "120000", "proposal": f"{CANARY} 方案"}
    )
    assert response.status_code == 303, response.text
    row = dict(
        (
            await execute(
                "SELECT * FROM bids_bid WHERE tender = {} AND organization = {}",
                scenario.tender_id,
                newcomer.org_id,
            )
        )[0]
    )
    assert row["status"] == "submitted" and not none_texts(row)
    receipt = await page(client, response.headers["location"])
    assert row["receipt"] in receipt.text
    bid_page = await page(client, path)
    withdrawn = await submit(client, bid_page, f"/bids/{row['ref']}/withdraw")
    assert withdrawn.status_code == 303
    status = await execute("SELECT status FROM bids_bid WHERE ref = {}", row["ref"])
    assert status[0]["status"] == "withdrawn"


async def test_opening_panel_scoring_award_and_the_standstill(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    department = await browser(scenario.department.email)
    base = f"/workspace/tenders/{scenario.tender_id}"
    evaluation_page = f"{base}/evaluation"
    assert (
        await submit(department, await page(department, evaluation_page), f"{base}/open")
    ).status_code == 303
    await make_user("form-expert@example.org", display_name="Expert Zhou")
    for htmx in (True, False):
        unknown = await submit(
            department,
            await page(department, evaluation_page),
            f"{base}/evaluators",
            {"email": "nobody@example.org"},
            htmx=htmx,
        )
        assert unknown.status_code == 422 and not error_problems(unknown.text)
    appointed = await submit(
        department,
        await page(department, evaluation_page),
        f"{base}/evaluators",
        {"email": "form-expert@example.org"},
    )
    assert appointed.status_code == 303
    expert = await browser("form-expert@example.org")
    panel_path = f"/panels/{scenario.tender_id}"
    recusal = await submit(
        expert, await page(expert, panel_path), f"{panel_path}/declare", {"conflict": "yes"},
        htmx=True,
    )  # fmt: skip
    assert recusal.status_code == 422 and not error_problems(recusal.text)
    declared = await submit(
        expert, await page(expert, panel_path), f"{panel_path}/declare"
    )  # "no conflict" is preselected: nothing to type
    assert declared.status_code == 303
    declaration = await execute(
        "SELECT * FROM bids_evaluator WHERE tender = {}", scenario.tender_id
    )
    assert declaration[0]["status"] == "declared" and not none_texts(dict(declaration[0]))
    waiting = await page(department, evaluation_page)  # no ranking until every bid is scored
    assert "Every declared evaluator must score every qualified bid." in waiting.text
    department.cookies.set("pgm_lang", "zh_Hans")
    assert (
        "每位已作出声明的评审专家都必须为每份有效投标评分。"
        in (await page(department, evaluation_page)).text
    )
    department.cookies.set("pgm_lang", "en")
    for ref, mark in zip(scenario.refs, ("90", "60"), strict=True):
        action = f"{panel_path}/bids/{ref}/score"
        panel = await page(expert, panel_path)
        refused = await submit(expert, panel, action, {"mark_c1": mark}, htmx=True, complete=False)
        assert refused.status_code == 422  # a mark needs a comment; said beside it
        assert 'role="alert"' in refused.text
        assert f'aria-describedby="comment_c1-{ref}-error"' in refused.text
        assert f'id="comment_c1-{ref}-error"' in refused.text
        assert not error_problems(refused.text)
        kept = find_form(refused.text, action).defaults()
        assert kept["mark_c1"] == [mark]  # the mark typed is still there
        scored = await submit(
            expert,
            panel,
            action,
            {
                "mark_c1": mark,
                "comment_c1": "方案清晰",
                "mark_c2": mark,
                "comment_c2": "团队有经验",
            },
        )
        assert scored.status_code == 303, scored.text
    scores = await execute("SELECT * FROM bids_score WHERE tender = {}", scenario.tender_id)
    assert len(scores) == 4 and not any(none_texts(dict(s)) for s in scores)
    awarded = await submit(department, await page(department, evaluation_page), f"{base}/award")
    assert awarded.status_code == 303
    during = await page(department, evaluation_page)
    assert f'action="{base}/contract"' not in during.text
    award = await evaluation.active_award(scenario.tender_id)
    assert award is not None
    i18n.activate("en")
    opens = format_datetime(timestamp(award["standstill_ends"]))  # shown in Beijing time
    assert f"The contract can be drawn up from {opens} (Beijing time)" in during.text


async def test_a_losing_bidder_complains_and_the_operator_decides(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    loser = await browser(scenario.bidders[1].email)
    results = f"/tenders/{scenario.tender_id}/results"
    empty = await submit(
        loser, await page(loser, results), f"/tenders/{scenario.tender_id}/complaints",
        htmx=True, complete=False,
    )  # fmt: skip
    assert empty.status_code == 422 and not error_problems(empty.text)
    filed = await submit(
        loser, await page(loser, results), f"/tenders/{scenario.tender_id}/complaints",
        {"text": "评分不公"},
    )  # fmt: skip
    assert filed.status_code == 303, filed.text
    complaint = dict((await execute("SELECT * FROM bids_complaint"))[0])
    assert complaint["text"] == "评分不公" and not none_texts(complaint)
    await make_operator("complaint-op@example.org")
    operator = await browser("complaint-op@example.org")
    queue = await page(operator, "/operator/complaints")
    action = f"/operator/complaints/{complaint['id']}"
    missing = await submit(
        operator, queue, action, button=("decision", "dismiss"), htmx=True, complete=False
    )
    assert missing.status_code == 422 and 'role="alert"' in missing.text
    assert f'aria-describedby="resolution-{complaint["id"]}-error"' in missing.text
    assert not error_problems(missing.text)
    decided = await submit(
        operator, queue, action, {"resolution": "评分在专家裁量范围内。"},
        button=("decision", "dismiss"),
    )  # fmt: skip
    assert decided.status_code == 303
    row = dict((await execute("SELECT * FROM bids_complaint WHERE id = {}", complaint["id"]))[0])
    assert row["status"] == "dismissed" and row["resolution"] == "评分在专家裁量范围内。"
    assert not none_texts(row)


async def test_drawing_up_and_signing_the_contract_after_the_standstill(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    frozen_clock.advance(days=6)
    department = await browser(scenario.department.email)
    base = f"/workspace/tenders/{scenario.tender_id}"
    evaluation_page = await page(department, f"{base}/evaluation")
    assert "The contract can be drawn up from" not in evaluation_page.text
    day = frozen_clock.at.date()
    short = await submit(
        department,
        evaluation_page,
        f"{base}/contract",
        {"starts": day.isoformat(), "deliverable_0": "入户走访",
         "due_0": (day + timedelta(days=30)).isoformat(), "amount_0": "1"},
        htmx=True,
    )  # fmt: skip
    assert short.status_code == 422 and 'id="milestones-error"' in short.text
    assert not error_problems(short.text) and not none_values(short.text)
    drawn = await submit(
        department,
        evaluation_page,
        f"{base}/contract",
        {
            "starts": day.isoformat(),
            "deliverable_0": "入户走访",
            "due_0": (day + timedelta(days=30)).isoformat(),
            "amount_0": "100000",
            "deliverable_1": "结项报告",
            "due_1": (day + timedelta(days=60)).isoformat(),
            "amount_1": "50000",
        },
    )
    assert drawn.status_code == 303, drawn.text
    contract = dict(
        (await execute("SELECT * FROM bids_contract WHERE tender = {}", scenario.tender_id))[0]
    )
    milestones = await execute(
        "SELECT * FROM bids_milestone WHERE contract = {} ORDER BY position", contract["id"]
    )
    assert [m["deliverable"] for m in milestones] == ["入户走访", "结项报告"]
    assert not none_texts(contract) and not any(none_texts(dict(m)) for m in milestones)
    path = f"/contracts/{contract['id']}"
    assert (
        await submit(department, await page(department, path), f"{path}/sign")
    ).status_code == 303
    winner = await browser(scenario.bidders[0].email)
    assert (await submit(winner, await page(winner, path), f"{path}/sign")).status_code == 303
    status = await execute("SELECT status FROM bids_contract WHERE id = {}", contract["id"])
    assert status[0]["status"] == "active"


async def test_evidence_four_eyes_and_approval_through_the_contract_page(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    path = f"/contracts/{contract_id}"
    milestones = await execute(
        "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    first, second = milestones[0]["id"], milestones[1]["id"]
    winner = await browser(scenario.bidders[0].email)
    empty = await submit(
        winner, await page(winner, path), f"/milestones/{first}/evidence", htmx=True,
        complete=False,
    )  # fmt: skip
    assert empty.status_code == 422 and f'id="note-{first}-error"' in empty.text
    assert not error_problems(empty.text)
    disguised = await submit(
        winner,
        await page(winner, path),
        f"/milestones/{first}/evidence",
        {"note": "走访40户老人"},
        files={"document": ("sheet.pdf", b"not really a pdf", "application/pdf")},
        htmx=True,
    )
    assert disguised.status_code == 422 and f'id="document-{first}-error"' in disguised.text
    assert "走访40户老人</textarea>" in disguised.text  # what was typed is kept
    assert not error_problems(disguised.text)
    sent = await submit(
        winner,
        await page(winner, path),
        f"/milestones/{first}/evidence",
        {"note": "走访40户老人"},
    )
    assert sent.status_code == 303, sent.text
    row = dict((await execute("SELECT * FROM bids_milestone WHERE id = {}", first))[0])
    assert row["status"] == "submitted" and row["evidence_note"] == "走访40户老人"
    assert not none_texts(row)

    # The creator is not offered approve/reject, and is told why and who may.
    await add_approver(scenario)
    creator = await browser(scenario.department.email)
    seen = await page(creator, path)
    assert f'action="/milestones/{first}/decide"' not in seen.text
    assert "Approve and release the tranche" not in seen.text
    assert "You drew up this contract" in seen.text and "Approver" in seen.text
    # A stale or hand-made request is refused beside the milestone; the list stays.
    refused = await creator.post(
        f"/milestones/{first}/decide",
        data={
            "contract": str(contract_id),
            "decision": "approve",
            "_csrf_token": find_form(seen.text, "/logout").defaults()["_csrf_token"][0],
        },
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 403
    assert refused.text.lstrip().startswith('<section id="milestones"')
    assert f'id="milestone-{second}"' in refused.text  # the other milestone is still listed
    error = re.search(
        rf'<article class="card" id="milestone-{first}">.*?</article>', refused.text, re.S
    )
    assert error and f'id="decision-{first}-error"' in error.group(0)
    assert 'role="alert"' in error.group(0)
    assert not error_problems(refused.text)

    approver = await browser(scenario.approver_email)
    approve_page = await page(approver, path)
    no_reason = await submit(
        approver, approve_page, f"/milestones/{first}/decide", button=("decision", "reject"),
        htmx=True,
    )  # fmt: skip
    assert no_reason.status_code == 422 and f'id="reason-{first}-error"' in no_reason.text
    assert not error_problems(no_reason.text)
    approved = await submit(
        approver, approve_page, f"/milestones/{first}/decide", button=("decision", "approve")
    )
    assert approved.status_code == 303, approved.text
    row = dict((await execute("SELECT * FROM bids_milestone WHERE id = {}", first))[0])
    assert row["status"] == "approved" and row["reason"] == "" and not none_texts(row)
    tampered = await approver.post(
        f"/milestones/{second}/decide",
        data={
            "contract": "abc",
            "decision": "approve",
            "_csrf_token": find_form(approve_page.text, "/logout").defaults()["_csrf_token"][0],
        },
    )
    assert 400 <= tampered.status_code < 500  # a bad hidden id is refused, not a 500


async def test_terminating_a_contract_needs_a_reason(frozen_clock, browser):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    path = f"/contracts/{contract_id}"
    department = await browser(scenario.department.email)
    ended = await submit(
        department, await page(department, path), f"{path}/terminate", {"reason": "机构注销"}
    )
    assert ended.status_code == 303, ended.text
    row = dict((await execute("SELECT * FROM bids_contract WHERE id = {}", contract_id))[0])
    assert row["status"] == "terminated" and row["termination_reason"] == "机构注销"
    assert not none_texts(row)
    project = await page(department, f"/projects/{scenario.tender_id}")  # the tender follows
    assert '<span class="status status-terminated">Terminated</span>' in project.text
    tender = await page(department, f"/tenders/{scenario.tender_id}")
    assert "status-terminated" in tender.text and "机构注销" in tender.text
    listed = await page(department, "/tenders?status=terminated")  # the list's filter knows it
    assert '<option value="terminated" selected' in listed.text
    assert f'href="/tenders/{scenario.tender_id}"' in listed.text


async def test_a_bid_is_reconfirmed_after_an_amendment(frozen_clock, browser):
    from market.tenders import services
    from market.tenders.forms import form_values
    from market.tenders.queries import tender_for_edit

    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    frozen_clock.set(scenario.deadline - timedelta(days=3))
    values = form_values(await tender_for_edit(scenario.tender_id))
    await services.amend_tender(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        form={**values, "description_en": "Weekly home visits."},
        note="Visits are weekly",
    )
    bidder = scenario.bidders[0]
    client = await browser(bidder.email)
    bid_page = await page(client, f"/tenders/{scenario.tender_id}/bid")
    ref = scenario.refs[0]
    assert (await execute("SELECT status FROM bids_bid WHERE ref = {}", ref))[0][
        "status"
    ] == "needs_reconfirm"
    done = await submit(client, bid_page, f"/bids/{ref}/reconfirm")
    assert done.status_code == 303, done.text
    row = dict((await execute("SELECT * FROM bids_bid WHERE ref = {}", ref))[0])
    assert row["status"] == "submitted" and not none_texts(row)
