"""The tender form once the district has places and budget lines, filled as a
department official fills it: the place from the list (not typed), a budget line of
the year; publication holds the budget from that line, and "the line does not have
¥X free" is shown on the page, nothing held."""

from __future__ import annotations

import re
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


def line_options(html: str) -> set[int]:
    """The budget lines the page's (or fragment's) budget-line select offers."""
    start = html.index('<select name="budget_line"')
    return {
        int(v)
        for v in re.findall(r'<option value="(\d+)"', html[start : html.index("</select>", start)])
    }


async def test_the_line_select_narrows_to_the_place_and_category_chosen(
    client,  # type: ignore[no-untyped-def]
    frozen_clock,
) -> None:
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000_000)
    hubin = await funded_line(finance, appropriation_id, district.streets[0], 300_000)
    charity = await funded_line(finance, appropriation_id, district.streets[0], 50_000, "charity")
    beishan = await funded_line(finance, appropriation_id, district.streets[1], 100_000)
    whole = await funded_line(finance, appropriation_id, district.id, 100_000)
    department = await department_without_budget()
    client.cookies.set("pgm_lang", "en")
    await login(client, department.email)
    page = await client.get("/workspace/tenders/new")
    # Without JavaScript the select offers every line of the year (the server checks the fit).
    assert line_options(page.text) == {hubin, charity, beishan, whole}
    # The place and category ask for the select again when either changes (htmx).
    source = re.search(r'hx-get="([^"]+)" hx-trigger="change" hx-include="([^"]+)"', page.text)
    assert source is not None
    url, include = source.groups()
    assert all(f"[name='{n}']" in include for n in ("place", "category", "budget_line"))
    hx = {"HX-Request": "true"}
    lakeside = str(district.communities[0])  # in Hubin
    cases = (
        ({"place": lakeside, "category": "community_services"}, {hubin, whole}),
        ({"place": lakeside, "category": "charity"}, {charity}),
        (
            {"place": str(district.communities[2]), "category": "community_services"},
            {beishan, whole},
        ),
        ({"place": str(district.id), "category": "community_services"}, {whole}),
        ({"place": "", "category": "community_services"}, {hubin, beishan, whole}),
        ({"place": lakeside, "category": ""}, {hubin, charity, whole}),
    )
    for params, expected in cases:
        fragment = await client.get(url, params={**params, "budget_line": ""}, headers=hx)
        assert fragment.status_code == 200, params
        assert 'id="budget-line-field"' in fragment.text and "<html" not in fragment.text
        assert line_options(fragment.text) == expected, params
    kept = await client.get(
        url,
        params={"place": lakeside, "category": "community_services", "budget_line": str(hubin)},
        headers=hx,
    )
    assert f'<option value="{hubin}" selected>' in kept.text
    none_fits = await client.get(
        url, params={"place": lakeside, "category": "dispute_mediation"}, headers=hx
    )
    assert line_options(none_fits.text) == set()
    assert "no line of this year fits this place and category" in none_fits.text
    # The form is sent with the line chosen from the narrowed select: held against it.
    saved = await submit(
        client,
        page,
        "/workspace/tenders/",
        typed(frozen_clock.at, place=lakeside, budget_line=str(whole)),
    )
    assert saved.status_code == 303, saved.text
    tender = int(saved.headers["location"].rsplit("/", 1)[1])
    (row,) = await execute("SELECT place, budget_line FROM market_tender WHERE id = {}", tender)
    assert (int(row["place"]), int(row["budget_line"])) == (int(lakeside), whole)
    # Bad input is a clear 4xx.
    for params, status in (
        ({"place": "abc"}, 400),
        ({"category": "elderly"}, 400),
        ({"place": "99999999"}, 404),
    ):
        assert (await client.get(url, params=params, headers=hx)).status_code == status, params


async def test_only_departments_ask_for_the_line_select(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/workspace/tenders/budget-lines")).status_code in (302, 303, 401)
