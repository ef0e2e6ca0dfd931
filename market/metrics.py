"""Prometheus metrics: what each process counts and times (this module), and what is read
from the database when `/metrics` is scraped (`market.metrics_state`).

`market serve --workers N` runs N processes: it sets PROMETHEUS_MULTIPROC_DIR (a fresh
folder per server start, `<var>/metrics/serve-<pid>`, unless the environment names
one) before the workers start, so each worker's counters and histograms live in files
there and a scrape answered by any one worker adds up all of them (prometheus-client's
multiprocess mode). Without the variable (tests, `market worker`) the values live in
this process only.

Counters move after the commit of the transaction that did the counted thing
(`market.db.on_commit`): a rolled-back donation is not a donation.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as mp
from prometheus_client.registry import Collector

from market.db import on_commit

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# This process's own metrics; in multiprocess mode they are written to files instead and
# `exposition` reads every process's files.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "market_http_request_duration_seconds",
    "Time from the request's arrival to its response's last byte, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
RESPONSES = Counter(
    "market_http_responses",
    "Responses sent, by route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
POOL_CONNECTIONS = Gauge(
    "market_db_pool_connections",
    "Database pool connections by node (primary, replica URL index) and state"
    " (open, in_use, max), summed over the live server processes.",
    ["node", "state"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
ROUTED_READS = Counter(
    "market_db_routed_requests",
    "Requests whose reads could go to a replica, by the node that served them.",
    ["node"],
    registry=REGISTRY,
)
REPLICA_STALENESS = Gauge(
    "market_db_replica_staleness_seconds",
    "How far behind the primary each replica may be: the age of the latest primary WAL"
    " position it is known to have replayed (the largest seen by any server process).",
    ["replica"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
LEDGER_TRANSFERS = Counter(
    "market_ledger_transfers",
    "Ledger transfers committed, by kind (rate() gives transfers per second).",
    ["kind"],
    registry=REGISTRY,
)
DONATIONS = Counter(
    "market_donations",
    "Donations committed, by event: started (the donor sent the form) and paid, failed"
    " or late (the payment's outcome); rate() gives donations per second.",
    ["event"],
    registry=REGISTRY,
)


def count_transfers(kinds: Iterable[str]) -> None:
    """Transfers written in the current transaction: counted when it commits."""
    tally: dict[str, int] = {}
    for kind in kinds:
        tally[kind] = tally.get(kind, 0) + 1

    def count() -> None:
        for kind, n in tally.items():
            LEDGER_TRANSFERS.labels(kind=kind).inc(n)

    on_commit(count)


def count_donation(event: str, *, kind: str = "donation") -> None:
    """A donation started or its payment settled (a payment of another `kind` is not
    counted), counted when the transaction commits."""
    if kind == "donation":
        on_commit(lambda: DONATIONS.labels(event=event).inc())


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


_LIVE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


def forget_dead_processes(folder: str) -> None:
    """Drop the live gauges (pool use) of server processes that have died: a restarted
    worker must not be counted twice."""
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        found = _LIVE.search(os.path.basename(path))
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mp.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, another user's
            continue


def exposition(extra: Collector | None = None) -> bytes:
    """The text format of every server process's metrics, plus `extra` (what was read
    from the database for this scrape)."""
    folder = multiprocess_dir()
    if folder is None:
        registry = REGISTRY
        if extra is None:
            return generate_latest(registry)
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Both(registry, extra))
        return generate_latest(scrape)
    forget_dead_processes(folder)
    scrape = CollectorRegistry(auto_describe=False)
    mp.MultiProcessCollector(scrape, path=folder)  # type: ignore[no-untyped-call]
    if extra is not None:
        scrape.register(extra)
    return generate_latest(scrape)


class _Both(Collector):
    def __init__(self, registry: CollectorRegistry, extra: Collector) -> None:
        self.registry, self.extra = registry, extra

    def collect(self):  # type: ignore[no-untyped-def]
        yield from self.registry.collect()
        yield from self.extra.collect()
