"""Who may keep the district's budget, route × role: every route of the finance pages,
taken from the app's route table, tried by every role. Only the district's finance
bureau gets a page or moves money; anyone else is sent to log in (anonymous: a
page, 401 for a form) or refused (403), and the ledger and the budget tables are
unchanged after each try.
The finance bureau of another district reaches its own pages only: ours are not
found for it and its forms cannot name our lines."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar.routes import HTTPRoute

from market.sql import execute
from tests.budget_builders import appropriation, funded_line, make_district, make_finance
from tests.builders import PASSWORD, make_operator, make_org, make_user
from tests.web.forms import csrf_token, log_in


def finance_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every route under /finance, the year filled in."""
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/finance"):
            path = re.sub(r"\{year:int\}", "2026", route.path)
            for handler in route.route_handlers:
                found.extend(
                    (method, path)
                    for method in sorted(handler.http_methods)
                    if method in ("GET", "POST")
                )
    return sorted(found)


async def snapshot() -> tuple[object, ...]:
    money = await execute(
        "SELECT code, debits_pending, debits_posted, credits_pending, credits_posted"
        " FROM ledger_account ORDER BY code"
    )
    lines = await execute("SELECT id, place, category FROM market_budget_line ORDER BY id")
    years = await execute("SELECT id, year, year_end_at FROM market_budget_appropriation")
    return tuple(map(tuple, (m.values() for m in money))), len(lines), len(years), str(years)


@pytest.fixture
async def world(frozen_clock):  # type: ignore[no-untyped-def]
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 500)
    other = await funded_line(finance, appropriation_id, district.streets[1], 100)
    elsewhere = await make_finance(await make_district("330110000000"))
    staff = await make_user("matrix-staff@example.org")
    await make_org(kind="department", name_zh="民政局", category="", admin=staff)
    await make_operator("matrix-operator@example.org")
    await make_user("matrix-auditor@example.org", platform_role="auditor")
    await make_user("matrix-donor@example.org")
    roles = {
        "anonymous": None,
        "donor": "matrix-donor@example.org",
        "department": "matrix-staff@example.org",
        "operator": "matrix-operator@example.org",
        "auditor": "matrix-auditor@example.org",
        "other_finance": elsewhere.email,
        "finance": finance.email,
    }
    form = {
        "year": "2027",
        "amount": "1",
        "reference": "matrix",
        "place": str(district.communities[0]),
        "category": "charity",
        "line": str(line),
        "from_line": str(line),
        "to_line": str(other),
        "reason": "matrix",
        "key": "matrix-key-1",
    }
    return roles, form


async def session(app, email: str | None) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.cookies.set("pgm_lang", "en")
    if email:
        await log_in(client, email, PASSWORD)
    return client


async def test_only_the_districts_finance_bureau_reaches_the_finance_routes(app, world) -> None:  # type: ignore[no-untyped-def]
    roles, form = world
    routes = finance_routes(app)
    assert ("GET", "/finance") in routes and ("POST", "/finance/2026/allocations") in routes
    assert len(routes) >= 7
    for role, email in roles.items():
        client = await session(app, email)
        try:
            for method, path in routes:
                if role == "finance":
                    continue  # tried last: it changes the budget
                before = await snapshot()
                if method == "GET":
                    response = await client.get(path)
                else:
                    token = await csrf_token(client, "/login" if email is None else "/dashboard")
                    response = await client.post(path, data={**form, "_csrf_token": token})
                expected = {
                    "anonymous": {303} if method == "GET" else {401},
                    "other_finance": {200, 404, 422} if path != "/finance" else {200},
                }.get(role, {403})
                if (
                    role == "other_finance"
                    and method == "POST"
                    and path == "/finance/appropriations"
                ):
                    expected = {303}  # its own district's 2027 appropriation
                assert response.status_code in expected, (role, method, path, response.status_code)
                if role == "anonymous" and method == "GET":
                    assert response.headers["location"].startswith("/login")
                if not (role == "other_finance" and path == "/finance/appropriations"):
                    assert await snapshot() == before, (role, method, path)
        finally:
            await client.aclose()
    client = await session(app, roles["finance"])
    try:
        for method, path in routes:
            if method == "GET":
                response = await client.get(path)
                assert response.status_code == 200, (method, path)
            else:
                token = await csrf_token(client, "/finance")
                response = await client.post(path, data={**form, "_csrf_token": token})
                assert response.status_code in (303, 422), (method, path, response.status_code)
    finally:
        await client.aclose()
