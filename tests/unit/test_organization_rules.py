"""Organization state machine, decision deadline and registration validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market import organization_rules as rules
from market import uscc
from market.errors import InvalidTransition, ValidationFailed

VALID_USCC = uscc.make("5", "2", "330106", "MA2B3C4D")
SHANGHAI = rules.LOCAL_ZONE


# --- state machine ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        ("pending", "verify", "verified"),
        ("pending", "reject", "rejected"),
        ("verified", "suspend", "suspended"),
        ("suspended", "reinstate", "verified"),
    ],
)
def test_allowed_transitions(status, action, target):
    decision = rules.decide(status, action, reason="documents checked")
    assert decision.status == target


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("verified", "verify"),
        ("rejected", "verify"),
        ("suspended", "verify"),
        ("verified", "reject"),
        ("rejected", "reject"),
        ("pending", "suspend"),
        ("suspended", "suspend"),
        ("rejected", "suspend"),
        ("pending", "reinstate"),
        ("verified", "reinstate"),
        ("rejected", "reinstate"),
    ],
)
def test_every_other_transition_is_refused_with_the_current_status(status, action):
    with pytest.raises(InvalidTransition) as caught:
        rules.decide(status, action, reason="because")
    assert caught.value.params == {"status": status}
    assert caught.value.field == "action"


def test_rejected_is_final():
    for action in rules.TRANSITIONS:
        with pytest.raises(InvalidTransition):
            rules.decide("rejected", action, reason="x")


def test_unknown_action_is_a_field_error():
    with pytest.raises(ValidationFailed) as caught:
        rules.decide("pending", "approve")
    assert set(caught.value.errors) == {"action"}


@pytest.mark.parametrize(("status", "action"), [("pending", "reject"), ("verified", "suspend")])
def test_reject_and_suspend_need_a_reason(status, action):
    with pytest.raises(ValidationFailed) as caught:
        rules.decide(status, action, reason="   ")
    assert set(caught.value.errors) == {"reason"}


def test_verify_needs_no_reason_and_sets_the_rating():
    decision = rules.decide("pending", "verify", rating=" 4a ")
    assert (decision.status, decision.rating, decision.reason) == ("verified", "4A", "")


def test_verify_without_rating_keeps_the_rating_unchanged():
    assert rules.decide("pending", "verify").rating is None


def test_reject_ignores_a_rating():
    assert rules.decide("pending", "reject", reason="fake", rating="5A").rating is None


@pytest.mark.parametrize("rating", ["6A", "A", "0A", "5B", "AAAAA"])
def test_rating_outside_1a_to_5a_is_refused(rating):
    with pytest.raises(ValidationFailed) as caught:
        rules.decide("pending", "verify", rating=rating)
    assert set(caught.value.errors) == {"rating"}


# --- decision deadline ------------------------------------------------------


def local(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("submitted", "due_day"),
    [
        (local(2026, 11, 2), (2026, 11, 9)),  # Monday → next Monday
        (local(2026, 11, 5), (2026, 11, 12)),  # Thursday → next Thursday
        (local(2026, 11, 6), (2026, 11, 13)),  # Friday → next Friday
        (local(2026, 11, 7), (2026, 11, 13)),  # Saturday → Friday after
        (local(2026, 11, 8), (2026, 11, 13)),  # Sunday → Friday after
        (local(2026, 11, 2, 23, 30), (2026, 11, 9)),  # late evening is still Monday
    ],
)
def test_deadline_is_end_of_fifth_working_day_after_submission(submitted, due_day):
    due = rules.decision_deadline(submitted.astimezone(UTC))
    assert due == datetime(*due_day, 23, 59, 59, tzinfo=SHANGHAI)


def test_deadline_uses_beijing_date_not_utc_date():
    # 2026-11-06 17:00 UTC is already Saturday 01:00 in Beijing.
    due = rules.decision_deadline(datetime(2026, 11, 6, 17, 0, tzinfo=UTC))
    assert due.date() == date(2026, 11, 13)


def test_deadline_needs_an_aware_datetime():
    with pytest.raises(ValueError):
        rules.decision_deadline(datetime(2026, 11, 2, 9, 0))  # noqa: DTZ001


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - Hypothesis bounds are naive
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_deadline_always_lands_on_a_weekday_5_to_9_days_later(submitted):
    due = rules.decision_deadline(submitted)
    assert due.weekday() < 5
    gap = due.date() - submitted.astimezone(SHANGHAI).date()
    assert timedelta(days=5) <= gap <= timedelta(days=9)


def test_overdue_only_while_pending_and_after_the_deadline():
    due = local(2026, 11, 9, 23, 59)
    assert not rules.is_overdue("pending", due, due)
    assert rules.is_overdue("pending", due, due + timedelta(seconds=1))
    assert not rules.is_overdue("verified", due, due + timedelta(days=3))


# --- registration -----------------------------------------------------------


def registration(**overrides):
    values = {
        "kind": "social_org",
        "name_zh": " 明湖社区服务中心 ",
        "name_en": "Minghu Community Service Centre",
        "uscc_code": VALID_USCC.lower(),
        "category": "community_services",
        "area": "湖滨街道",
        "description_zh": "",
        "description_en": "",
        "contact_email": " Info@Example.org ",
        "registered_year": "2018",
        "this_year": 2026,
    }
    return rules.validate_registration(**{**values, **overrides})


def errors_of(**overrides):
    with pytest.raises(ValidationFailed) as caught:
        registration(**overrides)
    return caught.value


def test_valid_registration_is_normalised():
    reg = registration()
    assert reg.name_zh == "明湖社区服务中心"
    assert reg.uscc == VALID_USCC
    assert reg.contact_email == "info@example.org"
    assert reg.registered_year == 2018


@pytest.mark.parametrize("kind", ["social_org", "company", "foundation"])
def test_public_registration_kinds(kind):
    assert registration(kind=kind).kind == kind


@pytest.mark.parametrize("kind", ["department", "operator"])
def test_departments_and_operators_cannot_self_register(kind):
    assert set(errors_of(kind=kind).errors) == {"kind"}
    assert (
        rules.validate_registration(
            **{
                "kind": kind,
                "name_zh": "区民政局",
                "name_en": "",
                "uscc_code": VALID_USCC,
                "category": "",
                "area": "",
                "description_zh": "",
                "description_en": "",
                "contact_email": "",
                "registered_year": None,
                "this_year": 2026,
                "by_operator": True,
            }
        ).kind
        == kind
    )


def test_social_org_needs_one_of_the_six_categories():
    assert set(errors_of(category="").errors) == {"category"}
    assert set(errors_of(category="sports").errors) == {"category"}


def test_category_is_dropped_for_companies():
    assert registration(kind="company", category="charity").category == ""


def test_all_field_errors_come_at_once():
    exc = errors_of(
        kind="club",
        name_zh=" ",
        name_en="x" * 201,
        uscc_code="91350100M000100Y44",
        area="a" * 101,
        description_en="d" * 5001,
        contact_email="nope",
        registered_year="1800",
    )
    assert set(exc.errors) == {
        "kind",
        "name_zh",
        "name_en",
        "uscc",
        "area",
        "description_en",
        "contact_email",
        "registered_year",
    }
    assert exc.errors["uscc"] == uscc.BAD_CHECK


def test_uscc_error_keeps_its_parameters_for_translation():
    exc = errors_of(uscc_code="123")
    assert exc.errors["uscc"] == uscc.WRONG_LENGTH
    assert exc.field_params["uscc"] == {"length": 3}


def test_name_of_exactly_200_characters_is_accepted():
    assert len(registration(name_zh="名" * 200).name_zh) == 200
    assert set(errors_of(name_zh="名" * 201).errors) == {"name_zh"}


@pytest.mark.parametrize("year", ["", None])
def test_registration_year_is_optional(year):
    assert registration(registered_year=year).registered_year is None


@pytest.mark.parametrize("year", ["abc", "2027", "1948"])
def test_registration_year_must_be_plausible(year):
    assert set(errors_of(registered_year=year).errors) == {"registered_year"}


def test_member_roles():
    assert rules.validate_role("admin") == "admin"
    with pytest.raises(ValidationFailed):
        rules.validate_role("owner")
