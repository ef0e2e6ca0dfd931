# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Direct sponsorships (company/foundation → a tender) and organizations' own income
(a social organization's contribution to its project). Both enter the tender's escrow
with their source when the payment arrives."""

from __future__ import annotations

from typing import Any

from donors import payments
from donors import rules as donation_rules
from donors.providers import Started
from donors.tender_facts import tender_info
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import DomainError, PermissionDenied
from market.ledger.accounts import ensure_accounts
from market.ledger.rules import Transfer, escrow_code
from market.ledger.services import create_transfers
from market.money import Money
from market.sql import Row, execute, for_update

SOURCE_OF_KIND = {"company": "corporate", "foundation": "foundation", "social_org": "own"}
# Own income goes to a project that has a provider: once awarded.
OWN_INCOME_STATUSES = frozenset({"awarded", "contracted"})


def _check_contributor(kind: str, organization_kind: str, provider: str) -> None:
    """Who may record which kind of contribution, and how it may be paid."""
    if kind == "sponsorship" and organization_kind not in ("company", "foundation"):
        raise PermissionDenied("Only companies and foundations can sponsor a project.")
    if kind == "own_income" and organization_kind != "social_org":
        raise PermissionDenied("Only a social organization records its own income.")
    if provider not in ("bank_transfer", "sandbox"):
        raise DomainError("Choose a way to pay.", field="provider")


async def contribute(
    *,
    kind: str,
    tender_id: int,
    organization_id: int,
    organization_kind: str,
    user_id: int,
    amount: Money,
    provider: str = "bank_transfer",
    note: str = "",
    sandbox_outcome: str = "approve",
) -> tuple[int, Row, Started]:
    """A sponsorship (kind "sponsorship", company/foundation) or own income (kind
    "own_income", social organization) and the payment that brings it in."""
    _check_contributor(kind, organization_kind, provider)
    info = await tender_info(tender_id)
    donation_rules.check_contribution(
        amount=amount.amount,
        currency=amount.currency,
        tender_currency=info.currency,
        status=info.status,
        provider=provider,
        sandbox=info.sandbox,
    )
    if kind == "own_income" and info.status not in OWN_INCOME_STATUSES:
        raise DomainError("Own income is recorded once the project has been awarded.")
    async with atomic():
        rows = await execute(
            "INSERT INTO donors_contribution (kind, tender, organization, created_by, source,"
            " amount, currency, note, status, receipt_no, created_at, received_at)"
            " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 'awaiting', NULL, {}, NULL) RETURNING id",
            kind,
            tender_id,
            organization_id,
            user_id,
            SOURCE_OF_KIND[organization_kind],
            amount.amount,
            amount.currency,
            note.strip()[:1000],
            clock.now(),
        )
        contribution_id = int(rows[0]["id"])
        payment = await payments.create_payment(
            kind=kind,
            object_id=contribution_id,
            provider_name=provider,
            amount=amount.amount,
            currency=amount.currency,
        )
        await append_audit(
            actor_of(user_id),
            f"{kind}.create",
            kind,
            contribution_id,
            {"tender_id": tender_id, "organization": organization_id, "amount": amount.amount},
        )
    started = await payments.start_payment(payment, sandbox_outcome=sandbox_outcome)
    return contribution_id, payment, started


async def on_paid(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    rows = await execute(
        "SELECT * FROM donors_contribution WHERE id = {}" + for_update(), payment["object_id"]
    )
    row = rows[0]
    tender_id = int(row["tender"])
    money_in = donation_rules.payment_in(
        payment,
        credit=escrow_code(tender_id, row["source"]),
        reason=row["kind"],
        reference=f"{row['kind']}:{row['id']}",
        tender_id=tender_id,
        source=row["source"],
    )
    await ensure_accounts([money_in.debit, money_in.credit], payment["currency"])
    results = await create_transfers([money_in], audit=False)
    now = clock.now()
    await execute(
        "UPDATE donors_contribution SET status = 'received', received_at = {}, receipt_no = {}"
        " WHERE id = {}",
        now,
        donation_rules.receipt_number(row["kind"], int(row["id"]), now),
        row["id"],
    )
    return [r.transfer for r in results], {"tender_id": tender_id, "source": row["source"]}


async def on_failed(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    await execute(
        "UPDATE donors_contribution SET status = 'failed' WHERE id = {}", payment["object_id"]
    )
    return [], {}
