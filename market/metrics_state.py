"""What `/metrics` reads from the database at each scrape: the state every process
shares, so any worker may answer it (the per-process counters are in `market.metrics`).

- the job runner: per job, how long it is past due (`market_job_lag_seconds`) and its
  failures since the last success; how many jobs are past due (`market_jobs_backlog`);
- the audit chain: rows waiting for the sequencer and the oldest one's wait (the
  sealing lag, `market_audit_sealing_lag_seconds`: the sequencer chains within a
  second when it runs);
- the e-mail outbox: waiting, being sent, retrying and dead messages, and how long the
  most overdue one has waited (`market_outbox_oldest_due_seconds`);
- the replicas of this process's router: the staleness bound of each;
- `market_db_up`: 0 when the database did not answer this scrape (the rest is then
  missing, not zero).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from market import clock, jobs, replicas
from market.audit.chain import queued_count
from market.jobs.runs import history
from market.jobs.schedule import next_due
from market.outbox.status import backlog

log = logging.getLogger("market.metrics")


_gauge = GaugeMetricFamily


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max((now - then).total_seconds(), 0.0)


async def _jobs(now: datetime) -> list[Metric]:
    lag = _gauge(
        "market_job_lag_seconds",
        "How long each job is past its due time (0: not due yet or never run). The"
        " audit.sequence session is recorded when its one-minute session ends, so up to a"
        " minute is normal there: see market_audit_sealing_lag_seconds.",
        labels=["job"],
    )
    failures = _gauge(
        "market_job_failures", "Failed runs of each job since its last success.", labels=["job"]
    )
    backlog_count = 0
    for job in jobs.registered():
        past = await history(job.name)
        due = next_due(job.every, past, job.max_backoff)
        late = _age(now, due) if due is not None and due < now else 0.0
        backlog_count += late > 0
        lag.add_metric([job.name], late)
        failures.add_metric([job.name], past.failures)
    backlog_gauge = _gauge(
        "market_jobs_backlog", "Jobs past their due time, waiting for a worker.", backlog_count
    )
    return [lag, failures, backlog_gauge]


async def _audit(now: datetime) -> list[Metric]:
    queued, oldest = await queued_count()
    return [
        _gauge("market_audit_queued_rows", "Audit rows waiting to be chained.", queued),
        _gauge(
            "market_audit_sealing_lag_seconds",
            "How long the oldest audit row not yet chained has waited (0: none waits).",
            _age(now, oldest),
        ),
    ]


async def _outbox(now: datetime) -> list[Metric]:
    state = await backlog(now)
    messages = _gauge(
        "market_outbox_messages",
        "E-mails by state: waiting (sending and retrying among them), dead (given up).",
        labels=["state"],
    )
    for name in ("waiting", "sending", "retrying", "dead"):
        messages.add_metric([name], state[name])
    oldest = _gauge(
        "market_outbox_oldest_due_seconds",
        "How long the most overdue e-mail not being sent has been due (0: none).",
        _age(now, state["oldest_due"]),
    )
    return [messages, oldest]


def _replicas() -> list[Metric]:
    known = replicas.staleness()
    if not known:
        return []
    family = _gauge(
        "market_db_replica_bound_seconds",
        "This process's staleness bound of each replica (+Inf: unknown, not used).",
        labels=["replica"],
    )
    for name, seconds in known.items():
        family.add_metric([name], seconds)
    return [family]


async def snapshot() -> list[Metric]:
    """Every family read for this scrape (never raises: a database that does not answer
    is `market_db_up 0`)."""
    now = clock.now()
    found = _replicas()
    try:
        found += await _jobs(now) + await _audit(now) + await _outbox(now)
    except Exception as exc:
        log.warning("metrics: the database did not answer: %s", type(exc).__name__)
        return [*found, _gauge("market_db_up", "The database answered this scrape.", 0)]
    return [*found, _gauge("market_db_up", "The database answered this scrape.", 1)]


class Snapshot(Collector):
    """The families of one scrape, as a collector for the exposition."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families
