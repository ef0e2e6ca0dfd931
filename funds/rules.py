"""Community fund rules. PURE (no framework imports, no I/O).

A community's fund (社区基金) is the ledger account `community:{place}:fund`. Money
comes in from residents' donations, companies' and foundations' sponsorships
(`GIFT_REASON`, one donors payment each) and the consented public money of failed
projects in the community (the donors app's settlement and late arrivals). It goes
out only through calls for proposals: a call is a kernel tender whose whole pot is
held from the fund at publication (`budget_hold`), proposals are sealed bids, the
committee is the tender's evaluation panel (three members; conflicts of interest as
for any panel). The committee votes on every proposal; `decide` turns the recorded
votes into grants (several per call), the posted part of the hold pays them, the rest
goes back to the fund at once. A grant is paid in tranches (`tranche_plan`), each
released from the call's escrow when a committee member other than the one who decided
the grant approves the grantee's report.

`figures` reads a fund's account from its transfers: income by source, what calls
hold and have taken for grants, what came back — and names every transfer it cannot
place, which `market ledger check` reports (funds/invariants.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Literal

from donors.rules import public_text_errors
from market.errors import DomainError, ValidationFailed

COMMITTEE_SIZE: Final = 3
QUORUM: Final = 2  # members free of conflict needed to decide
VOTES: Final = ("yes", "no")
GIFT_SOURCES: Final = ("public", "corporate", "foundation")
SPONSOR_SOURCE: Final = {"company": "corporate", "foundation": "foundation"}
GIFT_REASON: Final = "fund_gift"
HOLD_REASON: Final = "budget_hold"  # the kernel's hold of a tender's budget
RETURN_REASONS: Final = ("return", "late_arrival")
GIFT_MIN: Final = 100  # ¥1.00
GIFT_MAX: Final = 1_000_000_00  # ¥1,000,000.00 in one payment
REMARK_MAX: Final = 1_000
REPORT_MAX: Final = 5_000
DELIVERABLES: Final = ("start", "final")
INCOME_KINDS: Final = ("public", "corporate", "foundation", "consented")
MIN_PROJECT: Final = timedelta(days=30)  # a funded project runs at least a month

Vote = Literal["yes", "no"]


class FundError(DomainError):
    """A refusal of the funds app (400 unless a subclass says otherwise)."""


class DecisionNotReady(FundError):
    """The committee cannot decide yet (votes missing, too few members free of conflict);
    `message` is a msgid without parameters."""

    status_code = 409


# --- calls --------------------------------------------------------------------------


def check_call(*, pot: int, cap: int, ends: date, deadline: date) -> None:
    """A call's money and dates: a cap above zero and no larger than the pot (the most
    one grant may be), projects ending at least a month after the deadline."""
    errors: dict[str, str] = {}
    if cap <= 0:
        errors["cap"] = "Enter the most one grant may be, greater than zero."
    elif cap > pot:
        errors["cap"] = "One grant cannot be more than the whole call."
    if ends < deadline + MIN_PROJECT:
        errors["ends"] = "Funded projects must run at least 30 days after the deadline."
    if errors:
        raise ValidationFailed(errors)


def check_vote(vote: str, *, amount: int, cap: int, remark: str) -> Vote:
    """A vote is yes or no; yes only for a proposal within the call's cap."""
    if vote not in VOTES:
        raise ValidationFailed.single("vote", "Vote yes or no.")
    if len(remark) > REMARK_MAX:
        raise ValidationFailed.single("remark", "A remark can be at most 1,000 characters.")
    if vote == "yes" and amount > cap:
        raise ValidationFailed.single(
            "vote", "This proposal asks for more than the call's cap: it cannot be granted."
        )
    return "yes" if vote == "yes" else "no"


@dataclass(frozen=True, slots=True)
class Proposal:
    bid_id: int
    organization: int
    amount: int


@dataclass(frozen=True, slots=True)
class Outcome:
    proposal: Proposal
    votes_for: int
    votes_against: int

    @property
    def granted(self) -> bool:
        return self.votes_for * 2 > self.votes_for + self.votes_against


