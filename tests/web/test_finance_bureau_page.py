"""The operator designates the district's finance bureau as an operator does it: from
the dashboard to /operator/finance-bureau, which shows the bureau now; choosing another
verified department moves the role (audited), its members reach /finance and the
former bureau's no longer do; bad input is a clear 4xx and changes nothing."""

from __future__ import annotations

import html
import json

import pytest

from market.budget.access import designate_finance_bureau
from market.sql import execute
from tests.budget_builders import make_district
from tests.builders import login, make_operator, make_org, make_user
from tests.web.forms import post_form, submit
from tests.web.pages import links

pytestmark = pytest.mark.usefixtures("frozen_clock")
PAGE = "/operator/finance-bureau"


async def finance_of() -> dict[int, int]:
    rows = await execute(
        "SELECT id, finance_of FROM market_organization WHERE finance_of IS NOT NULL"
    )
    return {int(r["id"]): int(r["finance_of"]) for r in rows}


async def current(page: str) -> str:
    """The text of the "Finance bureau now" paragraph."""
    start = page.index('class="current"')
    return page[start : page.index("</p>", start)]


@pytest.fixture
async def bureaus():  # type: ignore[no-untyped-def]
    """A district whose finance bureau is an old department, a new verified department
    with an officer, a social organization, and an operator."""
    district = await make_district()
    old_officer = await make_user("old-officer@example.org")
    old = await make_org(
        kind="department",
        name_zh="明湖区财政办",
        name_en="Minghu Finance Office",
        category="",
        admin=old_officer,
    )
    officer = await make_user("officer@example.org")
    new = await make_org(
        kind="department",
        name_zh="明湖区财政局",
        name_en="Minghu District Finance Bureau",
        category="",
        admin=officer,
    )
    social = await make_org(name_en="Lakeside Elders' Association")
    operator = await make_operator("bureau-operator@example.org")
    await designate_finance_bureau(
        operator_id=operator, organization_id=old, district_id=district.id
    )
    return district, old, new, social, operator


async def test_the_operator_moves_the_bureau_from_the_dashboard(client, bureaus) -> None:  # type: ignore[no-untyped-def]
    district, old, new, _, operator = bureaus
    client.cookies.set("pgm_lang", "en")
    await login(client, "bureau-operator@example.org")
    dashboard = await client.get("/dashboard")
    assert PAGE in links(dashboard.text)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Minghu Finance Office" in await current(page.text)
    assert f'data-bureau="{old}"' in page.text
    moved = await submit(client, page, PAGE, {"organization": str(new)})
    assert moved.status_code == 303 and moved.headers["location"] == PAGE
    assert await finance_of() == {new: district.id}
    events = await execute(
        "SELECT actor, object_id, change FROM audit_event"
        " WHERE action = 'organization.finance_bureau' ORDER BY id"
    )
    assert [(e["actor"], e["object_id"]) for e in events][-1] == (f"user:{operator}", str(new))
    assert json.loads(events[-1]["change"]) == {"district": district.id}
    again = await client.get(PAGE)
    assert "Designated" in again.text or "designated" in again.text  # the flash
    assert "Minghu District Finance Bureau" in await current(again.text)
    assert "Minghu Finance Office" not in await current(again.text)
    # The new bureau's officer keeps the budget now; the old one's is kept out.
    client.cookies.clear()
    client.cookies.set("pgm_lang", "en")
    await login(client, "officer@example.org")
    assert (await client.get("/finance")).status_code == 200
    client.cookies.clear()
    await login(client, "old-officer@example.org")
    assert (await client.get("/finance")).status_code == 403


async def test_the_page_is_in_chinese_by_default(client, bureaus) -> None:  # type: ignore[no-untyped-def]
    await login(client, "bureau-operator@example.org")
    page = await client.get(PAGE)
    assert "现任财政部门" in page.text
    assert "明湖区财政办" in await current(page.text)
    assert "Finance bureau now" not in page.text


async def test_bad_input_is_refused_and_changes_nothing(client, bureaus) -> None:  # type: ignore[no-untyped-def]
    district, old, new, social, _ = bureaus
    client.cookies.set("pgm_lang", "en")
    await login(client, "bureau-operator@example.org")
    page = await client.get(PAGE)
    blank = await submit(client, page, PAGE, {"organization": ""}, complete=False)
    assert blank.status_code == 422
    assert "Choose a department from the list." in blank.text
    for data, status in (
        ({"district": str(district.id), "organization": "abc"}, 400),
        ({"district": "x", "organization": str(new)}, 400),
        ({"district": str(district.id), "organization": "99999999"}, 404),
        ({"district": "99999999", "organization": str(new)}, 404),
    ):
        response = await post_form(client, PAGE, data, token_from=PAGE)
        assert response.status_code == status, (data, response.text[:300])
        assert "Traceback" not in response.text
    social_org = await post_form(
        client, PAGE, {"district": str(district.id), "organization": str(social)}, token_from=PAGE
    )
    assert social_org.status_code == 422
    assert "A finance bureau is a verified government department." in social_org.text
    street = await post_form(
        client,
        PAGE,
        {"district": str(district.streets[0]), "organization": str(new)},
        token_from=PAGE,
    )
    assert street.status_code == 422
    assert "A finance bureau keeps a district's budget." in html.unescape(street.text)
    assert await finance_of() == {old: district.id}


async def test_only_operators_reach_the_page(client, bureaus) -> None:  # type: ignore[no-untyped-def]
    district, _, new, _, _ = bureaus
    assert (await client.get(PAGE)).status_code in (302, 303, 401)
    await login(client, "officer@example.org")
    assert (await client.get(PAGE)).status_code == 403
    response = await post_form(
        client,
        PAGE,
        {"district": str(district.id), "organization": str(new)},
        token_from="/dashboard",
    )
    assert response.status_code == 403
    assert PAGE not in links((await client.get("/dashboard")).text)
