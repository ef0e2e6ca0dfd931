"""The home page shows the verified organizations of the district."""

from __future__ import annotations


async def test_home_lists_the_demo_organizations_in_both_languages(demo_district, client):
    zh = await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200
    assert "民政局" in zh.text
    assert "正在筹款的项目" in zh.text and "最新中标" in zh.text
    en = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert en.status_code == 200
    assert "Civil Affairs" in en.text


async def test_home_without_organizations_shows_the_empty_state(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/organizations/register"' in response.text


async def test_home_shows_projects_seeking_funds_with_progress_by_source_from_the_ledger(
    demo_district, client
):
    from market.ledger.readmodels import tender_funding
    from market.sql import execute
    from tests.web import pages

    response = await client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.text
    assert 'id="seeking-funds"' in html
    open_rows = await execute(
        "SELECT id, budget, goal_corporate, goal_foundation, goal_public, goal_own, currency"
        " FROM market_tender WHERE status IN"
        " ('published', 'tendering', 'evaluation', 'awarded', 'contracted')"
        " ORDER BY published_at DESC, id DESC"
    )
    assert open_rows, "the demo has projects taking money"
    closed = await execute(
        "SELECT id FROM market_tender WHERE status IN ('completed', 'cancelled', 'draft')"
    )
    links = pages.links(html)
    for row in open_rows[:3]:
        tender = int(row["id"])
        assert f"/tenders/{tender}/donate" in links
        assert f"/projects/{tender}" in links
        start = html.index(f'data-tender="{tender}"')
        end = html.find('class="card project-card"', start)
        card = html[start : end if end > 0 else html.index('id="latest-awards"')]
        funding = await tender_funding(tender, row["currency"])
        raised = sum(
            f.received.amount + (f.pending_in.amount if s == "government" else 0)
            for s, f in funding.sources.items()
        )
        goal = sum(int(row[c]) for c in ("budget", "goal_corporate", "goal_foundation",
                                         "goal_public", "goal_own"))  # fmt: skip
        percent = min(100, raised * 100 // goal)
        assert f'value="{percent}"' in card
        assert f"{raised // 100:,}." in card  # the raised figure is written out
        assert "<progress" in card and "<label for=" in card
    for row in closed:
        assert f"/tenders/{row['id']}/donate" not in links


async def test_home_year_totals_equal_the_ledger(demo_district, client):
    from market import clock
    from market.ledger.rules import SOURCES
    from opendata.statistics import rules as stats_rules
    from opendata.statistics.queries import funds_by_year_scan

    year = stats_rules.local_year(clock.now())
    scan = {y.year: y for y in await funds_by_year_scan("CNY")}[year]
    raised = sum(scan.received[s] for s in SOURCES)
    released = sum(scan.released[s] for s in SOURCES)
    assert raised > 0
    html = (await client.get("/", headers={"Accept-Language": "en"})).text
    section = html[html.index('id="this-year"') : html.index('id="seeking-funds"')]
    assert f'data-amount="{raised}"' in section
    assert f'data-amount="{released}"' in section


async def test_home_lists_latest_awards_and_completed_milestones(demo_district, client):
    from market.sql import execute

    html = (await client.get("/", headers={"Accept-Language": "en"})).text
    awards = await execute("SELECT tender FROM bids_award WHERE status = 'active'")
    approved = await execute("SELECT COUNT(*) AS n FROM bids_milestone WHERE status = 'approved'")
    assert awards and int(approved[0]["n"]) > 0, "the demo has awards and approved milestones"
    awards_html = html[html.index('id="latest-awards"') : html.index('id="completed-milestones"')]
    assert f"/tenders/{awards[0]['tender']}/results" in awards_html or "/results" in awards_html
    milestones_html = html[html.index('id="completed-milestones"') :]
    assert "No milestone has been completed yet." not in milestones_html


async def test_home_empty_states(client):
    html = (await client.get("/", headers={"Accept-Language": "en"})).text
    assert "No project is seeking funds right now." in html
    assert "No tender has been awarded yet." in html
    assert "No milestone has been completed yet." in html
    assert 'data-amount="0"' in html
