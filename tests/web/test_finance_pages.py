"""The finance bureau's pages, used as its officer uses them: from the dashboard to the
district budget, record the year's appropriation, open lines per street and community,
allocate, re-allocate with a reason, see each line's figures, and run the year end —
with every refusal a clear message beside its form (422) and nothing moved."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from market.ledger.codes import appropriation_code, budget_line_code
from market.ledger.services import get_account
from market.sql import execute
from tests.budget_builders import appropriation, funded_line, make_district, make_finance
from tests.builders import login
from tests.web.forms import find_form, submit
from tests.web.pages import links

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
async def officer(client):  # type: ignore[no-untyped-def]
    district = await make_district()
    finance = await make_finance(district)
    client.cookies.set("pgm_lang", "en")
    await login(client, finance.email)
    return district, finance


async def lines_by_place() -> dict[int, int]:
    rows = await execute("SELECT id, place FROM market_budget_line ORDER BY id")
    return {int(r["place"]): int(r["id"]) for r in rows}


async def posted(code: str) -> int:
    return (await get_account(code)).posted.amount


async def test_the_officer_records_the_year_opens_lines_allocates_and_reallocates(
    client,  # type: ignore[no-untyped-def]
    officer,
) -> None:
    district, _ = officer
    dashboard = await client.get("/dashboard")
    assert "/finance" in links(dashboard.text)
    page = await client.get("/finance")
    assert "No appropriation is recorded yet." in page.text
    recorded = await submit(
        client,
        page,
        "/finance/appropriations",
        {"year": "2026", "amount": "20,000,000", "reference": "明财预〔2026〕1号"},
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == "/finance/2026"
    year = await client.get("/finance/2026")
    street, community = district.streets[0], district.communities[0]
    for place in (street, community):
        year = await client.get("/finance/2026")
        opened = await submit(
            client,
            year,
            "/finance/2026/lines",
            {"place": str(place), "category": "community_services"},
        )
        assert opened.status_code == 303, opened.text
    line = await lines_by_place()
    year = await client.get("/finance/2026")
    allocated = await submit(
        client, year, "/finance/2026/allocations", {"line": str(line[street]), "amount": "1000000"}
    )
    assert allocated.status_code == 303, allocated.text
    year = await client.get("/finance/2026")
    moved = await submit(
        client,
        year,
        "/finance/2026/reallocations",
        {
            "from_line": str(line[street]),
            "to_line": str(line[community]),
            "amount": "250000",
            "reason": "Two new day centres in Lakeside",
        },
    )
    assert moved.status_code == 303, moved.text
    assert await posted(appropriation_code(2026, district.id)) == 19_000_000_00
    assert await posted(budget_line_code(line[street])) == 750_000_00
    assert await posted(budget_line_code(line[community])) == 250_000_00
    shown = await client.get("/finance/2026")
    assert "Money re-allocated; the reason is on the audit trail." in shown.text
    assert "Two new day centres in Lakeside" in shown.text
    assert f'<tr id="line-{line[street]}">' in shown.text
    assert 'data-field="free"><span data-amount="75000000">' in shown.text
    assert '<dd id="unallocated"><span data-amount="1900000000">' in shown.text
    overview = await client.get("/finance")
    assert 'href="/finance/2026"' in overview.text


async def test_refusals_are_shown_beside_their_form_and_move_nothing(
    client,  # type: ignore[no-untyped-def]
    officer,
) -> None:
    district, finance = officer
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 600)
    other = await funded_line(finance, appropriation_id, district.streets[1], 0)
    page = await client.get("/finance/2026")
    cases = (
        (
            "/finance/2026/allocations",
            {"line": str(other), "amount": "401"},
            "Only CN¥400.00 of the appropriation is unallocated.",
        ),
        ("/finance/2026/allocations", {"line": str(other), "amount": "12abc"}, "e.g. 500000.00"),
        (
            "/finance/2026/reallocations",
            {"from_line": str(line), "to_line": str(other), "amount": "10", "reason": ""},
            "Say why the money moves.",
        ),
        (
            "/finance/2026/reallocations",
            {"from_line": str(line), "to_line": str(other), "amount": "601", "reason": "x"},
            "The line has only CN¥600.00 free.",
        ),
        (
            "/finance/2026/lines",
            {"place": str(district.streets[0]), "category": "community_services"},
            "This place already has a line for this category and year.",
        ),
    )
    for action, values, message in cases:
        refused = await submit(client, page, action, values, complete=False)
        assert refused.status_code == 422, (action, refused.text[:500])
        assert message in refused.text, (action, message)
        assert 'class="error-box" role="alert"' in refused.text
    overview = await client.get("/finance")
    for values, message in (
        ({"year": "2026", "amount": "5"}, "The 2026 appropriation is recorded already."),
        ({"year": "2024", "amount": "5"}, "Record the appropriation of 2026 or 2027."),
        ({"year": "next", "amount": "5"}, "Enter the budget year, e.g. 2027."),
    ):
        refused = await submit(client, overview, "/finance/appropriations", values)
        assert refused.status_code == 422 and message in refused.text
    assert await posted(budget_line_code(line)) == 600_00
    assert await posted(budget_line_code(other)) == 0


async def test_an_amount_in_a_refusal_is_written_as_the_pages_language_writes_money(
    client,  # type: ignore[no-untyped-def]
    officer,
) -> None:
    district, finance = officer
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 600)
    other = await funded_line(finance, appropriation_id, district.streets[1], 0)
    for lang, unallocated, free in (
        ("en", "Only CN¥400.00 of the appropriation is unallocated.", "only CN¥600.00 free"),
        ("zh_Hans", "该年度拨款只剩 ¥400.00 未分配。", "该预算线只有 ¥600.00 可用。"),
    ):
        client.cookies.set("pgm_lang", lang)
        page = await client.get("/finance/2026")
        refused = await submit(
            client, page, "/finance/2026/allocations", {"line": str(other), "amount": "401"}
        )
        assert refused.status_code == 422 and unallocated in refused.text, lang
        assert "CN¥" not in refused.text if lang == "zh_Hans" else True
        page = await client.get("/finance/2026")
        refused = await submit(
            client,
            page,
            "/finance/2026/reallocations",
            {"from_line": str(line), "to_line": str(other), "amount": "601", "reason": "x"},
        )
        assert refused.status_code == 422 and free in refused.text, lang


async def test_the_year_end_is_shown_and_can_be_run_once_the_year_has_closed(
    client,  # type: ignore[no-untyped-def]
    officer,
    frozen_clock,
) -> None:
    district, finance = officer
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 600)
    page = await client.get("/finance/2026")
    assert "Open: the year closes on" in page.text and "/finance/2026/year-end" not in page.text
    frozen_clock.set(datetime(2027, 1, 1, 3, 0, tzinfo=UTC))
    await login(client, finance.email)  # the session has idled out meanwhile
    page = await client.get("/finance/2026")
    assert "its year end has not run yet" in page.text
    assert "/finance/2026/allocations" not in page.text  # a closed year takes no change
    ran = await submit(client, page, "/finance/2026/year-end")
    assert ran.status_code == 303
    page = await client.get("/finance/2026")
    assert "its year end ran on" in page.text
    assert await posted(budget_line_code(line)) == 0
    assert await posted(appropriation_code(2026, district.id)) == 1_000_00
    overview = await client.get("/finance")
    assert "done" in overview.text


async def test_a_year_without_an_appropriation_is_not_found(client, officer) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/finance/2031")).status_code == 404


async def test_the_pages_speak_chinese(client, officer) -> None:  # type: ignore[no-untyped-def]
    district, finance = officer
    appropriation_id = await appropriation(finance, district, 1_000)
    await funded_line(finance, appropriation_id, district.communities[1], 600, "charity")
    client.cookies.set("pgm_lang", "zh_Hans")
    page = await client.get("/finance/2026")
    assert page.status_code == 200
    shown = re.sub(r"<[^>]+>", " ", page.text)  # what a reader sees
    for text in ("预算", "柳岸社区", "慈善", "可用"):
        assert text in shown
    for raw in ("charity", "community_services", "budget:line", "Budget lines", "Allocate"):
        assert raw not in shown
    form = find_form(page.text, "/finance/2026/allocations")
    assert "line" in form.names
