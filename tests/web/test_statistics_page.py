"""/statistics and /api/v1/statistics: charts with a table each, empty states, JSON
that matches the page, public without log-in."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from tests.builders import make_org
from tests.donation_builders import make_tender
from tests.services.test_track_record import completed_with_one_late_milestone
from tests.web.pages import varies_on

EN = {"pgm_lang": "en"}


def english(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.cookies.update(EN)
    return client


async def test_empty_district_shows_empty_states(client):
    response = await english(client).get("/statistics")
    assert response.status_code == 200
    assert "HX-Request" in varies_on(response.headers)
    for text in (
        "No social organizations are registered yet.",
        "No money has moved through project escrow yet.",
        "No tenders have been published yet.",
    ):
        assert text in response.text
    assert "<svg" not in response.text


async def test_page_has_a_chart_and_a_table_for_each_figure(client, frozen_clock):
    await make_org(category="charity")
    await make_org(category="charity")
    await make_org(category="dispute_mediation")
    await make_tender(status="tendering")
    await completed_with_one_late_milestone(frozen_clock)
    response = await english(client).get("/statistics")
    assert response.status_code == 200
    html = response.text
    for table in (
        'id="by-category"',
        'id="growth"',
        'id="funds-received"',
        'id="funds-released"',
        'id="funds-returned"',
        'id="tender-statuses"',
    ):
        assert table in html
    svgs = html.count("<svg")
    assert svgs == 5  # categories, growth, received, released, tenders
    for chunk in html.split("<svg")[1:]:
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")  # well-formed
    assert "Registered social organizations by category" in html
    assert "Charity" in html and "Public donations" in html
    assert '<th scope="row">Charity</th><td>2</td>' in html


async def test_page_is_in_chinese_by_default(client):
    await make_org(category="charity")
    response = await client.get("/statistics")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.text


async def test_api_matches_the_figures_and_is_in_the_schema(client, frozen_clock):
    await make_org(category="charity")
    scenario, _, _ = await completed_with_one_late_milestone(frozen_clock)
    body = (await client.get("/api/v1/statistics")).json()
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["currency"] == "CNY"
    # the builder's bidders are social organizations too
    assert body["organizations"] == 1 + len(scenario.bidders)
    by_category = {c["code"]: c["count"] for c in body["organizations_by_category"]}
    assert by_category["charity"] == 1
    released = {r["source"]: r["amount"]["amount"] for r in body["funds_total"]["released"]}
    assert sum(released.values()) == 15_000_000
    assert body["tenders"] == sum(t["count"] for t in body["tenders_by_status"]) == 1
    assert {t["code"]: t["count"] for t in body["tenders_by_status"]}["completed"] == 1
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/v1/statistics" in schema["paths"]
    assert "/api/v1/organizations/{organization_id}/record" in schema["paths"]