def decide(
    proposals: Sequence[Proposal],
    voters: Iterable[int],
    ballots: Mapping[tuple[int, int], Vote],
    *,
    cap: int,
    pot: int,
) -> list[Outcome]:
    """Every proposal's outcome: granted by a majority of the members free of conflict
    (`voters`: at least QUORUM of them, every one having voted on every proposal),
    never above the cap, all grants together never above the pot. `ballots` maps
    (bid id, member) to the vote."""
    members = sorted(set(voters))
    if len(members) < QUORUM:
        raise DecisionNotReady("At least two committee members free of conflict must vote.")
    if not proposals:
        return []
    outcomes = []
    for proposal in proposals:
        votes = [ballots.get((proposal.bid_id, m)) for m in members]
        if any(v is None for v in votes):
            raise DecisionNotReady("Every member free of conflict must vote on every proposal.")
        yes = sum(1 for v in votes if v == "yes")
        outcome = Outcome(proposal, yes, len(votes) - yes)
        if outcome.granted and proposal.amount > cap:
            raise FundError("A proposal above the call's cap cannot be granted.")
        outcomes.append(outcome)
    if sum(o.proposal.amount for o in outcomes if o.granted) > pot:
        raise FundError("The proposals voted for ask for more than the call holds.")
    return outcomes


# --- tranches -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranchePlan:
    deliverable: str  # start | final
    due: date
    amount: int


def tranche_plan(amount: int, *, start: date, ends: date) -> list[TranchePlan]:
    """Two tranches: half (rounded up to the fen) on the report that the project has
    started, due at the decision; the rest on the final report, due when the call's
    projects end. A grant of one fen is paid in one tranche."""
    if amount <= 0:
        raise FundError("A grant is greater than zero.")
    first = amount - amount // 2
    plan = [TranchePlan("start", start, first)]
    if amount - first:
        plan.append(TranchePlan("final", max(ends, start), amount - first))
    return plan


def check_report(report: str) -> str:
    report = report.strip()
    if not report:
        raise ValidationFailed.single("report", "Describe what was done.")
    if len(report) > REPORT_MAX:
        raise ValidationFailed.single("report", "A report can be at most 5,000 characters.")
    return report


def check_approver(approver: int, decided_by: int) -> None:
    """Four eyes: whoever recorded the grant's decision does not approve its tranches."""
    if approver == decided_by:
        raise FundError(
            "A tranche must be approved by a committee member other than whoever recorded "
            "the decision.",
            field="decision",
        )


# --- gifts ----------------------------------------------------------------------------


def check_gift(*, amount: int, currency: str, source: str, display_name: str, message: str) -> None:
    errors: dict[str, str] = {}
    if currency != "CNY":
        errors["currency"] = "Gifts to a community fund are accepted in CNY only."
    if amount < GIFT_MIN:
        errors["amount"] = "The amount is below the minimum for one gift."
    elif amount > GIFT_MAX:
        errors["amount"] = "The amount is above the maximum for one gift."
    if source not in GIFT_SOURCES:
        errors["source"] = "Choose who is giving."
    errors.update(public_text_errors(display_name, message))
    if errors:
        raise ValidationFailed(errors)


# --- a fund's account -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One transfer touching a fund's account, as the ledger has it: `out` when the fund
    is its debit account; `call` when its tender is one of this fund's calls;
    `resolved` the posted amount of a hold (None while open, 0 when voided)."""

    key: str
    kind: str  # single | pending (posts and voids are read into `resolved`)
    reason: str
    amount: int
    out: bool
    source: str | None = None
    tender_id: int | None = None
    call: bool = False
    resolved: int | None = None
    reference: str = ""
    at: datetime | None = None


@dataclass
class Figures:
    income: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INCOME_KINDS, 0))
    held: int = 0  # open holds of calls (pending)
    granted: int = 0  # posted holds: money calls took to pay their grants
    returned: int = 0  # back from a call's escrow (unspent grant money, a surplus)
    unplaced: list[str] = field(default_factory=list)

    @property
    def total_income(self) -> int:
        return sum(self.income.values())

    @property
    def balance(self) -> int:
        """income − granted + returned: the posted balance the ledger must show."""
        return self.total_income - self.granted + self.returned

    @property
    def available(self) -> int:
        return self.balance - self.held


def figures(entries: Iterable[Entry]) -> Figures:
    """Place every transfer of one fund's account (see `Entry`); a transfer that is
    neither income, a call's hold nor money back from a call is named in `unplaced`."""
    out = Figures()
    for e in entries:
        if (
            not e.out
            and e.kind == "single"
            and e.reason == GIFT_REASON
            and (e.source in GIFT_SOURCES)
        ):
            out.income[str(e.source)] += e.amount
        elif not e.out and e.kind == "single" and e.reason in RETURN_REASONS:
            if e.call:
                out.returned += e.amount
            else:
                out.income["consented"] += e.amount
        elif e.out and e.kind == "pending" and e.reason == HOLD_REASON and e.call:
            if e.resolved is None:
                out.held += e.amount
            else:
                out.granted += e.resolved
        else:
            out.unplaced.append(e.key)
    return out
