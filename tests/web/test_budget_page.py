"""/budget as a visitor uses it: reached from the navigation and the statistics page,
every figure equal to the ledger, filtered through its own form, each line linking to
the tenders held against it and on to their project pages, the line list paged, bad
filters refused with a 400, both languages, no log-in."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from market.budget import services as budget_services
from market.ledger.codes import budget_line_code
from market.tenders.inputs import CATEGORIES
from opendata.budget import lines, rules
from tests.budget_read_builders import (
    LINES,
    YEAR,
    appropriation_in_ledger,
    budget_lines,
    budget_world,
    cny,
    line_in_ledger,
)
from tests.opendata_builders import releases_of
from tests.web import pages

EN = {"pgm_lang": "en"}


class Amounts(HTMLParser):
    """data-amount of each data-field cell, per row key (data-line, data-key, …)."""

    KEYS = ("data-line", "data-key", "data-tender", "data-appropriation")

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, int]]] = {}
        self._table = ""
        self._row = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("table", "dl"):
            self._row = ""
            if a.get("id"):
                self._table = a["id"]
            elif "budget-totals" in a.get("class", ""):
                self._table = "totals"
        if tag == "tr":
            self._row = next((a[k] for k in self.KEYS if k in a), "")
        if "data-field" in a and "data-amount" in a:
            row = self.tables.setdefault(self._table, {}).setdefault(self._row, {})
            row[a["data-field"]] = int(a["data-amount"])


def amounts(html: str) -> dict[str, dict[str, dict[str, int]]]:
    parser = Amounts()
    parser.feed(html)
    return parser.tables


async def test_the_page_is_linked_from_the_navigation_and_the_statistics(client):
    home = await client.get("/")
    assert "/budget" in pages.links(home.text)
    statistics = await client.get("/statistics")
    assert "/budget" in pages.links(statistics.text)
    response = await client.get("/budget")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.text and "预算执行" in response.text
    assert "/budget/datapackage.json" in pages.links(response.text)


async def test_with_no_appropriation_the_page_says_so(client):
    client.cookies.update(EN)
    response = await client.get("/budget")
    assert response.status_code == 200
    assert "No appropriation has been recorded yet" in response.text
    assert "<svg" not in response.text


async def test_every_figure_on_the_page_equals_the_ledger(client, frozen_clock):
    world = await budget_world(frozen_clock)
    client.cookies.update(EN)
    response = await client.get("/budget")
    assert response.status_code == 200
    tables = amounts(response.text)
    shown = tables["line-table"]
    assert set(shown) == {str(i) for i in world.lines.values()}
    for line_id in world.lines.values():
        assert shown[str(line_id)] == await line_in_ledger(line_id)
    every = [await line_in_ledger(i) for i in world.lines.values()]
    total = {p: sum(f[p] for f in every) for p in rules.LINE_PHASES}
    assert tables["by-tier"]["total"] == total == tables["by-category"]["total"]
    assert tables["totals"][""] == total
    tiers = tables["by-tier"]
    community = [await line_in_ledger(world.lines[n]) for n in ("lakeside", "willow")]
    assert tiers["community"] == {p: sum(f[p] for f in community) for p in rules.LINE_PHASES}
    ledger = await appropriation_in_ledger(world)
    (row,) = tables["appropriations"].values()
    assert row["appropriated"] == ledger["appropriated"] == cny(20_000_000).amount
    assert row["unallocated"] == ledger["unallocated"]
    assert row["allocated"] == total["allocated"] and row["returned"] == total["returned"]
    svgs = response.text.split("<svg")[1:]
    assert len(svgs) == 2  # by tier, by category: each beside its table
    for chunk in svgs:
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")


async def test_the_filter_form_narrows_the_lines(client, frozen_clock):
    world = await budget_world(frozen_clock)
    client.cookies.update(EN)
    page = await client.get("/budget")
    form = pages.form(page.text, "budget-filters")
    assert form.method == "get" and form.action == "/budget"
    assert dict(form.fields)["year"] == str(YEAR)
    hubin = world.codes["hubin"]
    response = await client.get(form.action, params=form.values(place=hubin))
    shown = amounts(response.text)["line-table"]
    assert set(shown) == {str(world.lines[n]) for n in ("hubin", "lakeside", "willow")}
    response = await client.get(form.action, params=form.values(tier="community"))
    assert set(amounts(response.text)["line-table"]) == {
        str(world.lines[n]) for n in ("lakeside", "willow")
    }
    response = await client.get(form.action, params=form.values(category="charity"))
    assert set(amounts(response.text)["line-table"]) == {str(world.lines["beishan"])}
    response = await client.get(form.action, params=form.values(year=str(YEAR + 1)))
    assert "No budget line matches these filters." in response.text


async def test_a_line_links_to_its_tenders_and_on_to_their_projects(client, frozen_clock):
    world = await budget_world(frozen_clock)
    client.cookies.update(EN)
    page = await client.get("/budget")
    lakeside = world.lines["lakeside"]
    link = next(u for u in pages.links(page.text) if f"line={lakeside}" in u)
    response = await client.get(link)
    assert response.status_code == 200
    assert "Tenders held against this line" in response.text
    tenders = amounts(response.text)["tender-table"]
    cancelled, contracted = world.tenders["cancelled"], world.tenders["contracted"]
    assert set(tenders) == {str(cancelled), str(contracted)}
    assert tenders[str(cancelled)] == {
        "held": cny(200_000).amount,
        "committed": 0,
        "released": 0,
        "back_to_line": cny(200_000).amount,
    }
    assert tenders[str(contracted)] == {
        "held": cny(200_000).amount,
        "committed": cny(75_000).amount,
        "released": cny(75_000).amount,
        "back_to_line": cny(50_000).amount,
    }
    project = f"/projects/{contracted}"
    assert project in pages.links(response.text, link)
    assert (await client.get(project)).status_code == 200


async def test_a_long_list_of_lines_is_paged(client):
    world = await budget_lines()
    taken = {(slug, category) for _, slug, category, _ in LINES}
    for slug in ("district", "hubin", "lakeside", "willow", "beishan"):
        for category in CATEGORIES:
            if (slug, category) not in taken:
                await budget_services.open_line(
                    appropriation_id=world.appropriation,
                    place_id=world.places[slug],
                    category=category,
                    user_id=world.user,
                )
    client.cookies.update(EN)
    first = await client.get("/budget")
    shown = amounts(first.text)["line-table"]
    assert len(shown) == lines.PAGE_SIZE
    nxt = next(u for u in pages.links(first.text) if "after=" in u)
    second = await client.get(nxt)
    rest = amounts(second.text)["line-table"]
    assert len(rest) == 5 * len(CATEGORIES) - lines.PAGE_SIZE
    assert not set(rest) & set(shown)
    assert "More budget lines" not in second.text and "First page" in second.text


async def test_bad_filters_are_refused_with_400(client, frozen_clock):
    await budget_lines()
    client.cookies.update(EN)
    for query in (
        "year=abc",
        "year=1850",
        "tier=province",
        "place=123",
        "category=elderly",
        "line=x",
        "after=99999",
        "after=2026.330109000000.0",
    ):
        response = await client.get(f"/budget?{query}")
        assert response.status_code == 400, query
        assert "Traceback" not in response.text
    # a well-formed code of a place the district does not have
    assert (await client.get("/budget?place=110101000000")).status_code == 404


async def test_the_page_is_public_and_chinese_by_default(client, frozen_clock):
    await budget_lines()
    response = await client.get("/budget")
    assert response.status_code == 200
    assert "预算执行" in response.text and "湖滨街道" in response.text
    assert "Budget execution" not in response.text


async def test_the_project_page_names_the_line_its_budget_came_from(client, frozen_clock):
    world = await budget_world(frozen_clock)
    contracted = world.tenders["contracted"]
    response = await client.get(f"/projects/{contracted}")
    assert response.status_code == 200
    assert "预算线：湖畔社区 · 社区服务 · 2026" in response.text
    assert ">budget:line:" not in response.text  # only in the cell's title (the code)
    client.cookies.update(EN)
    english = await client.get(f"/projects/{contracted}")
    assert "Budget line: Lakeside Community · Community services · 2026" in english.text


def _line_link(html: str, base: str) -> str:
    """The href inside the page's #budget-line element."""
    start = html.index('id="budget-line"')
    return next(u for u in pages.links(html[start : html.index("</", start) + 200], base))


