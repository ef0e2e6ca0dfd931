"""Public reads from a streaming replica, with a staleness bound and read-your-writes,
against a real primary + hot standby and `market serve` (market.replicas):

- donors give through the public form; right after paying, each one's receipt answers
  200 (the donation's pages read from the primary), and the donor's own next read of
  the project shows the gift on the first try (the `pgm_wrote` cookie);
- a stranger's reads of the project come from the replica (the routing counter says so)
  and show each gift within the bound (1 s);
- with the standby's replay paused, a stranger still sees the next gift within the bound:
  once the replica cannot be shown fresh enough, reads go to the primary.

The timings are printed."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.crash.conftest import AppServer
from tests.replicas.conftest import DATABASE, MAX_LAG_MS, Pair, sql
from tests.web import pages

pytestmark = pytest.mark.postgres_only

GIFTS = 12
POLL = 0.02  # seconds between a stranger's reads
BOUND = MAX_LAG_MS / 1000
SLACK = 0.25  # a read's own time and the polling step, on a loaded 2-core machine


def public_received(project: dict) -> int:
    """What the project's public donations brought in, as the open-data API says."""
    lines = [line for line in project["funding"] if line["source"] == "public"]
    return sum(int(line["received"]["amount"]) for line in lines)


async def give(donor: httpx.AsyncClient, tender: int, yuan: int) -> tuple[float, str]:
    """One gift through the public form; the time it was paid and its receipt's path."""
    page = await donor.get(f"/tenders/{tender}/donate")
    form = pages.form(page.text, "donate-form")
    response = await donor.post(
        form.action, data=form.values(amount=str(yuan), provider="sandbox", action="donate")
    )
    paid_at = time.monotonic()
    assert response.status_code == 303, response.text
    landing = await donor.get(response.headers["location"])
    assert landing.status_code == 200
    receipt = re.search(r"/donations/\d+/receipt\?ref=[A-Z0-9-]+", landing.text)
    assert receipt, landing.text[-2000:]
    return paid_at, receipt.group(0)


async def seen_after(stranger: httpx.AsyncClient, tender: int, total: int, since: float) -> float:
    """Seconds from `since` until a stranger's read of the project shows `total`."""
    deadline = since + 10
    while time.monotonic() < deadline:
        project = (await stranger.get(f"/api/v1/projects/{tender}")).json()
        if public_received(project) >= total:
            return time.monotonic() - since
        await asyncio.sleep(POLL)
    raise AssertionError(f"a stranger never saw {total} within 10 s")


async def scrape(url: str, name: str, label: str) -> dict[str, float]:
    """One family's samples from /metrics, by the value of `label`."""
    async with httpx.AsyncClient(base_url=url) as scraper:
        text = (await scraper.get("/metrics")).text
    return {
        sample.labels[label]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def routed(url: str) -> dict[str, float]:
    return await scrape(url, "market_db_routed_requests_total", "node")


async def test_public_reads_from_the_replica_are_bounded_and_donors_read_their_writes(
    pair: Pair, tender: int, replica_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = replica_server.url
    headers = {"Accept-Language": "en"}
    waits: list[float] = []
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as donor,
        httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as stranger,
    ):
        total = public_received((await stranger.get(f"/api/v1/projects/{tender}")).json())
        for i in range(GIFTS):
            yuan = 10 + i
            paid_at, receipt = await give(donor, tender, yuan)
            assert (await donor.get(receipt)).status_code == 200  # never a 404 after paying
            total += yuan * 100
            own = (await donor.get(f"/api/v1/projects/{tender}")).json()
            assert public_received(own) == total  # the donor's first read shows the gift
            waits.append(await seen_after(stranger, tender, total, paid_at))
        assert max(waits) <= BOUND + SLACK, waits
        nodes = await routed(url)
        assert nodes.get("replica0", 0) > 0, nodes  # strangers did read from the replica
        lag = await scrape(url, "market_db_replica_staleness_seconds", "replica")
        assert 0 <= lag["replica0"] < BOUND, lag  # the replica's lag, as Prometheus sees it

        # The standby stops replaying: its reads fall back once it is past the bound.
        standby = pair.standby.url(DATABASE)
        await sql(standby, "SELECT pg_wal_replay_pause()")
        try:
            before = nodes.get("primary", 0)
            paid_at, receipt = await give(donor, tender, 99)
            assert (await donor.get(receipt)).status_code == 200
            total += 99 * 100
            own = (await donor.get(f"/api/v1/projects/{tender}")).json()
            assert public_received(own) == total  # the replica lacks it: from the primary
            paused_wait = await seen_after(stranger, tender, total, paid_at)
            assert paused_wait <= BOUND + SLACK, paused_wait
            count = "SELECT COUNT(*) AS n FROM donors_donation"
            [on_standby] = await sql(standby, count)
            [on_primary] = await sql(pair.primary.url(DATABASE), count)
            assert on_standby["n"] < on_primary["n"]  # the stranger saw it on the primary
            assert (await routed(url)).get("primary", 0) > before  # the fallback happened
            await asyncio.sleep(0.5)  # a probe or two later
            lag = await scrape(url, "market_db_replica_staleness_seconds", "replica")
            assert lag["replica0"] > BOUND, lag  # metrics show the replica falling behind
        finally:
            await sql(standby, "SELECT pg_wal_replay_resume()")
    with capsys.disabled():
        print(
            f"\nreplica reads: {GIFTS} gifts seen by a stranger after"
            f" {min(waits) * 1000:.0f}-{max(waits) * 1000:.0f} ms (bound {MAX_LAG_MS} ms);"
            f" replay paused: seen after {paused_wait * 1000:.0f} ms (from the primary);"
            f" reads by node: {await routed(url)}"
        )


async def test_a_replica_that_dies_costs_no_request(
    pair: Pair, tender: int, replica_server: AppServer
) -> None:
    url = replica_server.url
    async with httpx.AsyncClient(base_url=url, timeout=30) as stranger:
        assert (await stranger.get(f"/api/v1/projects/{tender}")).status_code == 200
        await asyncio.to_thread(pair.standby.kill)  # every connection to it breaks now
        statuses = [
            (await stranger.get(path)).status_code
            for _ in range(10)
            for path in (f"/api/v1/projects/{tender}", f"/projects/{tender}", "/tenders")
        ]
        ready = await stranger.get("/readyz")
    assert set(statuses) == {200}, statuses  # the primary answered instead
    assert ready.status_code == 200
