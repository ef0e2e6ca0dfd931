"""B1 route × role × time: before the bids are opened nobody but the bidder learns a
bid's content, price, count or bidder from any page, fragment, API or search.

The routes are every GET route of the app's route table (parameters filled with this
tender, each bid's ref, each bidder's organization …, plus searches for words only in
the sealed proposals); the roles include every competing bidder, who may see its own
bid and nothing of the others'."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from litestar.routes import HTTPRoute

from market.sql import execute
from tests.bid_builders import CANARY, make_bidder, tender_with_bids
from tests.builders import PASSWORD, login, make_operator, make_user
from tests.web.forms import post_form

PRICES = ("150000.00", "180000.00", "190000.00")
PRICE_FORMS = (("150000", "150,000", "15000000"), ("180000", "180,000"), ("190000", "190,000"))
PRICE_TEXTS = tuple(text for forms in PRICE_FORMS for text in forms)
# Pages that list organizations whether or not they bid: a name there says nothing.
DIRECTORY = re.compile(r"^/(organizations|api/v1/organizations|operator/organizations)(/|$|\?)|^/$")
COUNT = re.compile(r"\b3\s*(bids?|份|个|家)|(bids?|投标)\W{0,3}3\b", re.IGNORECASE)


@pytest.fixture
async def world(frozen_clock, app):  # type: ignore[no-untyped-def]
    scenario = await tender_with_bids(frozen_clock, PRICES)
    evaluator = await make_user("matrix-expert@example.org", display_name="Expert")
    from bids import evaluation

    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="matrix-expert@example.org",
    )
    await evaluation.declare_interests(
        user_id=evaluator, tender_id=scenario.tender_id, conflict=False
    )
    outsider = await make_bidder("未投标机构")
    await make_operator("matrix-operator@example.org")
    names: list[list[str]] = []
    for bidder in scenario.bidders:
        org = await execute(
            "SELECT name_zh, name_en FROM market_organization WHERE id = {}", bidder.org_id
        )
        names.append([org[0]["name_zh"], org[0]["name_en"]])
    await make_user("matrix-auditor@example.org", platform_role="auditor")
    roles: dict[str, str | None] = {
        "anonymous": None,
        "other_org": outsider.email,
        "department": scenario.department.email,
        "operator": "matrix-operator@example.org",
        "auditor": "matrix-auditor@example.org",
        "evaluator": "matrix-expert@example.org",
    }
    # Every competing bidder: it sees its own bid, never another's.
    own: dict[str, int] = {}
    for i, bidder in enumerate(scenario.bidders):
        roles[f"bidder_{i}"] = bidder.email
        own[f"bidder_{i}"] = i
    return {
        "app": app,
        "scenario": scenario,
        "names": [n for pair in names for n in pair],
        "names_of": names,
        "roles": roles,
        "own": own,
        "orgs": [b.org_id for b in scenario.bidders] + [outsider.org_id],
    }


@pytest.fixture
async def session_for(app) -> AsyncIterator[object]:
    clients: list[httpx.AsyncClient] = []

    async def make(email: str | None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        if email:
            await login(client, email, PASSWORD)
        return client

    yield make
    for c in clients:
        await c.aclose()


def routes(app, world) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET path of the route table, its parameters filled with what this tender's
    bids could show up under; plus searches on sealed words and status filters."""
    scenario = world["scenario"]
    tid = scenario.tender_id
    values = {
        "tender_id": [str(tid)],
        "organization_id": [str(o) for o in world["orgs"]],
        "ref": list(scenario.refs),
        "name": [f"ocds-pgm001-{tid}.json"],
        "year": ["2026"],
        "token": ["x"],
    }
    paths: set[str] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        if route.path.startswith(("/static", "/api/schema")):
            continue
        if route.path == "/metrics":  # request counts per route over every tender (this
            continue  # sweep's own GETs), served to the operators' scraper only
        expanded = [route.path]
        for name, kind in re.findall(r"\{(\w+):(\w+)\}", route.path):
            fill = values.get(name, ["1"] if kind == "int" else ["x"])
            expanded = [p.replace(f"{{{name}:{kind}}}", v) for p in expanded for v in fill]
        paths.update(expanded)
    for listing in ("/tenders", "/api/v1/tenders"):
        paths.update(
            {
                f"{listing}?q=上门服务方案",  # words only in the sealed proposals
                f"{listing}?status=tendering",
            }
        )
    return sorted(paths)


def assert_sealed(text: str, names: list[str], where: str, *, own: int | None = None) -> None:
    """Nothing of any bid (but the viewer's own, for a bidder) in `text`."""
    for i, forms in enumerate(PRICE_FORMS):
        if i == own:
            continue
        assert f"{CANARY}-{i}" not in text, f"proposal {i} leaked on {where}"
        for price in forms:
            assert price not in text, f"price {price} leaked on {where}"
    if own is None:
        assert CANARY not in text, f"proposal leaked on {where}"
    for name in names:
        assert name not in text, f"bidder {name} leaked on {where}"
    assert not COUNT.search(text), f"bid count leaked on {where}: {COUNT.search(text)}"


