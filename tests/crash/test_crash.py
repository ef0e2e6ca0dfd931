"""Crash tests on a throw-away PostgreSQL cluster: 2,000 signed webhook deliveries
(1,540 events, 460 of them delivered twice or more) from 16 clients, each retried until
it gets a 2xx, while (a) the app server is killed with SIGKILL three times and
restarted, (b) the PostgreSQL postmaster is killed (immediate stop) three times and
restarted under the running app. Afterwards every donation is paid exactly once with
its match, nothing was lost or doubled, and `market ledger check` and `market audit
verify` pass. The counts line is printed."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.crash.conftest import DONATIONS, AppServer, Template, run_cli
from tests.crash.deliveries import (
    Outcome,
    Tally,
    at_progress,
    counts_line,
    deliver_all,
    outcome,
    plan,
)
from tests.stripe.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.postgres_only

DELIVERIES = 2_000
CLIENTS = 16
FAULTS_AT = (0.2, 0.45, 0.7)  # share of deliveries acknowledged when each fault strikes
OUTAGE_SECONDS = 1.0


def check_everything_posted_once(
    name: str, template: Template, server: AppServer, tally: Tally, result: Outcome
) -> str:
    line = counts_line(name, tally, result)
    given = sum(int(p["amount"]) for p in template.payments)
    assert result.escrow == {"public": given, "corporate": given}, line  # 1:1 matched
    assert result.pending == 0, line
    assert tally.unexpected == [], line
    assert tally.done == DELIVERIES, line
    assert result.donations == DONATIONS, line
    assert result.posted == DONATIONS and result.doubled == 0, line  # none lost, none twice
    assert result.payments_succeeded == DONATIONS, line
    assert result.events_recorded == DONATIONS and result.audited == DONATIONS, line
    # A response lost to a fault leaves its redelivery answered "duplicate".
    assert tally.answers["paid"] <= DONATIONS, line
    assert tally.answers["paid"] + tally.answers["duplicate"] == DELIVERIES, line
    checked = run_cli(server.env, "ledger", "check")  # each exits 0 only when all holds
    run_cli(server.env, "worker", "--job", "audit.sequence")  # the worker's sequencer
    verified = run_cli(server.env, "audit", "verify")
    assert "; 0 queued for sequencing;" in verified, verified  # every row chained
    return f"{line}\n  ledger check: {checked.strip()}\n  audit verify: {verified.strip()}"


async def test_app_killed_three_times_under_2000_deliveries(
    template: Template, database: str, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    bodies, tally = plan(template.payments, DELIVERIES, seed=13), Tally(DELIVERIES)
    delivering = asyncio.create_task(
        deliver_all(app_server.url, bodies, WEBHOOK_SECRET, tally, clients=CLIENTS)
    )
    for share in FAULTS_AT:
        await at_progress(tally, share)
        await asyncio.to_thread(app_server.kill)
        await asyncio.to_thread(app_server.start)
    await delivering
    result = await outcome(database)
    line = check_everything_posted_once("app SIGKILLed x3", template, app_server, tally, result)
    assert app_server.starts == 1 + len(FAULTS_AT)
    assert set(tally.statuses) <= {"200", "connection error"}, line
    assert tally.statuses["connection error"] >= len(FAULTS_AT), line
    with capsys.disabled():
        print(f"\n{line}; {time.monotonic() - started:.1f} s")


async def test_postgres_killed_three_times_under_2000_deliveries(
    template: Template, database: str, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    bodies, tally = plan(template.payments, DELIVERIES, seed=14), Tally(DELIVERIES)
    delivering = asyncio.create_task(
        deliver_all(app_server.url, bodies, WEBHOOK_SECRET, tally, clients=CLIENTS)
    )
    outages: list[str] = []
    for share in FAULTS_AT:
        await at_progress(tally, share)
        before = tally.statuses["503"]
        await asyncio.to_thread(template.cluster.kill)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(template.cluster.start)
        outages.append(f"{tally.statuses['503'] - before}")
    await delivering
    result = await outcome(database)
    line = check_everything_posted_once("postgres killed x3", template, app_server, tally, result)
    # The app was never restarted: it recovered by itself, and refused with 503 meanwhile.
    assert app_server.starts == 1 and app_server.alive(), line
    assert set(tally.statuses) <= {"200", "503"}, line
    assert tally.statuses["503"] >= len(FAULTS_AT) and tally.without_retry_after == 0, line
    with capsys.disabled():
        print(f"\n{line}; 503s per outage {', '.join(outages)}; {time.monotonic() - started:.1f} s")
