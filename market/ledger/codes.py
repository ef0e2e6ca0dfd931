"""Ledger account codes (DESIGN §4), spelled here only — besides `rules.escrow_code`,
which validates its source: `tender:{id}:escrow:{source}`.

A sandbox (training) tender's money is simulated and stays apart from real money
(market/tenders/lifecycle.py explains why): its government budget comes from
`SANDBOX_TREASURY` into the department's sandbox budget, and its tranches go to the
organization's sandbox payable account — `budget_code(..., sandbox=True)`,
`payable_code(..., sandbox=True)`. `market ledger check` proves the two never mix.
"""

from __future__ import annotations

TREASURY = "external:treasury"
SANDBOX_TREASURY = "external:sandbox_treasury"
COMMUNITY_FUND = "community_fund"


def budget_code(department_id: int, *, sandbox: bool = False) -> str:
    """The department's budget account, or the one its sandbox tenders train with."""
    return f"department:{department_id}:{'sandbox_budget' if sandbox else 'budget'}"


def payable_code(org_id: int, *, sandbox: bool = False) -> str:
    """What the organization is paid into, or the account its sandbox tranches go to."""
    return f"org:{org_id}:{'sandbox_payable' if sandbox else 'payable'}"


def pledge_code(pledge_id: int) -> str:
    return f"pledge:{pledge_id}"


def refund_code(donation_id: int) -> str:
    return f"donor:d{donation_id}:refund"


def payer_refund_code(payment_id: int) -> str:
    """Where money going back to whoever made one payment waits for its payout (a
    sponsorship, own income or pledge prepayment that arrived too late)."""
    return f"payer:p{payment_id}:refund"


def appropriation_code(year: int, district_id: int) -> str:
    """What a district's appropriation for `year` still holds unallocated (funded from
    `TREASURY` when the appropriation is recorded; lines are allocated from it, and
    what lines do not spend returns to it at year end)."""
    return f"budget:{year}:p{district_id}:appropriation"


def budget_line_code(line_id: int) -> str:
    """One budget line (market_budget_line): allocated from its appropriation, holds a
    tender's government budget at publication, never overdrawn."""
    return f"budget:line:{line_id}"


def community_fund_code(place_id: int) -> str:
    """A community's own fund (社区基金): donations, sponsorships and consented money of
    failed projects in; small grants out through escrow."""
    return f"community:{place_id}:fund"
