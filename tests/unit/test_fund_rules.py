"""The community fund's pure rules: the committee's decision, the tranche plan, a call's
money and dates, and the placing of a fund's transfers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funds import rules
from market.errors import ValidationFailed

MEMBERS = (11, 12, 13)


def proposal(bid: int, amount: int) -> rules.Proposal:
    return rules.Proposal(bid_id=bid, organization=100 + bid, amount=amount)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(1, 50_000_00), min_size=1, max_size=5),
    votes=st.lists(st.sampled_from(rules.VOTES), min_size=15, max_size=15),
    voters=st.integers(2, 3),
)
def test_a_proposal_is_granted_by_a_strict_majority_within_cap_and_pot(amounts, votes, voters):
    members = MEMBERS[:voters]
    proposals = [proposal(i, a) for i, a in enumerate(amounts)]
    ballots = {
        (p.bid_id, m): votes[(p.bid_id * 3 + j) % len(votes)] for p in proposals for j, m in
        enumerate(members)
    }  # fmt: skip
    cap, pot = 30_000_00, 60_000_00
    try:
        outcomes = rules.decide(proposals, members, ballots, cap=cap, pot=pot)
    except rules.FundError:
        granted = [
            p for p in proposals
            if sum(ballots[(p.bid_id, m)] == "yes" for m in members) * 2 > len(members)
        ]  # fmt: skip
        assert any(p.amount > cap for p in granted) or sum(p.amount for p in granted) > pot
        return
    for outcome in outcomes:
        yes = sum(ballots[(outcome.proposal.bid_id, m)] == "yes" for m in members)
        assert (outcome.votes_for, outcome.votes_against) == (yes, len(members) - yes)
        assert outcome.granted == (yes * 2 > len(members))
    assert sum(o.proposal.amount for o in outcomes if o.granted) <= pot
    assert all(o.proposal.amount <= cap for o in outcomes if o.granted)


def test_a_missing_vote_or_too_few_members_free_of_conflict_stops_the_decision():
    proposals = [proposal(1, 100), proposal(2, 200)]
    ballots: dict[tuple[int, int], rules.Vote] = {(1, 11): "yes", (1, 12): "yes", (2, 11): "no"}
    with pytest.raises(rules.DecisionNotReady, match="Every member"):
        rules.decide(proposals, [11, 12], ballots, cap=1_000, pot=1_000)
    with pytest.raises(rules.DecisionNotReady, match="At least two"):
        rules.decide(proposals, [11], ballots, cap=1_000, pot=1_000)


def test_two_of_two_members_grant_and_one_of_two_does_not():
    ballots: dict[tuple[int, int], rules.Vote] = {
        (1, 11): "yes", (1, 12): "yes", (2, 11): "yes", (2, 12): "no",
    }  # fmt: skip
    first, second = rules.decide(
        [proposal(1, 100), proposal(2, 100)], [11, 12], ballots, cap=500, pot=500
    )
    assert first.granted and not second.granted


@given(amount=st.integers(1, 10**12), days=st.integers(0, 400))
def test_the_tranches_add_up_to_the_grant(amount, days):
    start = date(2026, 12, 1)
    plan = rules.tranche_plan(amount, start=start, ends=start + timedelta(days=days))
    assert sum(t.amount for t in plan) == amount
    assert all(t.amount > 0 for t in plan)
    assert plan[0].deliverable == "start" and plan[0].due == start
    assert [t.due for t in plan] == sorted(t.due for t in plan)
    assert plan[0].amount - (plan[1].amount if len(plan) > 1 else 0) in (0, 1)


def test_a_call_needs_a_cap_within_its_pot_and_a_month_for_its_projects():
    deadline = date(2026, 12, 10)
    rules.check_call(pot=1000, cap=1000, ends=deadline + timedelta(days=30), deadline=deadline)
    with pytest.raises(ValidationFailed) as refused:
        rules.check_call(pot=1000, cap=1001, ends=deadline, deadline=deadline)
    assert set(refused.value.errors) == {"cap", "ends"}


def test_a_yes_above_the_cap_is_refused_a_no_is_not():
    assert rules.check_vote("no", amount=2000, cap=1000, remark="") == "no"
    with pytest.raises(ValidationFailed):
        rules.check_vote("yes", amount=2000, cap=1000, remark="")
    with pytest.raises(ValidationFailed):
        rules.check_vote("maybe", amount=10, cap=1000, remark="")


entries = st.one_of(
    st.builds(
        rules.Entry, key=st.just("g"), kind=st.just("single"), reason=st.just(rules.GIFT_REASON),
        amount=st.integers(1, 10**6), out=st.just(False),
        source=st.sampled_from(rules.GIFT_SOURCES),
    ),
    st.builds(
        rules.Entry, key=st.just("r"), kind=st.just("single"),
        reason=st.sampled_from(rules.RETURN_REASONS), amount=st.integers(1, 10**6),
        out=st.just(False), call=st.booleans(),
    ),
    st.integers(1, 10**6).flatmap(
        lambda held: st.builds(
            rules.Entry, key=st.just("h"), kind=st.just("pending"),
            reason=st.just(rules.HOLD_REASON), amount=st.just(held), out=st.just(True),
            call=st.just(True), resolved=st.one_of(st.none(), st.integers(0, held)),
        )
    ),
)  # fmt: skip


@given(st.lists(entries, max_size=20))
def test_a_funds_balance_is_income_less_grants_plus_returns(items):
    placed = rules.figures(items)
    assert not placed.unplaced
    credits = sum(e.amount for e in items if not e.out)
    taken = sum(e.resolved or 0 for e in items if e.out)
    assert placed.balance == credits - taken
    assert placed.held == sum(e.amount for e in items if e.out and e.resolved is None)
    assert placed.total_income + placed.returned == credits


def test_a_transfer_out_of_a_fund_that_is_no_call_hold_is_unplaced():
    stray = rules.Entry("x", "single", "release", 100, out=True)
    foreign = rules.Entry("y", "pending", rules.HOLD_REASON, 100, out=True, call=False)
    assert rules.figures([stray, foreign]).unplaced == ["x", "y"]


def test_consented_money_goes_to_the_projects_communitys_fund_else_the_district_one():
    from donors.settlement_rules import PaidDonation, consented_fund, donation_destination
    from market.ledger.codes import COMMUNITY_FUND

    assert consented_fund(7, "community") == "community:7:fund"
    assert consented_fund(3, "street") == consented_fund(None, None) == COMMUNITY_FUND
    chose = PaidDonation(donation_id=5, on_failure="community_fund")
    assert donation_destination(chose, fund="community:7:fund") == "community:7:fund"
    assert donation_destination(chose, sandbox=True, fund="community:7:fund") == (
        "donor:d5:refund"  # simulated money never reaches a real fund
    )
