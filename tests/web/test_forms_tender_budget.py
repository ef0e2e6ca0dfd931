"""The tender form once the district has places and budget lines, filled as a
department official fills it: the place from the list (not typed), a budget line of
the year; publication holds the budget from that line, and "the line does not have
¥X free" is shown on the page, nothing held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market.ledger.codes import budget_line_code
from market.ledger.services import get_account
from market.sql import execute
from tests.budget_builders import (
    appropriation,
    department_without_budget,
    funded_line,
    make_district,
    make_finance,
)
from tests.builders import login
from tests.tender_builders import local
from tests.web.forms import find_form, submit

pytestmark = pytest.mark.usefixtures("frozen_clock")
DAY = timedelta(days=1)


@pytest.fixture
async def world(client, frozen_clock):  # type: ignore[no-untyped-def]
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 300_000)
    charity = await funded_line(finance, appropriation_id, district.streets[0], 50_000, "charity")
    department = await department_without_budget()
    client.cookies.set("pgm_lang", "en")
    await login(client, department.email)
    return district, line, charity


def typed(now, **values: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the official types: a title, the service, its place and line, the money,
    one criterion and the dates."""
    return {
        "title_zh": "湖畔社区长者助餐",
        "category": "community_services",
        "budget": "120000",
        "criterion_name_0": "服务方案",
        "criterion_weight_0": "100",
        "enquiry_end": local(now + 5 * DAY),
        "bid_deadline": local(now + 10 * DAY),
        **values,
    }


async def free(line: int) -> int:
    return (await get_account(budget_line_code(line))).available.amount


async def test_a_tender_of_a_community_held_against_its_streets_line(
    client,  # type: ignore[no-untyped-def]
    world,
    frozen_clock,
) -> None:
    district, line, _ = world
    page = await client.get("/workspace/tenders/new")
    form = find_form(page.text, "/workspace/tenders/")
    assert {"place", "budget_line"} <= form.names and "area" not in form.names
    assert "CN¥300,000.00 free" in page.text
    saved = await submit(
        client,
        page,
        "/workspace/tenders/",
        typed(frozen_clock.at, place=str(district.communities[0]), budget_line=str(line)),
    )
    assert saved.status_code == 303, saved.text
    manage_url = saved.headers["location"]
    manage = await client.get(manage_url)
    assert (
        'id="budget-line"' in manage.text
        and "Hubin Subdistrict · Community services" in manage.text
    )
    published = await submit(client, manage, f"{manage_url}/publish")
    assert published.status_code == 303
    tender = int(manage_url.rsplit("/", 1)[1])
    row = (
        await execute(
            "SELECT status, area, area_level, budget_line FROM market_tender WHERE id = {}", tender
        )
    )[0]
    assert dict(row) == {
        "status": "published",
        "area": "湖滨街道·湖畔社区",
        "area_level": "community",
        "budget_line": line,
    }
    assert await free(line) == 180_000_00


async def test_publication_beyond_the_lines_free_money_is_refused_on_the_page(
    client,  # type: ignore[no-untyped-def]
    world,
    frozen_clock,
) -> None:
    district, _, charity = world
    page = await client.get("/workspace/tenders/new")
    saved = await submit(
        client,
        page,
        "/workspace/tenders/",
        typed(
            frozen_clock.at,
            category="charity",
            place=str(district.streets[0]),
            budget_line=str(charity),
            budget="60000",
        ),
    )
    assert saved.status_code == 303, saved.text
    manage = await client.get(saved.headers["location"])
    refused = await submit(client, manage, f"{saved.headers['location']}/publish")
    assert refused.status_code == 422
    assert "The budget line does not have CN¥60,000.00 free (it has CN¥50,000.00)." in refused.text
    client.cookies.set("pgm_lang", "zh_Hans")
    manage = await client.get(saved.headers["location"])
    refused = await submit(client, manage, f"{saved.headers['location']}/publish")
    assert refused.status_code == 422
    assert "¥60,000.00" in refused.text and "¥50,000.00" in refused.text
    assert "CN¥" not in refused.text
    assert await free(charity) == 50_000_00


async def test_a_line_or_place_that_does_not_fit_is_shown_beside_its_field(
    client,  # type: ignore[no-untyped-def]
    world,
    frozen_clock,
) -> None:
    district, line, charity = world
    page = await client.get("/workspace/tenders/new")
    cases = (
        (
            {"place": str(district.streets[1]), "budget_line": str(line)},
            "budget_line",
            "This budget line is not for the tender&#39;s category and place",
        ),
        (
            {"place": str(district.streets[0]), "budget_line": str(charity)},
            "budget_line",
            "This budget line is not for the tender&#39;s category and place",
        ),
        ({"place": "", "budget_line": ""}, "place", "Choose the place the service covers."),
    )
    for values, field, message in cases:
        refused = await submit(
            client, page, "/workspace/tenders/", typed(frozen_clock.at, **values), complete=False
        )
        assert refused.status_code == 422, refused.text[:300]
        assert f'id="{field}-error"' in refused.text and message in refused.text
    assert not await execute("SELECT id FROM market_tender")


async def test_an_amendment_keeps_the_place_and_holds_a_new_budget_on_the_same_line(
    client,  # type: ignore[no-untyped-def]
    world,
    frozen_clock,
) -> None:
    district, line, _ = world
    page = await client.get("/workspace/tenders/new")
    saved = await submit(
        client,
        page,
        "/workspace/tenders/",
        typed(frozen_clock.at, place=str(district.streets[0]), budget_line=str(line)),
    )
    manage_url = saved.headers["location"]
    await submit(client, await client.get(manage_url), f"{manage_url}/publish")
    amend = await client.get(f"{manage_url}/amend")
    form = find_form(amend.text, f"{manage_url}/amend")
    assert not {"place", "budget_line", "area"} & form.names
    assert "湖滨街道" in amend.text and "fixed at publication" in amend.text
    amended = await submit(
        client, amend, f"{manage_url}/amend", {"budget": "150000", "note": "Two more canteens"}
    )
    assert amended.status_code == 303, amended.text
    assert await free(line) == 150_000_00
    tender = int(manage_url.rsplit("/", 1)[1])
    row = (await execute("SELECT area, place, budget FROM market_tender WHERE id = {}", tender))[0]
    assert dict(row) == {"area": "湖滨街道", "place": district.streets[0], "budget": 150_000_00}
