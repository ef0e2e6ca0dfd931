"""Bid, complaint, contract and milestone rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bids import rules
from market.errors import DomainError, InvalidTransition, PermissionDenied

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("machine", sorted(rules.MACHINES))
def test_every_listed_transition_is_allowed_and_every_other_refused(machine):
    states = rules.MACHINES[machine]
    for current, targets in states.items():
        for target in states:
            if target in targets:
                assert rules.transition(machine, current, target) == target
            else:
                with pytest.raises(InvalidTransition):
                    rules.transition(machine, current, target)


def test_terminal_states_have_no_way_out():
    assert rules.CONTRACT["completed"] == rules.CONTRACT["terminated"] == set()
    assert rules.MILESTONE["approved"] == rules.MILESTONE["not_met"] == set()


@pytest.mark.parametrize(
    ("now", "opened", "allowed"),
    [
        (T0 - timedelta(seconds=1), None, True),
        (T0, None, False),
        (T0 + timedelta(seconds=1), None, False),
        (T0 - timedelta(hours=1), T0 - timedelta(hours=2), False),
    ],
)
def test_bids_change_only_before_the_deadline(now, opened, allowed):
    if allowed:
        rules.check_bid_window(now, T0, opened)
    else:
        with pytest.raises(DomainError, match="deadline"):
            rules.check_bid_window(now, T0, opened)


@pytest.mark.parametrize(
    ("price", "field_error"),
    [(0, True), (-5, True), (True, True), (100_001, True), (100_000, False)],
)
def test_price_must_be_positive_and_within_budget(price, field_error):
    if field_error:
        with pytest.raises(DomainError) as caught:
            rules.check_price(price, 100_000)
        assert caught.value.field == "price"
    else:
        rules.check_price(price, 100_000)


def test_complaints_only_in_standstill():
    ends = rules.standstill_ends(T0)
    rules.check_complaint_window(T0 + timedelta(days=1), T0, ends)
    for moment in (T0 - timedelta(seconds=1), ends):
        with pytest.raises(DomainError):
            rules.check_complaint_window(moment, T0, ends)


def test_contract_waits_for_standstill_and_open_complaints():
    ends = rules.standstill_ends(T0)
    with pytest.raises(DomainError, match="standstill"):
        rules.check_contract_can_be_signed(ends - timedelta(seconds=1), ends, 0)
    with pytest.raises(DomainError, match="complaint"):
        rules.check_contract_can_be_signed(ends, ends, 1)
    rules.check_contract_can_be_signed(ends, ends, 0)


def plan(*amounts: int) -> list[rules.MilestonePlan]:
    return [
        rules.MilestonePlan(f"交付物 {i}", date(2027, 1 + i, 1), a) for i, a in enumerate(amounts)
    ]


def test_milestones_must_sum_to_the_contract_amount():
    rules.check_milestones(plan(30_000, 70_000), 100_000, date(2026, 12, 1))
    with pytest.raises(DomainError, match="add up"):
        rules.check_milestones(plan(30_000, 60_000), 100_000, date(2026, 12, 1))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one"),
        ([rules.MilestonePlan(" ", date(2027, 1, 1), 10)], "deliverable"),
        ([rules.MilestonePlan("x", date(2027, 1, 1), 0)], "above zero"),
        ([rules.MilestonePlan("x", date(2026, 1, 1), 10)], "before"),
        (
            [
                rules.MilestonePlan("a", date(2027, 2, 1), 5),
                rules.MilestonePlan("b", date(2027, 1, 1), 5),
            ],
            "before",
        ),
        ([rules.MilestonePlan("a", date(2027, 1, 1), 1)] * 25, "at most 24"),
    ],
)
def test_bad_milestone_plans_are_refused(items, message):
    total = sum(i.amount for i in items)
    with pytest.raises(DomainError, match=message):
        rules.check_milestones(items, total or 10, date(2026, 12, 1))


def test_contract_creator_cannot_approve():
    with pytest.raises(PermissionDenied):
        rules.check_approver(5, 5)
    rules.check_approver(6, 5)


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=24))
def test_any_positive_ordered_plan_summing_to_the_amount_passes(amounts):
    rules.check_milestones(
        plan(*amounts)
        if len(amounts) <= 11
        else [
            rules.MilestonePlan("d", date(2027, 1, 1) + timedelta(days=i), a)
            for i, a in enumerate(amounts)
        ],
        sum(amounts),
        date(2026, 12, 1),
    )


def test_not_met_only_after_due_date_without_approval():
    due = date(2026, 11, 1)
    assert rules.can_mark_not_met(T0, due, "scheduled")
    assert not rules.can_mark_not_met(T0, date(2026, 11, 2), "scheduled")
    assert not rules.can_mark_not_met(T0, due, "submitted")
