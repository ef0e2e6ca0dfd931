"""Match pledges: eligibility, ratio, caps, choice among pledges."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donors.matching import (
    PledgeState,
    PledgeTerms,
    TenderFacts,
    check_terms,
    choose_match,
    is_eligible,
    match_amount,
)
from market.errors import DomainError, ValidationFailed

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TERMS = PledgeTerms(
    pledge_id=1,
    currency="CNY",
    ratio_sponsor=1,
    ratio_donor=1,
    per_donation_cap=50_000,
    total_cap=1_000_000,
    valid_from=T0,
    valid_until=T0 + timedelta(days=90),
)
TENDER = TenderFacts(tender_id=7, category="community_services", area="东湖街道", currency="CNY")
NOW = T0 + timedelta(days=1)


def state(terms=TERMS, matched=0, balance=1_000_000):
    return PledgeState(terms=terms, matched=matched, balance=balance)


@pytest.mark.parametrize(
    ("ratio", "donation", "expected"),
    [((1, 1), 10_000, 10_000), ((2, 1), 10_000, 20_000), ((1, 2), 10_001, 5_000)],
)
def test_ratio(ratio, donation, expected):
    terms = dataclasses.replace(TERMS, ratio_sponsor=ratio[0], ratio_donor=ratio[1])
    assert match_amount(state(terms), donation) == expected


def test_caps_and_balance_limit_the_match():
    assert match_amount(state(), 80_000) == 50_000
    assert match_amount(state(matched=990_000), 40_000) == 10_000
    assert match_amount(state(balance=3_000), 40_000) == 3_000
    assert match_amount(state(matched=1_000_000), 40_000) == 0


def test_zero_or_negative_donation_is_refused():
    with pytest.raises(DomainError):
        match_amount(state(), 0)


@pytest.mark.parametrize(
    ("change", "eligible"),
    [
        ({}, True),
        ({"categories": frozenset({"charity"})}, False),
        ({"categories": frozenset({"community_services"})}, True),
        ({"areas": frozenset({"西湖街道"})}, False),
        ({"tender_ids": frozenset({8})}, False),
        ({"tender_ids": frozenset({7})}, True),
        ({"valid_from": NOW + timedelta(seconds=1)}, False),
        ({"valid_until": NOW}, False),
        ({"currency": "USD"}, False),
    ],
)
def test_eligibility(change, eligible):
    assert is_eligible(dataclasses.replace(TERMS, **change), TENDER, NOW) is eligible


def test_the_pledge_expiring_first_matches_and_exhausted_ones_are_skipped():
    soon = dataclasses.replace(TERMS, pledge_id=2, valid_until=T0 + timedelta(days=10))
    later = dataclasses.replace(TERMS, pledge_id=3, valid_until=T0 + timedelta(days=60))
    assert choose_match([state(later), state(soon)], TENDER, 1_000, NOW) == (2, 1_000)
    assert choose_match([state(later), state(soon, balance=0)], TENDER, 1_000, NOW) == (3, 1_000)
    assert choose_match([state(soon, balance=0)], TENDER, 1_000, NOW) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ratio_sponsor": 0}, "ratio"),
        ({"ratio_donor": -1}, "ratio"),
        ({"ratio_sponsor": 11}, "ratio"),
        ({"total_cap": 10_000}, "total_cap"),
        ({"per_donation_cap": 0}, "per_donation_cap"),
        ({"valid_until": T0}, "valid_until"),
    ],
)
def test_bad_terms_are_field_errors(change, field):
    with pytest.raises(ValidationFailed) as caught:
        check_terms(dataclasses.replace(TERMS, **change))
    assert field in caught.value.errors


@given(
    donations=st.lists(st.integers(min_value=1, max_value=200_000), max_size=60),
    per_cap=st.integers(min_value=1, max_value=100_000),
    extra=st.integers(min_value=0, max_value=500_000),
    prepaid=st.integers(min_value=0, max_value=2_000_000),
)
def test_matches_never_exceed_any_cap_or_the_prepaid_balance(donations, per_cap, extra, prepaid):
    terms = dataclasses.replace(TERMS, per_donation_cap=per_cap, total_cap=per_cap + extra)
    matched, balance = 0, prepaid
    for donation in donations:
        amount = match_amount(PledgeState(terms, matched, balance), donation)
        assert 0 <= amount <= min(donation, per_cap)
        matched += amount
        balance -= amount
    assert matched <= terms.total_cap
    assert balance >= 0
