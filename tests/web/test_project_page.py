"""The project page and its JSON show exactly the ledger: every figure parsed from the
rendered HTML and from /api/v1/projects is compared with `tender_funding` and with sums
over ledger_transfer; every transfer is reachable by the keyset pages and the CSV."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding
from market.ledger.rules import SOURCES
from market.sql import execute
from tests.tender_builders import make_department, make_tender
from tests.transparency_builders import (
    cancelled_project,
    funded_project,
    ledger_figures,
    transfer_count,
)

EN = {"pgm_lang": "en"}
FIELDS = ("received", "released", "refunded", "held", "pending_in")
API_FIELDS = {"pending_in": "promised"}


class FundingTable(HTMLParser):
    """(source, field) → amount from the funding table's data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.source = ""
        self.figures: dict[tuple[str, str], int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "funding-table":
            self.inside = True
        elif self.inside and tag == "tr" and a.get("data-source"):
            self.source = a["data-source"] or ""
        elif self.inside and tag == "td" and a.get("data-field"):
            self.figures[(self.source, a["data-field"] or "")] = int(a["data-amount"] or "0")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False


def funding_on_page(html: str) -> dict[tuple[str, str], int]:
    parser = FundingTable()
    parser.feed(html)
    return parser.figures


async def assert_page_equals_ledger(client, tender_id: int) -> str:  # type: ignore[no-untyped-def]
    response = await client.get(f"/projects/{tender_id}", cookies=EN)
    assert response.status_code == 200
    shown = funding_on_page(response.text)
    figures = await ledger_figures(tender_id)
    cached = await tender_funding(tender_id)
    for source in SOURCES:
        for name in FIELDS:
            expected = figures[source][name]
            assert shown[(source, name)] == expected, (source, name)
            assert getattr(cached.sources[source], name).amount == expected
    for name in FIELDS:
        assert shown[("total", name)] == sum(figures[s][name] for s in SOURCES)
    data = (await client.get(f"/api/v1/projects/{tender_id}")).json()
    for line in data["funding"]:
        for name in FIELDS:
            key = API_FIELDS.get(name, name)
            assert line[key]["amount"] == figures[line["source"]][name], (line["source"], name)
    for name in FIELDS:
        key = API_FIELDS.get(name, name)
        assert data["totals"][key]["amount"] == sum(figures[s][name] for s in SOURCES)
    assert (await run_checks()).ok
    return response.text


async def test_funded_project_page_and_json_equal_the_ledger(client, frozen_clock):
    built = await funded_project(frozen_clock)
    html = await assert_page_equals_ledger(client, built.tender_id)
    # The chart: a server-rendered SVG with a title, one bar per funded source, labels.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert "Funding by source: released, refunded and held" in html
    for label in ("Government budget", "Public donations", "Corporate sponsorship", "Held"):
        assert label in html
    # The released milestone's tranche, by source, equals its release transfers.
    first = built.milestone_ids[0]
    releases = await execute(
        "SELECT source, amount FROM ledger_transfer WHERE reason = 'release' AND reference = {}",
        f"milestone:{first}",
    )
    expected = {r["source"]: int(r["amount"]) for r in releases}
    block = html.split(f'data-tranche="milestone:{first}"', 1)[1].split("</table>", 1)[0]
    parts = dict(
        re.findall(r'data-source="(\w+)"><th scope="row">[^<]*</th><td data-amount="(\d+)"', block)
    )
    assert {s: int(a) for s, a in parts.items()} == expected
    assert "Attendance sheet" in html
    data = (await client.get(f"/api/v1/projects/{built.tender_id}")).json()
    (contract,) = data["contracts"]
    m1 = contract["milestones"][0]
    assert {p["source"]: p["amount"]["amount"] for p in m1["tranche"]["parts"]} == expected
    assert m1["tranche"]["total"]["amount"] == m1["amount"]["amount"] == sum(expected.values())
    assert contract["milestones"][1]["tranche"] is None
    assert len(m1["evidence"][0]["sha256"]) == 64
    # Counterparties in human terms: the organization's name, public donations.
    winner = await execute(
        "SELECT o.name_en FROM bids_contract c JOIN market_organization o"
        " ON o.id = c.organization WHERE c.id = {}",
        built.contract_id,
    )
    assert winner[0]["name_en"] in html
    assert "Public donations" in html
    assert "Match pledge of" in html


async def test_cancelled_project_shows_refunds_equal_to_the_ledger(client, frozen_clock):
    built = await cancelled_project()
    html = await assert_page_equals_ledger(client, built.tender_id)
    shown = funding_on_page(html)
    assert shown[("total", "held")] == 0
    assert shown[("public", "refunded")] > 0 and shown[("corporate", "refunded")] > 0
    assert "Refund to a donor" in html or "Community fund" in html


async def test_every_transfer_is_on_exactly_one_page_and_in_the_csv(client, frozen_clock):
    built = await funded_project(frozen_clock)
    count, total = await transfer_count(built.tender_id)
    seen: list[int] = []
    path = f"/api/v1/projects/{built.tender_id}/transfers?limit=4"
    while path:
        body = (await client.get(path)).json()
        seen += [item["id"] for item in body["items"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == count
    # The HTML pages walk the same way (htmx asks for the fragment only).
    html_ids: list[int] = []
    url: str | None = f"/projects/{built.tender_id}"
    while url:
        page = await client.get(url, headers={"HX-Request": "true"}, cookies=EN)
        assert page.status_code == 200 and "<html" not in page.text
        html_ids += [int(i) for i in re.findall(r'data-transfer="(\d+)"', page.text)]
        more = re.search(r'href="(/projects/\d+\?before=\d+)#transfers"', page.text)
        url = more.group(1) if more else None
    assert html_ids == seen
    response = await client.get(f"/projects/{built.tender_id}/transfers.csv", cookies=EN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == count
    assert sum(int(r["amount_minor"]) for r in rows) == total
    assert sorted(int(r["id"]) for r in rows) == sorted(seen)
    release = next(r for r in rows if r["reason"] == "release")
    assert release["from_code"].startswith(f"tender:{built.tender_id}:escrow:")
    assert release["to"] and not release["to"].startswith("org:")


async def test_bad_cursors_are_400_with_a_message(client, frozen_clock):
    built = await funded_project(frozen_clock)
    for query in ("before=abc", "before=-1", "before=0", "before=99999999999999999999"):
        page = await client.get(f"/projects/{built.tender_id}?{query}", cookies=EN)
        assert page.status_code == 400, query
        assert "page cursor" in page.text
        api = await client.get(f"/api/v1/projects/{built.tender_id}/transfers?{query}", cookies=EN)
        assert api.status_code == 400 and "cursor" in api.json()["error"]
    api = await client.get(f"/api/v1/projects/{built.tender_id}/transfers?limit=0")
    assert api.status_code == 400
    # A cursor past the oldest transfer is an empty page, not an error.
    empty = await client.get(f"/projects/{built.tender_id}?before=1", cookies=EN)
    assert empty.status_code == 200 and "No transfers on this page." in empty.text


async def test_unknown_and_draft_projects_are_404(client, frozen_clock):
    department = await make_department()
    draft = await make_tender(department, status="draft")
    for path in (
        f"/projects/{draft}",
        f"/projects/{draft}/transfers.csv",
        f"/api/v1/projects/{draft}",
        f"/api/v1/projects/{draft}/transfers",
        "/projects/999999",
        "/api/v1/projects/999999",
    ):
        response = await client.get(path, cookies=EN)
        assert response.status_code == 404, path


async def test_a_project_with_no_money_yet_says_so(client, frozen_clock):
    department = await make_department()
    tender = await make_tender(department, status="published")
    page = await client.get(f"/projects/{tender}", cookies=EN)
    assert page.status_code == 200
    assert "No contract has been signed for this project yet." in page.text
    # The budget is held at publication: promised, not yet received.
    shown = funding_on_page(page.text)
    assert shown[("government", "pending_in")] > 0
    assert shown[("government", "received")] == 0


async def test_tender_page_links_to_the_project_page(client, frozen_clock):
    department = await make_department()
    tender = await make_tender(department, status="published")
    page = await client.get(f"/tenders/{tender}", cookies=EN)
    assert f'href="/projects/{tender}"' in page.text


async def test_project_and_audit_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/api/schema/openapi.json")).json()
    for path in (
        "/api/v1/projects/{tender_id}",
        "/api/v1/projects/{tender_id}/transfers",
        "/api/v1/audit",
        "/api/v1/audit/events",
    ):
        assert path in schema["paths"], path
