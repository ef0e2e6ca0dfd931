"""The community pages, used as people use them: a resident gives from the community
page, the chair opens a call, a member votes and the chair decides from the call's
page, the grantee reports and another member releases the tranche from the grant's
page; refused input answers 422 beside its field with nothing stored; both languages."""

from __future__ import annotations

import re

import httpx
import pytest

from market.ledger.codes import community_fund_code
from market.sql import execute
from tests.builders import login
from tests.fund_builders import (
    balance,
    call_form,
    declare_and_score,
    give,
    make_fund,
    open_call,
    open_proposals,
    propose,
)
from tests.web.forms import submit


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


async def code_of(place_id: int) -> str:
    return str((await execute("SELECT code FROM market_place WHERE id = {}", place_id))[0]["code"])


async def test_a_resident_gives_from_the_community_page(client):
    world = await make_fund()
    code = await code_of(world.place_id)
    listing = await client.get("/communities")
    assert listing.status_code == 200 and f'href="/communities/{code}"' in listing.text
    community = await client.get(f"/communities/{code}")
    assert community.status_code == 200
    assert f'href="/communities/{code}/give"' in community.text
    form = await client.get(f"/communities/{code}/give")
    response = await submit(
        client, form, f"/communities/{code}/give", {"preset": "200", "display_name": "Li Na"}
    )
    assert response.status_code == 303, response.text
    assert re.match(rf"/communities/{code}/gifts/\d+\?ref=", response.headers["location"])
    thanks = await client.get(response.headers["location"])
    assert "Thank you" in thanks.text and "Li Na" in thanks.text
    assert await balance(community_fund_code(world.place_id)) == (200_00, 0)
    community = await client.get(f"/communities/{code}")
    assert 'data-income="public"' in community.text and 'data-amount="20000"' in community.text
    assert "Li Na" in community.text


async def test_a_bad_amount_is_shown_beside_its_field_and_nothing_is_stored(client):
    world = await make_fund()
    code = await code_of(world.place_id)
    form = await client.get(f"/communities/{code}/give")
    response = await submit(
        client, form, f"/communities/{code}/give", {"preset": "other", "amount": "abc"}
    )
    assert response.status_code == 422
    assert 'id="amount-error"' in response.text
    assert not await execute("SELECT id FROM funds_gift")
    assert (await client.get("/communities/999999999999")).status_code == 404
    assert (await client.get("/communities/330109001000")).status_code == 404  # a street


async def test_the_chair_opens_a_call_and_a_bad_cap_is_refused(client, frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    code = await code_of(world.place_id)
    await login(client, world.emails[0])
    page = await client.get(f"/communities/{code}/committee")
    assert page.status_code == 200
    values = call_form(frozen_clock.at, pot="20000.00", cap="25000.00")
    refused = await submit(client, page, f"/communities/{code}/calls", values)
    assert refused.status_code == 422 and 'id="cap-error"' in refused.text
    assert not await execute("SELECT id FROM funds_call")
    opened = await submit(client, page, f"/communities/{code}/calls", {**values, "cap": "8000"})
    assert opened.status_code == 303, opened.text
    call = await client.get(opened.headers["location"])
    assert call.status_code == 200 and "Lakeside small wishes" in call.text
    assert await balance(community_fund_code(world.place_id)) == (30_000_00, 20_000_00)


async def test_votes_decision_and_a_released_tranche_through_the_pages(client, frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    code = await code_of(world.place_id)
    tender = await open_call(frozen_clock, world)
    await propose(world, "9000.00")
    await open_proposals(frozen_clock, world)
    await declare_and_score(world, world.members, recused=world.members[2])
    call_url = f"/communities/{code}/calls/{tender}"
    for email in world.emails[:2]:
        await login(client, email)
        page = await client.get(call_url)
        assert "Record my vote" in page.text
        voted = await submit(client, page, f"{call_url}/votes", {"vote": "yes"})
        assert voted.status_code == 303, voted.text
    await login(client, world.emails[0])
    decided = await submit(client, await client.get(call_url), f"{call_url}/decision")
    assert decided.status_code == 303
    page = await client.get(call_url)
    assert "Decided: 1 grant." in page.text and 'data-vote="yes"' in page.text
    assert "Does not vote (conflict of interest)" in page.text
    grant_id = int(re.search(r'href="/grants/(\d+)"', page.text).group(1))

    grantee = world.bidders[0]
    await login(client, grantee.email)
    grant_page = await client.get(f"/grants/{grant_id}")
    [tranche] = re.findall(rf"/grants/{grant_id}/tranches/(\d+)/report", grant_page.text)
    empty = await submit(
        client, grant_page, f"/grants/{grant_id}/tranches/{tranche}/report", {"report": " "},
        complete=False,
    )  # fmt: skip
    assert empty.status_code == 422 and f'id="report-{tranche}-error"' in empty.text
    reported = await submit(
        client, grant_page, f"/grants/{grant_id}/tranches/{tranche}/report",
        {"report": "We held the first workshop with 30 residents."},
    )  # fmt: skip
    assert reported.status_code == 303
    await login(client, world.emails[1])
    approve = f"/grants/{grant_id}/tranches/{tranche}/approve"
    released = await submit(client, await client.get(f"/grants/{grant_id}"), approve)
    assert released.status_code == 303
    shown = await client.get(f"/grants/{grant_id}")
    assert "Released" in shown.text and 'data-release="fund_tranche:' in shown.text
    community = await client.get(f"/communities/{code}")
    assert f'href="/grants/{grant_id}"' in community.text
    assert 'data-field="released" data-amount="450000"' in community.text
    project = await client.get(f"/projects/{tender}")  # the call's follow-the-money page
    assert "Held from the community fund" in project.text
    assert f">community:{world.place_id}:fund<" not in project.text  # named, not a code


async def test_the_community_pages_read_in_chinese(client, frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(frozen_clock, world)
    code = await code_of(world.place_id)
    client.headers["Accept-Language"] = "zh-CN"
    for path in ("/communities", f"/communities/{code}", f"/communities/{code}/give",
                 f"/communities/{code}/calls/{world.tender_id}"):  # fmt: skip
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "社区" in page.text
        for raw in ("fund_gift", "budget_hold", "Give to this", "community_fund"):
            assert raw not in page.text, (path, raw)
