"""Pure scheduling of time-driven jobs: due-ness, backoff, pruning, lock keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market import jobs
from market.jobs.schedule import (
    History,
    backoff,
    is_due,
    lock_key,
    next_due,
    prune_before,
    seconds_until,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

intervals = st.integers(min_value=1, max_value=7 * 86400).map(lambda s: timedelta(seconds=s))
failures = st.integers(min_value=1, max_value=10_000)
offsets = st.integers(min_value=-10 * 86400, max_value=10 * 86400).map(
    lambda s: timedelta(seconds=s)
)


def test_a_job_that_never_ran_is_due_at_once() -> None:
    assert next_due(MINUTE, History(None), HOUR) is None
    assert is_due(T0, MINUTE, History(None), HOUR)


def test_a_job_is_due_one_interval_after_its_last_successful_start() -> None:
    history = History(last_ok=T0)
    assert next_due(MINUTE, history, HOUR) == T0 + MINUTE
    assert not is_due(T0 + MINUTE - timedelta(microseconds=1), MINUTE, history, HOUR)
    assert is_due(T0 + MINUTE, MINUTE, history, HOUR)


def test_failures_back_off_doubling_from_one_interval_up_to_the_cap() -> None:
    assert [backoff(MINUTE, n, timedelta(minutes=10)) / MINUTE for n in range(1, 7)] == [
        1,
        2,
        4,
        8,
        10,
        10,
    ]
    history = History(last_ok=T0, failures=3, last_failure=T0 + 5 * MINUTE)
    assert next_due(MINUTE, history, HOUR) == T0 + 5 * MINUTE + 4 * MINUTE


def test_a_cap_shorter_than_the_interval_never_retries_sooner_than_the_interval() -> None:
    day = timedelta(days=1)
    assert backoff(day, 1, HOUR) == day
    assert backoff(day, 5, HOUR) == day


def test_a_job_that_only_ever_failed_backs_off_from_its_last_failure() -> None:
    history = History(last_ok=None, failures=2, last_failure=T0)
    assert next_due(MINUTE, history, HOUR) == T0 + 2 * MINUTE


def test_without_failures_the_wait_is_the_interval() -> None:
    assert backoff(MINUTE, 0, HOUR) == MINUTE
    assert backoff(MINUTE, -3, HOUR) == MINUTE


@given(intervals, failures, intervals)
def test_backoff_is_at_least_the_interval_and_at_most_the_cap(
    every: timedelta, n: int, cap: timedelta
) -> None:
    wait = backoff(every, n, cap)
    assert every <= wait <= max(every, cap)
    assert backoff(every, n + 1, cap) >= wait


@given(intervals, st.none() | offsets, st.integers(min_value=0, max_value=50), offsets, offsets)
def test_once_due_a_job_stays_due_as_time_passes(
    every: timedelta,
    ok_offset: timedelta | None,
    n: int,
    failure_offset: timedelta,
    now_offset: timedelta,
) -> None:
    history = History(
        None if ok_offset is None else T0 + ok_offset,
        n,
        T0 + failure_offset if n else None,
    )
    now = T0 + now_offset
    if is_due(now, every, history, HOUR):
        assert is_due(now + timedelta(seconds=1), every, history, HOUR)
        assert is_due(now + every, every, history, HOUR)


@given(st.none() | offsets, offsets)
def test_the_wait_stays_within_its_bounds(due: timedelta | None, now: timedelta) -> None:
    wait = seconds_until(T0 + now, None if due is None else T0 + due, least=1.0, most=60.0)
    assert 1.0 <= wait <= 60.0


def test_the_wait_is_the_time_left_until_due() -> None:
    assert seconds_until(T0, T0 + timedelta(seconds=12.5), least=1, most=60) == 12.5
    assert seconds_until(T0, None, least=1, most=60) == 1


@given(offsets, st.none() | offsets)
def test_pruning_never_reaches_the_last_success_nor_the_kept_window(
    now: timedelta, last_ok: timedelta | None
) -> None:
    keep = timedelta(days=14)
    before = prune_before(T0 + now, None if last_ok is None else T0 + last_ok, keep)
    assert before <= T0 + now - keep
    if last_ok is not None:
        assert before <= T0 + last_ok


def test_lock_keys_are_stable_signed_64_bit_and_distinct_per_job() -> None:
    # The same on every machine and Python run: a fixed value, not hash().
    assert lock_key("tenders.tick") == lock_key("tenders.tick")
    assert lock_key("tenders.tick") == -8673478405907076208
    names = [job.name for job in jobs.registered()]
    assert len(names) >= 6
    keys = {lock_key(name) for name in names}
    assert len(keys) == len(names)
    assert all(-(2**63) <= key < 2**63 for key in keys)


async def _noop(now: datetime) -> dict[str, int]:
    return {}


@pytest.mark.parametrize("name", ["", "Tick", "a/b", "has space", "x" * 61, ".hidden"])
def test_a_job_name_is_a_short_safe_word(name: str) -> None:
    with pytest.raises(ValueError):
        jobs.Job(name, _noop, MINUTE)


@pytest.mark.parametrize("every", [timedelta(0), -MINUTE])
def test_a_job_runs_every_positive_interval(every: timedelta) -> None:
    with pytest.raises(ValueError):
        jobs.Job("ok.name", _noop, every)


def test_wire_registers_every_time_driven_job_once() -> None:
    names = [job.name for job in jobs.registered()]
    for expected in (
        "tenders.tick",
        "bids.open",
        "pledges.expire",
        "payments.expire",
        "donations.settle",
        "stats.fold",
        "outbox.deliver",
        "ocds.funding",
    ):
        assert names.count(expected) == 1
