"""Tender rules: the state machine, time rules, validation and amendment planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import InvalidTransition, ValidationFailed
from market.tenders import inputs, rules
from tests.tender_builders import tender_form

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ENQ, DEADLINE = NOW + 5 * DAY, NOW + 10 * DAY

EXPECTED = {
    "publish": {"draft": "published"},
    "open_tendering": {"published": "tendering"},
    "close_tendering": {"tendering": "evaluation"},
    "award": {"evaluation": "awarded"},
    "reopen": {"awarded": "evaluation"},
    "contract": {"awarded": "contracted"},
    "complete": {"contracted": "completed"},
    "terminate": {"contracted": "terminated"},
    "fail": {"tendering": "unsuccessful", "evaluation": "unsuccessful", "awarded": "unsuccessful"},
    "cancel": {
        s: "cancelled" for s in ("draft", "published", "tendering", "evaluation", "awarded")
    },
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", rules.STATUSES)
def test_every_transition_is_allowed_or_refused_as_designed(action: str, status: str) -> None:
    allowed = EXPECTED[action]
    if status in allowed:
        assert rules.transition(action, status) == allowed[status]
    else:
        with pytest.raises(InvalidTransition):
            rules.transition(action, status)


def test_terminal_statuses_have_no_way_out() -> None:
    for status in rules.TERMINAL:
        for action in rules.TRANSITIONS:
            with pytest.raises(InvalidTransition):
                rules.transition(action, status)


@given(st.lists(st.sampled_from(sorted(rules.TRANSITIONS)), max_size=12))
def test_terminated_is_reached_only_from_contracted_and_ends_the_walk(
    actions: list[str],
) -> None:
    """Any sequence of actions from a draft: the refused ones change nothing, a tender
    becomes terminated only from contracted, and nothing moves it afterwards."""
    status = "draft"
    for action in actions:
        try:
            target = rules.transition(action, status)
        except InvalidTransition:
            continue
        assert status not in rules.TERMINAL
        if target == "terminated":
            assert (status, action) == ("contracted", "terminate")
        status = target
    assert status in rules.STATUSES


def test_unknown_action_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        rules.transition("teleport", "draft")


def test_dates_drive_the_effective_status() -> None:
    assert rules.effective_status("published", ENQ, DEADLINE, NOW) == "published"
    assert rules.effective_status("published", ENQ, DEADLINE, ENQ) == "tendering"
    assert rules.effective_status("published", ENQ, DEADLINE, DEADLINE) == "evaluation"
    assert rules.effective_status("tendering", ENQ, DEADLINE, DEADLINE) == "evaluation"
    assert rules.effective_status("draft", ENQ, DEADLINE, DEADLINE) == "draft"
    assert rules.effective_status("cancelled", ENQ, DEADLINE, DEADLINE) == "cancelled"


@given(
    st.sampled_from(rules.STATUSES),
    st.integers(min_value=-20 * 24 * 60, max_value=20 * 24 * 60),
    st.integers(min_value=0, max_value=10 * 24 * 60),
)
def test_applying_due_actions_reaches_the_effective_status(
    status: str, minutes: int, window: int
) -> None:
    """Whatever the dates, the chronograph's steps end where effective_status says."""
    enquiry_end = NOW + timedelta(minutes=minutes)
    deadline = enquiry_end + timedelta(minutes=window)
    current, steps = status, 0
    while (action := rules.due_action(current, enquiry_end, deadline, NOW)) is not None:
        current = rules.transition(action, current)
        steps += 1
        assert steps <= 2
    assert current == rules.effective_status(status, enquiry_end, deadline, NOW)


def test_questions_only_during_enquiries_even_without_tick() -> None:
    rules.check_can_ask("published", ENQ, DEADLINE, NOW)
    with pytest.raises(InvalidTransition):
        rules.check_can_ask("published", ENQ, DEADLINE, ENQ)  # stored status is stale
    with pytest.raises(InvalidTransition):
        rules.check_can_ask("tendering", ENQ, DEADLINE, NOW)


def test_amendments_and_bids_stop_at_the_deadline_even_without_tick() -> None:
    rules.check_can_amend("tendering", ENQ, DEADLINE, DEADLINE - timedelta(seconds=1))
    rules.check_accepts_bids("published", ENQ, DEADLINE, NOW)
    with pytest.raises(InvalidTransition):
        rules.check_can_amend("tendering", ENQ, DEADLINE, DEADLINE)
    with pytest.raises(InvalidTransition):
        rules.check_accepts_bids("tendering", ENQ, DEADLINE, DEADLINE)
    with pytest.raises(InvalidTransition):
        rules.check_can_amend("draft", ENQ, DEADLINE, NOW)


def test_a_valid_form_parses_to_minor_units_and_utc() -> None:
    data = inputs.validate_tender(tender_form(NOW))
    assert data.budget == 20_000_000
    assert data.goals == {"corporate": 5_000_000, "foundation": 0, "public": 2_000_000, "own": 0}
    assert [c.weight for c in data.criteria] == [50, 20, 30]
    assert [c.is_price for c in data.criteria] == [False, False, True]
    assert data.enquiry_end.tzinfo is not None
    assert data.enquiry_end == NOW + 5 * DAY