async def sweep(world, session_for, *, extra_posts: bool = True) -> int:
    scenario = world["scenario"]
    checked = 0
    statuses: dict[tuple[str, str], int] = {}
    paths = routes(world["app"], world)
    assert len(paths) > 60
    for role, email in world["roles"].items():
        client = await session_for(email)
        own = world["own"].get(role)
        others = [n for i, pair in enumerate(world["names_of"]) if i != own for n in pair]
        for path in paths:
            for headers in ({}, {"HX-Request": "true"}):
                response = await client.get(path, headers=headers)
                assert response.status_code < 500, (role, path, response.status_code)
                statuses[(role, path)] = response.status_code
                # Directory pages list organizations (public): names there say nothing
                # about who bid; everywhere else a bidder's name would.
                names = [] if DIRECTORY.match(path) else others
                assert_sealed(response.text, names, f"{role} GET {path} {headers}", own=own)
                if "?q=" in path:  # a search on sealed words finds nothing
                    assert f'/tenders/{scenario.tender_id}"' not in response.text
                checked += 1
        if extra_posts and email:
            # Another organization's bid for a bidder (its own it may withdraw).
            ref = scenario.refs[0 if own is None else (own + 1) % len(scenario.refs)]
            for path in (
                f"/workspace/tenders/{scenario.tender_id}/open",
                f"/workspace/tenders/{scenario.tender_id}/award",
                f"/panels/{scenario.tender_id}/bids/{ref}/score",
                f"/bids/{ref}/withdraw",
            ):
                response = await post_form(client, path, {"mark_c1": "1"}, token_from="/dashboard")
                assert response.status_code in (403, 404, 409, 422), (role, path)
                assert_sealed(
                    response.text,
                    [n for i, p in enumerate(world["names_of"]) if i != own for n in p],
                    f"{role} POST {path}",
                    own=own,
                )
    tid = scenario.tender_id
    # The pages were really rendered for those allowed to see them (not all refusals).
    for role, path in (
        ("department", f"/workspace/tenders/{tid}/evaluation"),
        ("department", "/workspace/evaluations"),
        ("evaluator", f"/panels/{tid}"),
        ("evaluator", "/panels"),
        ("other_org", f"/tenders/{tid}/bid"),
        ("other_org", "/workspace/bids"),
        ("anonymous", f"/tenders/{tid}/results"),
        ("operator", "/operator/complaints"),
    ):
        assert statuses[(role, path)] == 200, (role, path, statuses[(role, path)])
    assert statuses[("anonymous", "/workspace/bids")] in (303, 401)
    assert statuses[("other_org", f"/bids/{scenario.refs[0]}/receipt")] == 404
    for i, ref in enumerate(scenario.refs):  # each bidder reaches its own receipt only
        for j in world["own"].values():
            assert statuses[(f"bidder_{j}", f"/bids/{ref}/receipt")] == (200 if i == j else 404)
    return checked


async def test_nothing_about_bids_leaks_one_second_before_the_deadline(
    world, session_for, frozen_clock
):
    scenario = world["scenario"]
    frozen_clock.set(scenario.deadline - timedelta(seconds=1))
    assert await sweep(world, session_for) > 100


async def test_nothing_leaks_one_second_after_the_deadline_until_opening(
    world, session_for, frozen_clock
):
    scenario = world["scenario"]
    frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    await sweep(world, session_for, extra_posts=False)
    # The department opens the bids: now it (and the declared evaluator) may see them,
    # which also proves the canary would be caught if it leaked.
    department = await session_for(scenario.department.email)
    opened = await post_form(
        department, f"/workspace/tenders/{scenario.tender_id}/open", {}, token_from="/dashboard"
    )
    assert opened.status_code == 303
    page = await department.get(f"/workspace/tenders/{scenario.tender_id}/evaluation")
    assert "150,000" in page.text
    evaluator = await session_for("matrix-expert@example.org")
    assert CANARY in (await evaluator.get(f"/panels/{scenario.tender_id}")).text
    # Until the award, the public and other organizations still see nothing.
    for email in (None, world["roles"]["other_org"]):
        client = await session_for(email)
        for path in (f"/tenders/{scenario.tender_id}/results", f"/tenders/{scenario.tender_id}"):
            assert CANARY not in (await client.get(path)).text


async def test_the_bidder_sees_its_own_receipt_but_not_others(world, session_for, frozen_clock):
    scenario = world["scenario"]
    mine, theirs = scenario.bidders[0], scenario.refs[1]
    client = await session_for(mine.email)
    own = await client.get(f"/bids/{scenario.refs[0]}/receipt")
    assert own.status_code == 200
    receipt = await execute("SELECT receipt FROM bids_bid WHERE ref = {}", scenario.refs[0])
    assert receipt[0]["receipt"] in own.text
    other = await client.get(f"/bids/{theirs}/receipt")
    assert other.status_code == 404
    their_receipt = await execute("SELECT receipt FROM bids_bid WHERE ref = {}", theirs)
    assert their_receipt[0]["receipt"] not in other.text


async def test_database_rows_hold_ciphertext_only(world):
    rows = await execute("SELECT * FROM bids_bid WHERE tender = {}", world["scenario"].tender_id)
    assert len(rows) == 3
    for row in rows:
        flat = repr(dict(row))
        assert CANARY not in flat and CANARY.encode() not in bytes(row["sealed"])
        assert row["price"] is None and row["proposal"] == ""
