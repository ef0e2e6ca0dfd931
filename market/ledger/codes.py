"""Ledger account codes (DESIGN §4), spelled here only — besides `rules.escrow_code`,
which validates its source: `tender:{id}:escrow:{source}`."""

from __future__ import annotations

TREASURY = "external:treasury"
COMMUNITY_FUND = "community_fund"


def budget_code(department_id: int) -> str:
    return f"department:{department_id}:budget"


def payable_code(org_id: int) -> str:
    return f"org:{org_id}:payable"


def pledge_code(pledge_id: int) -> str:
    return f"pledge:{pledge_id}"


def refund_code(donation_id: int) -> str:
    return f"donor:d{donation_id}:refund"


def payer_refund_code(payment_id: int) -> str:
    """Where money going back to whoever made one payment waits for its payout (a
    sponsorship, own income or pledge prepayment that arrived too late)."""
    return f"payer:p{payment_id}:refund"
