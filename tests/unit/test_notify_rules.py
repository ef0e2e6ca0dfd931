"""The notify app's pure rules: subscription matching and parsing, reminder windows,
a pledge nearly used up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market.errors import ValidationFailed
from notify import rules

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (rules.Terms(category="community_services"), True),
        (rules.Terms(category="charity"), False),
        (rules.Terms(area="  湖滨街道 "), True),
        (rules.Terms(area="Hubin"), True),
        (rules.Terms(area="西湖街道"), False),
        (rules.Terms(budget_min=200_000_00), True),  # inclusive
        (rules.Terms(budget_min=200_000_01), False),
        (rules.Terms(budget_max=200_000_00), True),
        (rules.Terms(budget_max=199_999_99), False),
        (rules.Terms("community_services", "湖滨街道", 100_000_00, 300_000_00), True),
        (rules.Terms("community_services", "西湖街道", 100_000_00, 300_000_00), False),
    ],
)
def test_a_subscription_matches_when_every_set_field_does(
    terms: rules.Terms, expected: bool
) -> None:
    area = "hubin" if terms.area == "Hubin" else "湖滨街道"
    assert rules.matches(terms, category="community_services", area=area, budget=200_000_00) is (
        expected
    )


def test_the_form_becomes_terms_in_minor_units_and_back() -> None:
    terms = rules.parse_terms(
        {"category": "charity", "area": "  湖滨   街道 ", "budget_min": "1,000", "budget_max": ""}
    )
    assert terms == rules.Terms("charity", "湖滨 街道", 1000_00, None)
    assert rules.form_values(terms) == {
        "category": "charity",
        "area": "湖滨 街道",
        "budget_min": "1000.00",
        "budget_max": "",
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "category"),  # nothing chosen: it would match every tender
        ({"category": "bribery"}, "category"),
        ({"area": "街" * 101}, "area"),
        ({"budget_min": "-5"}, "budget_min"),
        ({"budget_max": "12.345"}, "budget_max"),
        ({"budget_min": "500", "budget_max": "100"}, "budget_max"),
    ],
)
def test_a_bad_subscription_is_refused_naming_its_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rules.parse_terms(values)
    assert field in refused.value.errors


def test_a_window_covers_since_exclusive_to_now_inclusive() -> None:
    span = rules.Window(NOW - HOUR, NOW)
    assert not span.covers(NOW - HOUR) and span.covers(NOW - HOUR + timedelta(microseconds=1))
    assert span.covers(NOW) and not span.covers(NOW + timedelta(microseconds=1))
    assert rules.window(None, NOW).since == NOW - rules.FIRST_WINDOW
    assert rules.window(NOW + HOUR, NOW).since == NOW  # a clock set back: no negative window
    with pytest.raises(ValueError, match="aware"):
        rules.Window(datetime(2026, 1, 1), NOW)  # noqa: DTZ001 - the naive time refused


def test_a_reminder_fires_once_across_consecutive_windows() -> None:
    deadline = NOW + 24 * HOUR + 30 * timedelta(minutes=1)
    lead = rules.lead(rules.DEADLINE_LEAD, 1)
    runs = [rules.Window(NOW + i * HOUR, NOW + (i + 1) * HOUR) for i in range(-2, 3)]
    assert [rules.soon_fires(deadline, lead, span) for span in runs] == [
        False,
        False,
        True,
        False,
        False,
    ]
    # a deadline set (or amended) to within the lead: its moment had passed, no reminder
    assert not rules.soon_fires(NOW + HOUR, lead, rules.Window(NOW, NOW + 5 * HOUR / 60))
    assert not rules.soon_fires(NOW - HOUR, lead, rules.Window(NOW - 48 * HOUR, NOW))
    # a sandbox tender 1,440 times faster: the lead is one minute
    assert rules.lead(rules.DEADLINE_LEAD, 1440) == timedelta(minutes=1)
    overdue = [rules.passed_fires(NOW + 90 * timedelta(minutes=1), span) for span in runs]
    assert overdue == [False, False, False, True, False]


@pytest.mark.parametrize(
    ("total", "matched", "expected"),
    [(1000, 0, False), (1000, 900, False), (1000, 901, True), (1000, 1200, True), (0, 0, False)],
)
def test_a_pledge_is_nearly_used_up_below_a_tenth_left(
    total: int, matched: int, expected: bool
) -> None:
    assert rules.nearly_exhausted(total, matched) is expected
