"""Every page a role can use is reachable by following links from that role's landing
pages (/ and, signed in, /dashboard) in the demo district.

The list of pages comes from the app's route table (every GET route), not from a
hand-written list; only machine-readable endpoints and file downloads are left out,
each for a stated reason. The crawl follows <a href> links only, as a person clicks.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

import httpx
import pytest

from composition.demo import DEMO_PASSWORD, email
from tests.web import pages
from tests.web.forms import log_in

# Not pages: JSON/CSV/PDF/files, health checks and metrics, reached by programs or as downloads.
NOT_PAGES = (
    re.compile(r"^/api/"),
    re.compile(r"^/ocds/"),
    re.compile(r"^/360giving/"),
    re.compile(r"^/static/"),
    re.compile(r"^/(healthz|readyz|metrics)$"),  # probes and the Prometheus scraper
    re.compile(r"\.(pdf|csv|json|atom)$"),  # Atom feeds are for feed readers
    re.compile(r"^/tenders/\{tender_id:int\}/documents/"),  # a tender document (file)
    re.compile(r"^/evidence/"),  # a milestone's evidence file
    re.compile(r"^/updates/photos/"),  # a project update's photo (an image)
    re.compile(r"^/password-reset/\{token"),  # opened from the e-mailed one-time link only
    re.compile(r"^/unsubscribe/\{token"),  # opened from an e-mail's unsubscribe link only
    re.compile(r"^/dev/mail/\{name"),  # one written e-mail: exists once the site sent mail
    re.compile(r"^/workspace/tenders/budget-lines$"),  # the tender form's line select (htmx)
)
PER_ROUTE = 10  # instances of one route pattern the crawl opens (a department with
# a lived history has many tenders waiting on it: evaluations, drafts, contracts)
MAX_PAGES = 250  # per role


@dataclass(frozen=True)
class Role:
    name: str
    login: str | None  # demo user slug
    guards: frozenset[str]  # guards this role passes


SIGNED_IN = {"public", "requires_login"}
ROLES = (
    Role("public", None, frozenset({"public"})),
    Role("donor", "donor", frozenset(SIGNED_IN)),  # also an evaluator in the demo
    Role("department", "civil_affairs", frozenset({*SIGNED_IN, "requires_member_department"})),
    Role("organization", "org", frozenset({*SIGNED_IN, "requires_member_social_org"})),
    Role("sponsor", "sponsor", frozenset({*SIGNED_IN, "requires_member_company_foundation"})),
    Role("foundation", "foundation", frozenset({*SIGNED_IN, "requires_member_company_foundation"})),
    Role("operator", "operator", frozenset({*SIGNED_IN, "requires_operator"})),
    Role("auditor", "auditor", frozenset(SIGNED_IN)),
    # the chair of the Lakeside community fund's committee
    Role("committee", "fund_chair", frozenset({*SIGNED_IN, "requires_member_community_fund"})),
    # the finance bureau is a department too, but keeps the budget, not tenders
    Role("finance", "finance", frozenset({*SIGNED_IN, "requires_finance"})),
)
# Who must reach a page whose guard lets every signed-in user in but that only some use.
LOGIN_PAGES_FOR = {
    "/panels": {"donor"},  # the demo's evaluator
    "/panels/{tender_id:int}": {"donor"},
    "/funds": {"committee"},  # a community fund's committee members
    "/my/donations/{year:int}": {"donor"},  # needs a paid donation
    "/tenders/{tender_id:int}/contribute": {"sponsor", "organization"},
    # an organization's admins (every demo user with an organization is its admin)
    "/organizations/{organization_id:int}/members": {
        "committee",
        "department",
        "organization",
        "sponsor",
        "foundation",
        "operator",
    },
}
# Public pages reached only with a secret from another page (the donation's reference).
PUBLIC_VIA = {
    "/donations/{donation_id:int}": {"donor"},
    "/donations/{donation_id:int}/receipt": {"donor"},
}


def page_routes(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """path template → guard name, for every GET page route of the app."""
    routes: dict[str, str] = {}
    for route in app.routes:
        handlers = getattr(route, "route_handler_map", {})
        if "GET" not in handlers:
            continue
        if any(p.search(route.path) for p in NOT_PAGES):
            continue
        handler = handlers["GET"][0]
        guards = [getattr(g, "__name__", str(g)) for g in handler.guards or []]
        assert guards, f"{route.path} has no guard"
        routes[route.path] = guards[0]
    return routes


def pattern(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{[a-z_]+:int\\\}", r"\\d+", re.escape(template))
    regex = re.sub(r"\\\{[a-z_]+:str\\\}", r"[^/]+", regex)
    return re.compile(f"^{regex}$")


def route_of(path: str, patterns: dict[str, re.Pattern[str]]) -> str | None:
    for template, regex in patterns.items():
        if regex.match(path):
            return template
    return None


async def crawl(
    client: httpx.AsyncClient, starts: list[str], patterns: dict[str, re.Pattern[str]]
) -> dict[str, str]:
    """route template → first URL that reached it, following links from `starts`."""
    reached: dict[str, str] = {}
    opened: dict[str, int] = {}
    seen: set[str] = set(starts)
    queue = deque(starts)
    count = 0
    while queue and count < MAX_PAGES:
        url = queue.popleft()
        path = url.split("?")[0]
        template = route_of(path, patterns)
        if template is None or opened.get(template, 0) >= PER_ROUTE:
            continue
        opened[template] = opened.get(template, 0) + 1
        count += 1
        response = await client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        reached.setdefault(template, url)
        for link in pages.links(response.text, path):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return reached


@pytest.fixture
async def reached(demo_district, app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    patterns = {t: pattern(t) for t in page_routes(app)}
    result: dict[str, dict[str, str]] = {}
    for role in ROLES:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"Accept-Language": "en"}
        ) as client:
            starts = ["/"]
            if role.login:
                await log_in(client, email(role.login), DEMO_PASSWORD)
                starts = ["/dashboard", "/"]
            result[role.name] = await crawl(client, starts, patterns)
    return result


def must_reach(template: str, guard: str) -> set[str]:
    """The roles that must reach this page."""
    if template in PUBLIC_VIA:
        return PUBLIC_VIA[template]
    if template in LOGIN_PAGES_FOR:
        return LOGIN_PAGES_FOR[template]
    if guard == "public":
        return {"public"}
    return {r.name for r in ROLES if guard in r.guards and r.login}


async def test_every_page_is_reachable_by_the_roles_that_use_it(app, reached) -> None:  # type: ignore[no-untyped-def]
    routes = page_routes(app)
    assert "/sponsor" in routes and "/operator/bank-transfers" in routes  # the table is read
    missing = []
    for template, guard in sorted(routes.items()):
        for role in sorted(must_reach(template, guard)):
            if template not in reached[role]:
                missing.append(f"{template} ({guard}) not reached by {role}")
    assert not missing, "\n".join(missing)
    # the pages the issue found unreachable, by name
    assert "/sponsor" in reached["sponsor"] and "/sponsor" in reached["foundation"]
    assert "/my/donations" in reached["donor"]
    for page in ("/operator/bank-transfers", "/operator/complaints", "/operator/organizations"):
        assert page in reached["operator"]
    assert "/panels/{tender_id:int}" in reached["donor"]
    assert "/my/donations/{year:int}" in reached["donor"]


async def test_the_crawl_does_not_reach_what_is_not_linked(app) -> None:  # type: ignore[no-untyped-def]
    """The check can fail: a page with no link to it is reported missing."""
    patterns = {t: pattern(t) for t in page_routes(app)}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        reached = await crawl(client, ["/statistics"], patterns)
    assert "/statistics" in reached
    assert "/sponsor" not in reached and "/operator/bank-transfers" not in reached
