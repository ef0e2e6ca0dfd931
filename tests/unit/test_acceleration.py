"""The accelerated sandbox's one duration rule and every period derived through it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bids import rules as bid_rules
from market.errors import ValidationFailed
from market.tenders import rules
from market.tenders.acceleration import (
    MAX_FACTOR,
    accelerated,
    accelerated_at,
    check_factor,
    end_of_day,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
factors = st.integers(min_value=1, max_value=MAX_FACTOR)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2028, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(durations)
def test_factor_one_is_the_identity(duration):
    assert accelerated(duration, 1) == duration


@given(moments, moments)
def test_factor_one_leaves_every_moment_where_it_is(anchor, at):
    assert accelerated_at(anchor, at, 1) == at


@given(durations, durations, factors)
def test_monotone_in_the_duration(a, b, factor):
    low, high = sorted((a, b))
    assert accelerated(low, factor) <= accelerated(high, factor)


@given(durations, factors, factors)
def test_a_faster_sandbox_never_takes_longer(duration, f, g):
    slow, fast = sorted((f, g))
    assert accelerated(duration, fast) <= accelerated(duration, slow) <= duration


def test_a_day_in_a_minute_and_in_a_second():
    assert accelerated(timedelta(days=1), 1440) == timedelta(minutes=1)
    assert accelerated(timedelta(days=1), MAX_FACTOR) == timedelta(seconds=1)


def test_a_factor_outside_the_bounds_is_refused():
    for factor in (0, -3, MAX_FACTOR + 1):
        with pytest.raises(ValueError, match="out of range"):
            accelerated(timedelta(days=1), factor)


@given(moments, st.lists(durations, min_size=3, max_size=3), factors)
def test_publication_keeps_the_order_of_the_periods(published, gaps, factor):
    enquiry_end = published + gaps[0]
    deadline = enquiry_end + gaps[1]
    opening = deadline + gaps[2]
    row = {"enquiry_end": enquiry_end, "bid_deadline": deadline, "opening_at": opening}
    periods = rules.periods_at_publication(row, published, factor)
    if factor == 1:
        assert periods == {}
        return
    assert published <= periods["enquiry_end"] <= periods["bid_deadline"]
    assert periods["bid_deadline"] <= periods["opening_at"]
    for name, value in periods.items():
        assert value - published == accelerated(row[name] - published, factor)


def test_a_sandbox_tender_published_runs_its_week_in_seconds():
    row = {
        "enquiry_end": T0 + timedelta(days=2),
        "bid_deadline": T0 + timedelta(days=5),
        "opening_at": T0 + timedelta(days=5, hours=1),
    }
    periods = rules.periods_at_publication(row, T0, MAX_FACTOR)
    assert periods == {
        "enquiry_end": T0 + timedelta(seconds=2),
        "bid_deadline": T0 + timedelta(seconds=5),
        "opening_at": T0 + timedelta(seconds=5, milliseconds=41, microseconds=667),
    }
    changes = rules.sandbox_changes(periods, MAX_FACTOR)
    assert changes["acceleration"] == MAX_FACTOR
    assert changes["bid_deadline"] == (T0 + timedelta(seconds=5)).isoformat()


@given(moments, factors)
def test_the_standstill_is_accelerated_and_never_empty(awarded, factor):
    ends = bid_rules.standstill_ends(awarded, factor)
    assert ends - awarded == accelerated(bid_rules.DEFAULT_STANDSTILL, factor)
    assert awarded < ends <= awarded + bid_rules.DEFAULT_STANDSTILL
    bid_rules.check_complaint_window(awarded, awarded, ends)  # open at the award


def test_real_time_standstill_is_five_days():
    assert bid_rules.standstill_ends(T0) == T0 + timedelta(days=5)


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), moments)
def test_a_real_milestone_is_late_the_day_after_it_is_due(due, now):
    late = bid_rules.can_mark_not_met(now, due, "scheduled", T0, 1)
    assert late == (now.date() > due)
    assert bid_rules.milestone_due_at(due, T0) == end_of_day(due)


def test_a_sandbox_milestone_is_late_after_its_accelerated_due_moment():
    planned = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    due = date(2026, 11, 11)  # late from 12 Nov 00:00: ten days after planning
    due_at = bid_rules.milestone_due_at(due, planned, MAX_FACTOR)
    assert due_at == planned + timedelta(seconds=10)
    assert not bid_rules.can_mark_not_met(
        due_at - timedelta(microseconds=1), due, "scheduled", planned, MAX_FACTOR
    )
    assert bid_rules.can_mark_not_met(due_at, due, "scheduled", planned, MAX_FACTOR)
    assert not bid_rules.can_mark_not_met(due_at, due, "submitted", planned, MAX_FACTOR)


@pytest.mark.parametrize(
    ("raw", "allowed", "factor"),
    [("", False, 1), ("1", False, 1), (" 1440 ", True, 1440), ("86400", True, MAX_FACTOR)],
)
def test_the_form_field_gives_the_factor(raw, allowed, factor):
    assert check_factor(raw, allowed=allowed) == factor


@pytest.mark.parametrize("raw", ["0", "86401", "-5", "2.5", "１４４０", "x", "1" * 40])
def test_the_form_field_refuses_what_is_not_a_factor(raw):
    with pytest.raises(ValidationFailed) as failure:
        check_factor(raw, allowed=True)
    assert (
        failure.value.errors["acceleration"]
        == "The acceleration is a whole number from 1 to 86400."
    )


def test_production_refuses_a_sandbox_tender():
    with pytest.raises(ValidationFailed) as failure:
        check_factor("1440", allowed=False)
    assert "production" in failure.value.errors["acceleration"]


def test_the_sandbox_is_on_outside_production_and_refused_in_it():
    from market.errors import ConfigurationError
    from market.settings import load_settings

    assert load_settings({"MARKET_ENV": "test"}).sandbox
    assert not load_settings({"MARKET_ENV": "dev", "MARKET_SANDBOX": "0"}).sandbox
    prod = {
        "MARKET_ENV": "prod",
        "SECRET_KEY": "s" * 40,
        "MARKET_BID_KEY": "k" * 64,
        "DATABASE_URL": "postgresql://db/market",
    }
    assert not load_settings(prod).sandbox
    with pytest.raises(ConfigurationError, match="MARKET_SANDBOX=1 is refused in prod"):
        load_settings({**prod, "MARKET_SANDBOX": "1"})