def errors_of(**overrides: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        inputs.validate_tender(tender_form(NOW, **overrides))
    return caught.value.errors


def test_dates_out_of_order_are_errors_beside_the_fields() -> None:
    form = tender_form(NOW)
    errors = errors_of(bid_deadline=form["enquiry_end"], enquiry_end=form["bid_deadline"])
    assert set(errors) == {"bid_deadline"}
    assert "opening_at" in errors_of(opening_at=inputs.to_local_input(NOW + DAY))
    assert "enquiry_end" in errors_of(enquiry_end="next tuesday")


@pytest.mark.parametrize("weights", [("50", "20", "20"), ("60", "30", "30"), ("0", "70", "30")])
def test_weights_must_add_up_to_100(weights: tuple[str, str, str]) -> None:
    errors = errors_of(
        criterion_weight_0=weights[0], criterion_weight_1=weights[1], criterion_weight_2=weights[2]
    )
    assert set(errors) == {"criteria"}


@given(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=8))
def test_any_set_of_weights_is_valid_exactly_when_it_sums_to_100(weights: list[int]) -> None:
    form = {f"criterion_name_{i}": f"C{i}" for i in range(len(weights))}
    form.update({f"criterion_weight_{i}": str(w) for i, w in enumerate(weights)})
    _criteria, problem = inputs.parse_criteria(form)
    assert (problem is None) == (sum(weights) == 100)


@pytest.mark.parametrize("budget", ["0", "0.00", "-100", "abc", "", "1e5", "12.345"])
def test_budget_must_be_a_positive_amount(budget: str) -> None:
    assert set(errors_of(budget=budget)) == {"budget"}


def test_other_field_errors_are_reported_together() -> None:
    errors = errors_of(
        title_zh="", title_en="", category="astrology", area_level="planet", area="", min_bids="0"
    )
    assert {"title_zh", "category", "area_level", "area", "min_bids"} <= set(errors)


def test_html_is_accepted_as_text_and_control_characters_refused() -> None:
    data = inputs.validate_tender(tender_form(NOW, title_en="<script>alert(1)</script>"))
    assert data.title_en == "<script>alert(1)</script>"
    assert "description_en" in errors_of(description_en="bell\x07")


def test_publication_needs_dates_ahead_and_the_minimum_window() -> None:
    rules.check_publishable(ENQ, DEADLINE, NOW, timedelta(days=3))
    with pytest.raises(ValidationFailed) as caught:
        rules.check_publishable(NOW - DAY, NOW + DAY, NOW, timedelta(days=3))
    assert set(caught.value.errors) == {"enquiry_end", "bid_deadline"}


def current_row() -> dict:
    data = inputs.validate_tender(tender_form(NOW))
    return {**data.columns(), "currency": "CNY"}


def test_an_amendment_near_the_deadline_extends_it_to_keep_the_window() -> None:
    row = current_row()
    late = row["bid_deadline"] - DAY  # one day left
    new = inputs.validate_tender(tender_form(NOW, description_en="Now with evening visits."))
    plan = rules.plan_amendment(row, new, now=late, min_window=timedelta(days=3))
    assert plan.extended
    assert plan.bid_deadline == late + timedelta(days=3)
    assert plan.opening_at - plan.bid_deadline == row["opening_at"] - row["bid_deadline"]
    assert set(plan.changes) == {"description_en", "bid_deadline", "opening_at"}


def test_an_amendment_with_time_to_spare_keeps_the_deadline() -> None:
    row = current_row()
    new = inputs.validate_tender(tender_form(NOW, budget="250000"))
    plan = rules.plan_amendment(row, new, now=NOW, min_window=timedelta(days=3))
    assert not plan.extended
    assert plan.changes == {"budget": (20_000_000, 25_000_000)}


def test_an_amendment_cannot_shorten_the_deadline_or_change_nothing() -> None:
    row = current_row()
    earlier = inputs.validate_tender(
        tender_form(NOW, bid_deadline=inputs.to_local_input(NOW + 9 * DAY))
    )
    with pytest.raises(ValidationFailed) as caught:
        rules.plan_amendment(row, earlier, now=NOW, min_window=timedelta(days=3))
    assert "bid_deadline" in caught.value.errors
    same = inputs.validate_tender(tender_form(NOW))
    with pytest.raises(ValidationFailed):
        rules.plan_amendment(row, same, now=NOW, min_window=timedelta(days=3))


def test_the_enquiry_end_cannot_move_once_passed() -> None:
    row = current_row()
    new = inputs.validate_tender(tender_form(NOW, enquiry_end=inputs.to_local_input(NOW + 7 * DAY)))
    with pytest.raises(ValidationFailed) as caught:
        rules.plan_amendment(row, new, now=NOW + 6 * DAY, min_window=timedelta(days=3))
    assert "enquiry_end" in caught.value.errors


def test_asker_tags_link_within_a_tender_but_not_across() -> None:
    a = rules.asker_tag("secret", 1, "salt1", 42)
    assert a == rules.asker_tag("secret", 1, "salt1", 42)
    assert a != rules.asker_tag("secret", 1, "salt1", 43)
    assert a != rules.asker_tag("secret", 2, "salt2", 42)
    assert "42" not in a
