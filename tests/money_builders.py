"""A small, valid ledger with every kind of donors money on it, built through the real
services: the base the money-invariant tests break one defect at a time
(tests/services/test_money_invariants.py)."""

from __future__ import annotations

from dataclasses import dataclass

from donors import contributions, donations, payments, refunds, settlement
from market.ledger.accounts import ensure_accounts
from market.ledger.rules import Kind
from market.ledger.services import transfer
from market.money import Money
from market.sql import execute
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_sponsor, make_tender


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


@dataclass(frozen=True, slots=True)
class MoneyWorld:
    """Ids of what `build_money_world` made (amounts in fen)."""

    operator: int
    pledge: int  # 1:1, ¥100 per donation, matching on `open_tender` and `settled_tender`
    open_tender: int  # tendering; a ¥1,000 sponsorship in its corporate escrow
    paid: int  # ¥100 by sandbox, matched ¥100 (posted)
    reserved: int  # ¥50 by bank transfer, awaiting, matched ¥50 (reserved)
    declined: int  # ¥60 by sandbox, declined: its match released
    settled_tender: int  # cancelled and settled
    refunded: int  # ¥100 by sandbox, matched: refunded in the sandbox at settlement
    refund_queued: int  # ¥40 by bank transfer, matched: refund queued for the operator
    awaiting_unmatched: int  # ¥25 by bank transfer, started before the pledge: unmatched
    unmatched_tender: int  # tendering, no pledge matches it
    unmatched_paid: int  # ¥30 by sandbox
    unmatched_awaiting: int  # ¥20 by bank transfer

    async def payment(self, donation_id: int) -> int:
        row = await payments.payment_for("donation", donation_id)
        assert row is not None
        return int(row["id"])

    async def refund(self, donation_id: int) -> int:
        rows = await execute(
            "SELECT id FROM donors_refund WHERE payment = {}", await self.payment(donation_id)
        )
        return int(rows[0]["id"])


async def donate(tender: int, amount: int, provider: str, **kw: str) -> int:
    return (
        await donations.start_donation(
            tender_id=tender, amount=cny(amount), provider=provider, **kw
        )
    ).donation_id


async def confirm_bank(donation_id: int, operator: int) -> None:
    payment = await payments.payment_for("donation", donation_id)
    assert payment is not None
    await payments.record_bank_transfer(
        reference_code=payment["reference_code"],
        amount=int(payment["amount"]),
        currency="CNY",
        bank_reference=f"ICBC {donation_id}",
        operator_id=operator,
    )


async def build_money_world() -> MoneyWorld:
    operator = await make_operator()
    open_tender = await make_tender()
    settled_tender = await make_tender(status="contracted")
    unmatched_tender = await make_tender()
    awaiting_unmatched = await donate(settled_tender, 25_00, "bank_transfer")
    pledge = await make_pledge(
        per_donation_cap=100_00, tender_ids=frozenset({open_tender, settled_tender})
    )
    user, company = await make_sponsor()
    await contributions.contribute(
        kind="sponsorship", tender_id=open_tender, organization_id=company,
        organization_kind="company", user_id=user, amount=cny(1_000_00), provider="sandbox",
    )  # fmt: skip
    paid = await donate(open_tender, 100_00, "sandbox")
    reserved = await donate(open_tender, 50_00, "bank_transfer")
    declined = await donate(open_tender, 60_00, "sandbox", sandbox_outcome="decline")
    refunded = await donate(settled_tender, 100_00, "sandbox")
    refund_queued = await donate(settled_tender, 40_00, "bank_transfer")
    await confirm_bank(refund_queued, operator)
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", settled_tender)
    assert await settlement.settle_tender(settled_tender, "cancelled")
    await refunds.process_refunds()
    return MoneyWorld(
        operator=operator,
        pledge=pledge,
        open_tender=open_tender,
        paid=paid,
        reserved=reserved,
        declined=declined,
        settled_tender=settled_tender,
        refunded=refunded,
        refund_queued=refund_queued,
        awaiting_unmatched=awaiting_unmatched,
        unmatched_tender=unmatched_tender,
        unmatched_paid=await donate(unmatched_tender, 30_00, "sandbox"),
        unmatched_awaiting=await donate(unmatched_tender, 20_00, "bank_transfer"),
    )


async def move(
    key: str,
    debit: str,
    credit: str,
    amount: int,
    reason: str,
    *,
    kind: Kind = "single",
    tender_id: int | None = None,
    source: str | None = None,
) -> None:
    """One posted (or, with kind="pending", held) transfer through the ledger service:
    valid for the ledger, whatever it does to the donors' invariants."""
    await ensure_accounts([debit, credit], "CNY")
    await transfer(key, debit=debit, credit=credit, amount=cny(amount), reason=reason,
                   kind=kind, tender_id=tender_id, source=source, audit=False)  # fmt: skip