async def test_the_tender_and_project_pages_name_the_line_and_link_to_its_figures(
    client, frozen_clock
):
    world = await budget_world(frozen_clock)
    lakeside = world.lines["lakeside"]
    client.cookies.update(EN)
    for tender in (world.tenders["contracted"], world.tenders["cancelled"]):
        for path in (f"/tenders/{tender}", f"/projects/{tender}"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert f'id="budget-line" data-line="{lakeside}"' in page.text, path
            assert "Lakeside Community · Community services · 2026" in page.text, path
            link = _line_link(page.text, path)
            assert link == f"/budget?year={YEAR}&line={lakeside}", path
            figures = await client.get(link)
            shown = amounts(figures.text)
            assert set(shown["line-table"]) == {str(lakeside)}
            assert shown["line-table"][str(lakeside)] == await line_in_ledger(lakeside)
            assert str(tender) in shown["tender-table"]
        # OCDS planning.budget names the same line and points at the same figures.
        (*_, release) = await releases_of(tender)
        budget = release["planning"]["budget"]
        assert budget["id"] == budget_line_code(lakeside)
        assert budget["uri"].endswith(f"/api/v1/budget?line={lakeside}&year={YEAR}")
        assert "Lakeside Community" in budget["description"]
    sandbox = await client.get(f"/tenders/{world.tenders['sandbox']}")
    assert 'id="budget-line"' not in sandbox.text
    client.cookies.set("pgm_lang", "zh_Hans")
    chinese = await client.get(f"/tenders/{world.tenders['contracted']}")
    assert "湖畔社区 · 社区服务 · 2026" in chinese.text


async def test_a_filtered_view_equals_the_ledger_with_a_cancelled_hold_back_in_its_line(
    client, frozen_clock
):
    world = await budget_world(frozen_clock)
    client.cookies.update(EN)
    page = await client.get("/budget")
    form = pages.form(page.text, "budget-filters")
    response = await client.get(
        form.action, params=form.values(tier="community", category="community_services")
    )
    assert response.status_code == 200
    tables = amounts(response.text)
    lakeside = world.lines["lakeside"]
    assert set(tables["line-table"]) == {str(lakeside)}
    in_ledger = await line_in_ledger(lakeside)
    assert tables["line-table"][str(lakeside)] == in_ledger
    assert tables["totals"][""] == in_ledger
    assert (
        tables["by-tier"]["community"] == in_ledger == tables["by-category"]["community_services"]
    )
    # the appropriation is shown whole: all its lines, whatever the filter
    every = [await line_in_ledger(i) for i in world.lines.values()]
    (row,) = tables["appropriations"].values()
    assert row["allocated"] == sum(f["allocated"] for f in every)
    assert row["returned"] == sum(f["returned"] for f in every) == cny(1_200_000).amount
    # the line's tenders: the cancelled one's hold is back in the line
    link = next(u for u in pages.links(response.text) if f"line={lakeside}" in u)
    tenders = amounts((await client.get(link)).text)["tender-table"]
    assert tenders[str(world.tenders["cancelled"])]["back_to_line"] == cny(200_000).amount
    assert tenders[str(world.tenders["cancelled"])]["committed"] == 0
    api = (
        await client.get(
            "/api/v1/budget",
            params={"year": YEAR, "tier": "community", "category": "community_services"},
        )
    ).json()
    assert [line["id"] for line in api["lines"]] == [lakeside]
    assert {p: api["lines"][0]["figures"][p]["amount"] for p in rules.LINE_PHASES} == in_ledger
    (appropriation,) = api["appropriations"]
    assert {p: appropriation["lines"][p]["amount"] for p in rules.LINE_PHASES} == {
        p: sum(f[p] for f in every) for p in rules.LINE_PHASES
    }
