"""`/metrics` as Prometheus reads it (prometheus_client's own text parser): the families
operators alert on are there, a request and a donation move them, and only a scraper on
this machine or one with the metrics token may read them."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from composition.app import create_app
from market.db import is_postgres
from market.settings import get_settings
from tests.donation_builders import make_tender
from tests.web import pages

FAMILIES = {
    "market_http_request_duration_seconds": "histogram",
    "market_http_responses": "counter",
    "market_ledger_transfers": "counter",
    "market_donations": "counter",
    "market_db_routed_requests": "counter",
    "market_job_lag_seconds": "gauge",
    "market_job_failures": "gauge",
    "market_jobs_backlog": "gauge",
    "market_audit_queued_rows": "gauge",
    "market_audit_sealing_lag_seconds": "gauge",
    "market_outbox_messages": "gauge",
    "market_outbox_oldest_due_seconds": "gauge",
    "market_db_up": "gauge",
}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: httpx.AsyncClient) -> tuple[dict[str, str], Samples]:
    """Every family's type and every sample's value, as Prometheus parses them."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    types: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return types, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_parse_and_name_every_family(client: httpx.AsyncClient) -> None:
    await client.get("/tenders")
    types, samples = await scrape(client)
    missing = {name: kind for name, kind in FAMILIES.items() if types.get(name) != kind}
    assert missing == {}
    assert value(samples, "market_db_up") == 1
    assert value(samples, "market_job_lag_seconds", job="audit.sequence") >= 0
    assert value(samples, "market_outbox_messages", state="dead") == 0
    if is_postgres():  # SQLite has no pool
        assert types["market_db_pool_connections"] == "gauge"
        assert value(samples, "market_db_pool_connections", node="primary", state="max") == 20


async def test_a_request_lands_in_its_route_templates_histogram(client: httpx.AsyncClient) -> None:
    route = {"method": "GET", "route": "/tenders/{tender_id}"}
    _, before = await scrape(client)
    for tender_id in (1, 2, 3):  # three raw paths, one template (404s: no such tender)
        await client.get(f"/tenders/{tender_id}")
    _, after = await scrape(client)
    count = "market_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 3
    responses = "market_http_responses_total"
    assert (
        value(after, responses, **route, status="404")
        - value(before, responses, **route, status="404")
        == 3
    )
    assert not any("/tenders/1" in dict(labels).get("route", "") for _, labels in after)
    unmatched = {"method": "GET", "route": "(unmatched)"}
    await client.get("/no/such/page")
    _, last = await scrape(client)
    assert value(last, count, **unmatched) >= 1


async def test_a_donation_moves_the_donation_and_transfer_counters(
    client: httpx.AsyncClient,
) -> None:
    client.headers["Accept-Language"] = "en"
    tender = await make_tender()
    _, before = await scrape(client)
    page = await client.get(f"/tenders/{tender}/donate")
    form = pages.form(page.text, "donate-form")
    response = await client.post(form.action, data=form.values(preset="50", action="donate"))
    assert response.status_code == 303, response.text
    _, after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("market_donations_total", event="started") == 1
    assert moved("market_donations_total", event="paid") == 1  # the sandbox pays at once
    transfers = sum(
        v - value(before, name, **dict(labels))
        for (name, labels), v in after.items()
        if name == "market_ledger_transfers_total"
    )
    assert transfers >= 1


async def test_a_refused_donation_counts_nothing(client: httpx.AsyncClient) -> None:
    tender = await make_tender()
    _, before = await scrape(client)
    page = await client.get(f"/tenders/{tender}/donate")
    form = pages.form(page.text, "donate-form")
    response = await client.post(form.action, data=form.values(amount="-5", action="donate"))
    assert response.status_code == 422
    _, after = await scrape(client)
    started = "market_donations_total"
    assert value(after, started, event="started") == value(before, started, event="started")


def client_from(app, address: str, **headers: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("203.0.113.9", {}),  # a stranger
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # a stranger, through a local proxy
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
        ("203.0.113.9", {"Authorization": "Bearer not-the-token-at-all"}),
    ],
)
async def test_strangers_may_not_read_the_metrics(app, address: str, headers: dict) -> None:  # type: ignore[no-untyped-def]
    async with client_from(app, address, **headers) as stranger:
        response = await stranger.get("/metrics")
    assert response.status_code == 403
    assert "market_" not in response.text


async def test_the_metrics_token_lets_a_remote_scraper_in() -> None:
    token = "scrape-me-" + "x" * 20
    settings = dataclasses.replace(get_settings(), metrics_token=token)
    app = create_app(settings)
    from market.settings import reset_settings

    previous = get_settings()
    reset_settings(settings)
    try:
        async with client_from(app, "203.0.113.9", Authorization=f"Bearer {token}") as remote:
            assert (await remote.get("/metrics")).status_code == 200
        async with client_from(app, "203.0.113.9", Authorization=f"Bearer {token}x") as wrong:
            assert (await wrong.get("/metrics")).status_code == 403
        async with client_from(app, "127.0.0.1") as local:  # loopback needs no token
            assert (await local.get("/metrics")).status_code == 200
    finally:
        reset_settings(previous)
