"""Match pledges: who matches a donation and by how much. PURE (no framework imports).

A pledge's ratio is sponsor : donor, e.g. 1:1 (one yuan per yuan donated) or 2:1.
A donation is matched by at most one pledge: among the eligible pledges with money
left, the one that expires first (then the oldest), so money that is about to lapse
is used first and a donor is never told of a match that cannot be paid. The match is
floor(donation × ratio), capped per donation, by what remains under the pledge's
total cap and by the pledge account's balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from market.errors import DomainError, ValidationFailed

MAX_RATIO = 10


@dataclass(frozen=True, slots=True)
class PledgeTerms:
    pledge_id: int
    currency: str
    ratio_sponsor: int
    ratio_donor: int
    per_donation_cap: int
    total_cap: int
    valid_from: datetime
    valid_until: datetime
    categories: frozenset[str] = field(default=frozenset())
    areas: frozenset[str] = field(default=frozenset())
    tender_ids: frozenset[int] = field(default=frozenset())


@dataclass(frozen=True, slots=True)
class TenderFacts:
    tender_id: int
    category: str
    area: str
    currency: str
    sandbox: bool = False  # a training tender: its donations are simulated money


@dataclass(frozen=True, slots=True)
class PledgeState:
    terms: PledgeTerms
    matched: int  # already committed (reserved or posted) under the total cap
    balance: int  # what the pledge account still holds


def check_terms(terms: PledgeTerms) -> None:
    """Field errors for a pledge a sponsor is creating."""
    errors: dict[str, str] = {}
    if terms.ratio_sponsor <= 0 or terms.ratio_donor <= 0:
        errors["ratio"] = "The match ratio must be above zero on both sides."
    elif terms.ratio_sponsor > MAX_RATIO * terms.ratio_donor:
        errors["ratio"] = "A match ratio above 10:1 is not accepted."
    if terms.per_donation_cap <= 0:
        errors["per_donation_cap"] = "The per-donation cap must be above zero."
    if terms.total_cap <= 0:
        errors["total_cap"] = "The total cap must be above zero."
    elif terms.total_cap < terms.per_donation_cap:
        errors["total_cap"] = "The total cap cannot be smaller than the per-donation cap."
    if terms.valid_until <= terms.valid_from:
        errors["valid_until"] = "The pledge must end after it starts."
    if errors:
        raise ValidationFailed(errors)


def is_eligible(terms: PledgeTerms, tender: TenderFacts, at: datetime) -> bool:
    """Whether a pledge matches donations to this tender now. Never a sandbox
    (training) tender's: a pledge is a sponsor's real money and its donations are
    simulated."""
    return (
        not tender.sandbox
        and terms.currency == tender.currency
        and terms.valid_from <= at < terms.valid_until
        and (not terms.categories or tender.category in terms.categories)
        and (not terms.areas or tender.area in terms.areas)
        and (not terms.tender_ids or tender.tender_id in terms.tender_ids)
    )


def match_amount(state: PledgeState, donation: int) -> int:
    if donation <= 0:
        raise DomainError("A donation must be above zero.")
    terms = state.terms
    raw = donation * terms.ratio_sponsor // terms.ratio_donor
    return max(
        0,
        min(raw, terms.per_donation_cap, terms.total_cap - state.matched, state.balance),
    )


def choose_match(
    pledges: Iterable[PledgeState], tender: TenderFacts, donation: int, at: datetime
) -> tuple[int, int] | None:
    """`(pledge_id, amount)` of the match for this donation, or None."""
    candidates = sorted(
        (p for p in pledges if is_eligible(p.terms, tender, at)),
        key=lambda p: (p.terms.valid_until, p.terms.pledge_id),
    )
    for state in candidates:
        amount = match_amount(state, donation)
        if amount > 0:
            return state.terms.pledge_id, amount
    return None
