"""Each role's dashboard lists what needs its attention, each item linking to where to
act, and links every page the role can use."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from donors import donations
from market import clock
from market.money import Money
from market.sql import execute
from market.tenders import qa
from tests.builders import login, make_member, make_operator, make_org, make_user
from tests.donation_builders import make_pledge, make_sponsor, make_tender
from tests.web import pages


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


def attention_of(html: str) -> str:
    start = html.index('id="attention"')
    return html[start : html.index('id="your-pages"')]


async def dashboard(client: httpx.AsyncClient, user: int) -> str:
    [row] = await execute("SELECT email FROM market_user WHERE id = {}", user)
    await login(client, row["email"])
    response = await client.get("/dashboard")
    assert response.status_code == 200
    return response.text


async def test_dashboard_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard")
    assert response.status_code in (302, 303, 401)


async def test_a_new_user_has_nothing_waiting_and_the_donor_pages(
    client: httpx.AsyncClient,
) -> None:
    html = await dashboard(client, await make_user())
    assert "Nothing is waiting for you right now." in attention_of(html)
    links = pages.links(html)
    for page in ("/my/donations", "/profile", "/organizations/register", "/#seeking-funds"):
        assert page.split("#")[0] in [link.split("#")[0] for link in links], page
    assert "/operator/bank-transfers" not in links and "/sponsor" not in links


async def test_department_sees_drafts_and_questions_to_answer(client: httpx.AsyncClient) -> None:
    user = await make_user()
    department = await make_org(kind="department", name_zh="民政局", admin=user)
    draft = await make_tender(status="draft", department=department)
    published = await make_tender(status="published", department=department)
    asker = await make_user()
    org = await make_org(admin=asker)
    await qa.ask_question(user_id=asker, org_id=org, tender_id=published, text="几位老人?")
    html = await dashboard(client, user)
    box = attention_of(html)
    assert f'href="/workspace/tenders/{draft}"' in box and "Draft tender to finish" in box
    assert f'href="/tenders/{published}#questions"' in box
    assert "1 question to answer" in box
    links = pages.links(html)
    for page in ("/workspace/tenders", "/workspace/tenders/new", "/workspace/evaluations"):
        assert page in links


async def test_operator_sees_organizations_to_verify_with_deadlines_and_transfers(
    client: httpx.AsyncClient,
) -> None:
    operator = await make_operator()
    late = await make_org(
        status="pending", name_en="Late Applicant", submitted_at=clock.now() - timedelta(days=30)
    )
    await make_org(status="pending", name_en="Fresh Applicant")
    tender = await make_tender()
    await donations.start_donation(
        tender_id=tender, amount=Money(300_00, "CNY"), provider="bank_transfer"
    )
    html = await dashboard(client, operator)
    box = attention_of(html)
    assert "Late Applicant" in box and "Fresh Applicant" in box
    assert box.index("Late Applicant") < box.index("Fresh Applicant")  # soonest due first
    late_item = box[box.index("Late Applicant") :]
    assert "overdue since" in late_item[: late_item.index("</li>")]
    [due] = await execute("SELECT decision_due_at FROM market_organization WHERE id = {}", late)
    assert due["decision_due_at"] is not None
    fresh_item = box[box.index("Fresh Applicant") :]
    assert "by " in fresh_item[: fresh_item.index("</li>")]  # its 5-working-day deadline
    assert "1 bank transfer to record" in box
    assert 'href="/operator/bank-transfers"' in box
    links = pages.links(html)
    for page in ("/operator/organizations", "/operator/bank-transfers", "/operator/complaints"):
        assert page in links


async def test_sponsor_sees_unfunded_pledges_and_the_workspace(client: httpx.AsyncClient) -> None:
    await make_pledge(funded=False)
    [row] = await execute("SELECT sponsor FROM donors_pledge")
    [member] = await execute(
        'SELECT "user" FROM market_membership WHERE organization = {}', row["sponsor"]
    )
    html = await dashboard(client, int(member["user"]))
    assert "1 match pledge is waiting for its money" in attention_of(html)
    assert "/sponsor" in pages.links(html)


async def test_foundation_member_reaches_the_sponsor_workspace(client: httpx.AsyncClient) -> None:
    user, _ = await make_sponsor("foundation")
    html = await dashboard(client, user)
    assert "/sponsor" in pages.links(html)
    assert "Nothing is waiting" in attention_of(html)


async def test_organization_staff_see_their_bids_page_and_members_link(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    org = await make_org(admin=user)
    other = await make_user()
    await make_member(other, org)
    html = await dashboard(client, user)
    links = pages.links(html)
    assert "/workspace/bids" in links
    assert f"/organizations/{org}/members" in links  # the admin manages members
    member_html = await dashboard(client, other)
    assert f"/organizations/{org}/members" not in pages.links(member_html)


async def test_evaluator_is_asked_to_declare_then_to_score(
    client: httpx.AsyncClient, frozen_clock
) -> None:
    from bids import evaluation
    from tests.bid_builders import opened, tender_with_bids

    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    expert = await make_user("expert-dash@example.org")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="expert-dash@example.org",
    )
    html = await dashboard(client, expert)
    box = attention_of(html)
    assert f'href="/panels/{scenario.tender_id}"' in box and "Declare any conflict" in box
    assert "/panels" in pages.links(html)
    await evaluation.declare_interests(user_id=expert, tender_id=scenario.tender_id, conflict=False)
    box = attention_of((await client.get("/dashboard")).text)
    assert "Bids to score" in box and f'href="/panels/{scenario.tender_id}"' in box
    department = await dashboard(client, scenario.department.user_id)
    assert f'href="/workspace/tenders/{scenario.tender_id}/evaluation"' in attention_of(department)


async def test_an_applicant_sees_when_the_decision_on_their_registration_is_due(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    org = await make_org(status="pending", name_en="Waiting Association", admin=user)
    html = await dashboard(client, user)
    box = attention_of(html)
    assert "Waiting Association" in box and f'href="/organizations/{org}"' in box
    item = box[box.index("Waiting Association") :]
    assert "by " in item[: item.index("</li>")]
    assert (await client.get(f"/organizations/{org}")).status_code == 200  # the link works


async def test_the_winning_organization_is_told_when_a_milestone_falls_due(
    client: httpx.AsyncClient, frozen_clock
) -> None:
    from bids import evaluation
    from tests.bid_builders import award_org, contracted, tender_with_bids

    scenario = await tender_with_bids(frozen_clock)
    contract = await contracted(frozen_clock, scenario)
    award = await evaluation.active_award(scenario.tender_id)
    assert award is not None
    winner = next(b for b in scenario.bidders if b.org_id == award_org(award, scenario))
    html = await dashboard(client, winner.user_id)
    assert "Milestone 1 due" not in attention_of(html)  # 30 days away
    assert "/workspace/bids" in pages.links(html)
    frozen_clock.advance(days=20)  # the session has expired: log in again
    box = attention_of(await dashboard(client, winner.user_id))
    assert "Milestone 1 due" in box and f'href="/contracts/{contract}#milestone-' in box
    assert "overdue since" not in box
    frozen_clock.advance(days=15)
    box = attention_of(await dashboard(client, winner.user_id))
    assert "overdue since" in box
