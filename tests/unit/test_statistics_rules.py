"""District years, rates, dense series, milestone punctuality and cursors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendata.statistics.rules import (
    BadPageQuery,
    MilestoneTally,
    YearGrowth,
    growth,
    met_on_time,
    ordered_counts,
    parse_before,
    parse_limit,
    per_10k,
    tally_milestones,
    year_grid,
    year_of,
    year_starts,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2060, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def test_new_year_in_the_district_comes_eight_hours_before_utc():
    starts = year_starts(datetime(2026, 6, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))
    assert starts == [
        (2026, datetime(2025, 12, 31, 16, 0, tzinfo=UTC)),
        (2027, datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
    ]
    assert year_of(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), starts) == 2026
    assert year_of(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), starts) == 2027


@given(a=instants, b=instants, zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "UTC"]))
def test_year_of_agrees_with_the_local_calendar(a, b, zone):
    tz = ZoneInfo(zone)
    first, last = min(a, b), max(a, b)
    starts = year_starts(first, last, tz)
    assert [y for y, _ in starts] == list(
        range(first.astimezone(tz).year, last.astimezone(tz).year + 1)
    )
    for instant in (first, last, first + (last - first) / 2):
        assert year_of(instant, starts) == instant.astimezone(tz).year


def test_naive_times_and_reversed_spans_are_refused():
    with pytest.raises(ValueError):
        year_starts(datetime(2026, 1, 1), datetime(2026, 2, 1))  # noqa: DTZ001
    with pytest.raises(ValueError):
        year_starts(datetime(2027, 6, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        year_of(
            datetime(2020, 1, 1, tzinfo=UTC), year_starts(*[datetime(2026, 6, 1, tzinfo=UTC)] * 2)
        )


def test_organizations_per_ten_thousand_residents():
    assert per_10k(425, 850_000) == Decimal("5.00")
    assert per_10k(1, 30_000) == Decimal("0.33")
    assert per_10k(1, 20_000) == Decimal("0.50")
    assert per_10k(0, 850_000) == Decimal("0.00")
    assert per_10k(10, 0) is None


@given(st.lists(st.tuples(st.integers(2000, 2030), st.integers(0, 50)), max_size=20))
def test_growth_is_dense_and_its_last_total_is_the_sum(counts):
    series = growth(counts)
    if not counts:
        assert series == []
        return
    assert [g.year for g in series] == list(
        range(min(y for y, _ in counts), max(y for y, _ in counts) + 1)
    )
    assert series[-1].total == sum(n for _, n in counts)
    assert all(b.total - a.total == b.new for a, b in pairwise(series))


def test_growth_fills_a_gap_year_with_zero():
    assert growth([(2024, 2), (2026, 1)]) == [
        YearGrowth(2024, 2, 2),
        YearGrowth(2025, 0, 2),
        YearGrowth(2026, 1, 3),
    ]


def test_year_grid_has_every_year_and_key():
    grid = year_grid(
        [(2024, "public", 5), (2026, "government", 7), (2026, "government", 1)],
        ("government", "public"),
    )
    assert grid == {
        2024: {"government": 0, "public": 5},
        2025: {"government": 0, "public": 0},
        2026: {"government": 8, "public": 0},
    }
    with pytest.raises(ValueError):
        year_grid([(2024, "lottery", 1)], ("government",))


def test_ordered_counts_keep_the_codelist_order_then_unknown_codes():
    assert ordered_counts({"b": 2, "zz": 1, "yy": 3}, ("a", "b")) == [
        ("a", 0),
        ("b", 2),
        ("yy", 3),
        ("zz", 1),
    ]


def test_a_milestone_approved_on_its_due_day_in_the_district_is_on_time():
    due = date(2026, 12, 31)
    # 23:30 in Shanghai on the due day is 15:30 UTC; 00:30 the next day is 16:30 UTC.
    assert met_on_time(due, datetime(2026, 12, 31, 15, 30, tzinfo=UTC))
    assert not met_on_time(due, datetime(2026, 12, 31, 16, 30, tzinfo=UTC))


def test_milestone_tally_counts_each_outcome():
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    rows = [
        ("approved", date(2026, 10, 1), datetime(2026, 9, 30, 8, 0, tzinfo=UTC)),
        ("approved", date(2026, 10, 1), datetime(2026, 10, 2, 8, 0, tzinfo=UTC)),
        ("not_met", date(2026, 9, 1), datetime(2026, 9, 5, 8, 0, tzinfo=UTC)),
        ("submitted", date(2026, 11, 1), None),
        ("scheduled", date(2026, 12, 1), None),
        ("rejected", date(2026, 12, 1), datetime(2026, 10, 5, tzinfo=UTC)),
    ]
    tally = tally_milestones(rows, now)
    assert tally == MilestoneTally(
        total=6, approved=2, on_time=1, late=1, not_met=1, open=3, overdue=1
    )
    assert tally.decided == 3
    assert tally.on_time_percent == 33
    assert MilestoneTally().on_time_percent is None
    with pytest.raises(ValueError):
        tally_milestones([("lost", date(2026, 1, 1), None)], now)


@given(
    st.lists(
        st.sampled_from(["approved", "not_met", "scheduled", "submitted", "rejected"]), max_size=30
    ),
    st.integers(-40, 40),
)
def test_tally_parts_add_up(statuses, offset):
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    due = date(2026, 11, 2) + timedelta(days=offset)
    tally = tally_milestones(((s, due, now) for s in statuses), now)
    assert tally.total == len(statuses) == tally.approved + tally.not_met + tally.open
    assert tally.approved == tally.on_time + tally.late
    assert tally.overdue <= tally.open


@pytest.mark.parametrize("raw", ["abc", "-3", "0", "1.5", "9" * 19, "2147483648", " ", "1;DROP"])
def test_a_bad_cursor_is_a_400(raw):
    with pytest.raises(BadPageQuery) as caught:
        parse_before(raw)
    assert caught.value.status_code == 400


def test_cursor_and_page_size_parse():
    assert parse_before(None) is None
    assert parse_before("") is None
    assert parse_before("42") == 42
    assert parse_limit(None) == 20
    assert parse_limit("100") == 100
    for bad in ("0", "101", "x"):
        with pytest.raises(BadPageQuery):
            parse_limit(bad)
