"""Every private response carries `Cache-Control: no-store`: every GET route of the
app's route table answered to a signed-in person (whatever the status), and donation
pages, receipts and PDFs answered to anyone. Public pages to anonymous visitors and
static files stay cacheable."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from donors import donations
from market.money import Money
from tests.builders import login, make_org, make_user
from tests.donation_builders import make_tender


def get_paths(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        if route.path.startswith(("/static", "/api/schema")):
            continue
        paths.append(route.path)
    return sorted(set(paths))


def filled(path: str, number: int) -> str:
    path = re.sub(r"\{[a-z_]+:int\}", str(number), path)
    return re.sub(r"\{[a-z_]+(:str|:path)?\}", "x", path)


async def test_every_get_route_answers_a_signed_in_person_with_no_store(app, client) -> None:
    user = await make_user("cache@example.org")
    organization = await make_org(kind="department", admin=user)
    tender = await make_tender()
    await login(client, "cache@example.org")
    paths = get_paths(app)
    assert len(paths) > 40
    for path in paths:
        for number in sorted({tender, organization, 1}):
            response = await client.get(filled(path, number))
            assert "no-store" in response.headers.get("cache-control", ""), (
                path,
                number,
                response.status_code,
            )


async def test_donation_pages_and_receipts_are_no_store_for_anyone(client) -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="sandbox"
    )
    for suffix in ("", "/receipt", "/receipt.pdf"):
        response = await client.get(f"/donations/{started.donation_id}{suffix}")
        assert "no-store" in response.headers.get("cache-control", ""), suffix


async def test_public_pages_to_anonymous_visitors_stay_cacheable(client) -> None:
    for path in ("/api/v1/statistics", "/static/app.css"):
        response = await client.get(path)
        assert "no-store" not in response.headers.get("cache-control", ""), path
