# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Money given into a community's fund: a resident's donation ("my community's fund")
or a company's or foundation's sponsorship. Each is one gift row and one donors
payment of kind `fund_gift` (sandbox card, Stripe, or — for sponsors — a bank transfer
the operator records), created in one transaction; `donors.payments.confirm_payment`
then applies `on_paid` once: the whole amount from the provider's external account
into `community:{place}:fund` (reason `fund_gift`, the gift's source on the transfer),
the transfer `market ledger check` ties to the payment. A fund always takes money,
so a gift is never a late arrival; a failed or expired payment fails the gift.

Lock order: payment row (donors) → gift row → ledger accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from donors import payments
from donors import rules as donation_rules
from donors.providers import Started
from funds import rules
from funds.tables import Fund, Gift
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import NotFound, PermissionDenied
from market.ledger.accounts import ensure_accounts
from market.ledger.codes import community_fund_code
from market.ledger.rules import Transfer
from market.ledger.services import create_transfers
from market.money import Money
from market.sql import Row, execute, for_update
from market.tables import Membership

KIND = "fund_gift"  # the donors payment kind (composition/wiring.py)
SPONSOR_PROVIDERS = ("bank_transfer", "sandbox")
# A resident gives by card (the sandbox's, or Stripe's): a bank transfer waits for the
# operator, and the public route takes no pending money it cannot confirm at once.
RESIDENT_PROVIDERS = ("sandbox", "stripe")


@dataclass(frozen=True, slots=True)
class GiftStarted:
    gift_id: int
    payment_id: int
    reference_code: str
    status: str  # the gift's, after the provider answered
    started: Started


async def fund_place(fund_id: int) -> int:
    row = await Fund.select(Fund.place).where(Fund.id == fund_id).first()
    if row is None:
        raise NotFound("No such community fund.")
    return int(row["place"])


async def _sponsor_source(user_id: int | None, sponsor_id: int | None) -> str:
    """public, or the sponsor's source when a member gives for a company or foundation."""
    if sponsor_id is None:
        return "public"
    member = (
        await Membership.select(Membership.organization.kind)
        .where(
            (Membership.user == user_id)
            & (Membership.organization == sponsor_id)
            & (Membership.organization.status == "verified")
        )
        .first()
    )
    kind = member["organization.kind"] if member else ""
    if kind not in rules.SPONSOR_SOURCE:
        raise PermissionDenied("Only members of a verified company or foundation sponsor a fund.")
    return rules.SPONSOR_SOURCE[kind]


async def start_gift(
    *,
    fund_id: int,
    amount: Money,
    provider: str,
    donor_id: int | None = None,
    sponsor_id: int | None = None,
    display_name: str = "",
    message: str = "",
    anonymous: bool = False,
    email: str = "",
    payment_method: str = "",
    sandbox_outcome: str = "approve",
    lang: str = "",
) -> GiftStarted:
    """Check, write the gift and its payment in one transaction, then start the payment
    (the sandbox confirms or declines at once; a bank transfer waits for the operator)."""
    source = await _sponsor_source(donor_id, sponsor_id)
    display_name, message = display_name.strip(), message.strip()
    rules.check_gift(
        amount=amount.amount,
        currency=amount.currency,
        source=source,
        display_name=display_name,
        message=message,
    )
    allowed = SPONSOR_PROVIDERS if source != "public" else RESIDENT_PROVIDERS
    if provider not in allowed:
        raise rules.FundError("Choose a way to pay.", field="provider")
    await fund_place(fund_id)
    async with atomic():
        gift_id = await _insert_gift(
            fund_id, source, amount,
            {"donor": donor_id, "sponsor": sponsor_id, "display_name": display_name,
             "anonymous": anonymous, "message": message, "email": email.strip()[:254],
             "lang": lang[:8]},
        )  # fmt: skip
        payment = await payments.create_payment(
            kind=KIND,
            object_id=gift_id,
            provider_name=provider,
            amount=amount.amount,
            currency=amount.currency,
        )
        await append_audit(
            actor_of(donor_id) if donor_id else "public",
            "fund_gift.start",
            KIND,
            gift_id,
            {"fund": fund_id, "source": source, "amount": amount.amount},
        )
    started = await payments.start_payment(
        payment, payment_method=payment_method, sandbox_outcome=sandbox_outcome
    )
    status = (await gift_row(gift_id))["status"]
    return GiftStarted(gift_id, int(payment["id"]), payment["reference_code"], status, started)


async def _insert_gift(fund_id: int, source: str, amount: Money, details: dict[str, Any]) -> int:
    rows = await Gift.insert(
        Gift(
            fund=fund_id,
            source=source,
            amount=amount.amount,
            currency=amount.currency,
            status="pending",
            created_at=clock.now(),
            **details,
        )
    ).returning(Gift.id)
    return int(rows[0]["id"])


async def gift_row(gift_id: int) -> Row:
    rows = await execute("SELECT * FROM funds_gift WHERE id = {}", gift_id)
    if not rows:
        raise NotFound("No such gift.")
    return rows[0]


async def _lock_gift(payment: Row) -> Row:
    rows = await execute(
        "SELECT * FROM funds_gift WHERE id = {}" + for_update(), int(payment["object_id"])
    )
    if not rows:
        raise NotFound("No such gift.")
    return rows[0]


async def on_paid(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    """The payment arrived (inside `confirm_payment`): into the fund, the gift paid."""
    gift = await _lock_gift(payment)
    fund = community_fund_code(await fund_place(int(gift["fund"])))
    money_in = donation_rules.payment_in(
        payment,
        credit=fund,
        reason=rules.GIFT_REASON,
        reference=f"{KIND}:{gift['id']}",
        source=str(gift["source"]),
    )
    await ensure_accounts([str(money_in.debit), fund], payment["currency"])
    results = await create_transfers([money_in], actor="system", audit=False)
    await execute(
        "UPDATE funds_gift SET status = 'paid', paid_at = {} WHERE id = {}",
        clock.now(),
        gift["id"],
    )
    return [r.transfer for r in results], {"fund": int(gift["fund"]), "account": fund}


async def on_failed(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    """The payment will not arrive: the gift failed (nothing was moved or reserved)."""
    gift = await _lock_gift(payment)
    await execute("UPDATE funds_gift SET status = 'failed' WHERE id = {}", gift["id"])
    return [], {"fund": int(gift["fund"])}


async def gift_view(gift_id: int, place_id: int, reference: str) -> dict[str, Any]:
    """A gift's public page: amount, status and the name shown; the payment's reference
    code (what a bank transfer must quote) only to whoever holds it already."""
    rows = await execute(
        "SELECT g.*, f.place FROM funds_gift g JOIN funds_fund f ON f.id = g.fund WHERE g.id = {}",
        gift_id,
    )
    if not rows or int(rows[0]["place"]) != place_id:
        raise NotFound("No such gift.")
    gift = rows[0]
    payment = await payments.payment_for(KIND, gift_id)
    own = payment is not None and reference and reference == payment["reference_code"]
    return {
        "id": gift_id,
        "amount": Money(int(gift["amount"]), gift["currency"]),
        "status": gift["status"],
        "source": gift["source"],
        "name": "" if gift["anonymous"] else gift["display_name"],
        "provider": payment["provider"] if payment else "",
        "reference_code": payment["reference_code"] if own and payment else "",
    }
