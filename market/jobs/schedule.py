"""Pure scheduling decisions for the job runner: is a job due, how long to back off
after failures, which run rows may be pruned, and each job's lock key. No I/O.

A job's history is read from `market_job_run` (market.jobs.runs); every worker reads
the same rows, so every worker reaches the same answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

# Doublings after which the backoff is certainly at its cap (2**20 intervals is years).
_MAX_DOUBLINGS = 20


@dataclass(frozen=True, slots=True)
class History:
    """What the run log says about one job."""

    last_ok: datetime | None  # start of the last successful run (None: never succeeded)
    failures: int = 0  # failed runs started after `last_ok`
    last_failure: datetime | None = None  # start of the latest of those failures


def backoff(every: timedelta, failures: int, cap: timedelta) -> timedelta:
    """How long after a failure to try again: one interval after the first failure
    (or with none), doubling with each further one, never more than `max(every, cap)`."""
    limit = max(every, cap)
    doublings = min(max(failures - 1, 0), _MAX_DOUBLINGS)
    return min(every * (1 << doublings), limit)


def next_due(every: timedelta, history: History, cap: timedelta) -> datetime | None:
    """When the job is next due; None when it has never run (due at once)."""
    if history.failures > 0 and history.last_failure is not None:
        return history.last_failure + backoff(every, history.failures, cap)
    if history.last_ok is None:
        return None
    return history.last_ok + every


def is_due(now: datetime, every: timedelta, history: History, cap: timedelta) -> bool:
    due = next_due(every, history, cap)
    return due is None or now >= due


def seconds_until(now: datetime, due: datetime | None, *, least: float, most: float) -> float:
    """How long a worker sleeps before looking again, within [least, most]."""
    wait = 0.0 if due is None else (due - now).total_seconds()
    return min(max(wait, least), most)


def prune_before(now: datetime, last_ok: datetime | None, keep: timedelta) -> datetime:
    """Run rows started before this may be deleted: older than `keep`, and never the
    last successful run (due-ness is computed from it)."""
    cutoff = now - keep
    return cutoff if last_ok is None else min(cutoff, last_ok)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a job name (PostgreSQL advisory locks): the same
    on every machine and every Python (no `hash()` randomization)."""
    digest = hashlib.sha256(b"market.job:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
