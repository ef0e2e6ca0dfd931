"""Evaluation arithmetic: exact, weighted, deterministic ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bids.scoring import Candidate, Criterion, ScoringError, check_criteria, rank

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CRITERIA = [Criterion("price", 30, is_price=True), Criterion("plan", 50), Criterion("team", 20)]


def test_price_scores_lowest_over_price_times_weight():
    candidates = [Candidate(1, 100_000, T0), Candidate(2, 200_000, T0)]
    marks = {1: {"plan": [60], "team": [50]}, 2: {"plan": [100], "team": [100]}}
    results = {r.bid_id: r for r in rank(CRITERIA, candidates, marks)}
    assert results[1].parts["price"] == 30
    assert results[2].parts["price"] == 15
    assert results[1].total == 30 + 30 + 10
    assert results[2].total == 15 + 50 + 20
    assert results[2].rank == 1


def test_quality_marks_are_averaged_across_evaluators_exactly():
    candidates = [Candidate(1, 100, T0)]
    marks = {1: {"plan": [70, 80, 85], "team": [90, 91]}}
    (result,) = rank(CRITERIA, candidates, marks)
    assert result.parts["plan"] == Fraction(235, 3) * 50 / 100
    assert result.parts["team"] == Fraction(181, 2) * 20 / 100
    assert result.display_total() == f"{float(30 + Fraction(235, 6) + Fraction(181, 10)):.2f}"


def test_ties_go_to_the_lower_price_then_the_earlier_receipt():
    criteria = [Criterion("plan", 100)]
    candidates = [
        Candidate(1, 500, T0 + timedelta(minutes=5)),
        Candidate(2, 400, T0 + timedelta(minutes=9)),
        Candidate(3, 400, T0 + timedelta(minutes=1)),
    ]
    marks = {b: {"plan": [80]} for b in (1, 2, 3)}
    assert [r.bid_id for r in rank(criteria, candidates, marks)] == [3, 2, 1]


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "at least one"),
        ([Criterion("a", 60), Criterion("b", 30)], "sum to 100"),
        ([Criterion("a", 100), Criterion("b", 0)], "positive"),
        ([Criterion("a", 50, True), Criterion("b", 50, True)], "at most one"),
        ([Criterion("a", 50), Criterion("a", 50)], "unique"),
    ],
)
def test_bad_criteria_are_refused(criteria, message):
    with pytest.raises(ScoringError, match=message):
        check_criteria(criteria)


@pytest.mark.parametrize("mark", [-1, 101, True, 50.5])
def test_marks_outside_zero_to_hundred_are_refused(mark):
    with pytest.raises(ScoringError):
        rank([Criterion("plan", 100)], [Candidate(1, 10, T0)], {1: {"plan": [mark]}})


def test_missing_marks_are_refused():
    with pytest.raises(ScoringError, match="no marks"):
        rank([Criterion("plan", 100)], [Candidate(1, 10, T0)], {})


@given(
    prices=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    price_weight=st.integers(min_value=1, max_value=99),
    data=st.data(),
)
def test_totals_are_bounded_and_ranks_are_a_permutation(prices, price_weight, data):
    criteria = [Criterion("price", price_weight, True), Criterion("plan", 100 - price_weight)]
    candidates = [Candidate(i, p, T0) for i, p in enumerate(prices)]
    marks = {
        i: {"plan": data.draw(st.lists(st.integers(0, 100), min_size=1, max_size=5))}
        for i in range(len(prices))
    }
    results = rank(criteria, candidates, marks)
    assert sorted(r.rank for r in results) == list(range(1, len(prices) + 1))
    assert all(0 <= r.total <= 100 for r in results)
    assert max(r.parts["price"] for r in results) == price_weight
    totals = [r.total for r in results]
    assert totals == sorted(totals, reverse=True)
