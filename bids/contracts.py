# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Contracts and milestone tranches.

After the standstill (no complaint open) the department drafts the contract: amount
= the awarded price, milestones with a deliverable, due date and amount summing to it.
The department and the organization both sign; then the contract is active and the
department's budget hold is posted into the tender's escrow (only as much as the
other sources do not already cover; the rest returns to the department at once).

The organization submits evidence per milestone; a department member other than the
contract's creator approves (releasing the tranche from escrow across the funding
sources, pro-rata, to `org:{id}:payable`) or rejects it with a reason. A milestone
past due without evidence can be marked not met. The contract completes when every
milestone is approved, or is terminated; either way the government's unspent escrow
returns to the department's budget at once, and other sources' remainders stay in
escrow (recorded as a tender revision) until the donors app's settlement job
(`donations.settle`: `donors.settlement.settle_all`) returns them — a completed
tender's surplus and a terminated contract's remainder alike — per source, pro-rata
to what each put in.

Lock order everywhere: tender row, then contract, then milestone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bids import rules
from bids.access import check_department, is_member, load_tender
from bids.complaints import open_complaints
from bids.evaluation import active_award
from bids.tables import Contract, Milestone
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, DomainError, NotFound, PermissionDenied
from market.ledger import escrow
from market.ledger.readmodels import tender_funding
from market.ledger.rules import escrow_code
from market.ledger.services import ensure_accounts, transfer
from market.money import Money
from market.sql import execute, for_update
from market.tenders import lifecycle, records
from market.timestamps import timestamp

NO_CONTRACT = "No such contract."


async def contract_locked(contract_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tender, contract), both locked in that order."""
    found = await execute("SELECT tender FROM bids_contract WHERE id = {}", contract_id)
    if not found:
        raise NotFound(NO_CONTRACT)
    tender = await load_tender(int(found[0]["tender"]), lock=True)
    await execute("SELECT id FROM bids_contract WHERE id = {}" + for_update(), contract_id)
    contract = await Contract.select().where(Contract.id == contract_id).first()
    assert contract is not None  # noqa: S101 - locked above
    return tender, contract


async def create_contract(
    *, user_id: int, tender_id: int, starts: date, plan: list[rules.MilestonePlan]
) -> int:
    """The contract record (pending) for the standing award; returns its id."""
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        await check_department(user_id, tender)
        award = await active_award(tender_id)
        if award is None or tender["status"] != "awarded":
            raise DomainError("A contract can only be drawn up for an awarded tender.")
        if await Contract.exists().where(Contract.award == award["id"]):
            raise Conflict("This award already has a contract.")
        rules.check_contract_can_be_signed(
            clock.now(), timestamp(award["standstill_ends"]), await open_complaints(tender_id)
        )
        bid = (await execute("SELECT * FROM bids_bid WHERE id = {}", award["bid"]))[0]
        amount = int(bid["price"])
        rules.check_milestones(plan, amount, starts)
        now = clock.now()
        rows = await Contract.insert(
            Contract(
                tender=tender_id,
                award=award["id"],
                bid=bid["id"],
                organization=bid["organization"],
                department=tender["department"],
                amount=amount,
                currency=tender["currency"],
                starts=starts,
                status="pending",
                created_by=user_id,
                created_at=now,
            )
        ).returning(Contract.id)
        contract_id = int(rows[0]["id"])
        for position, item in enumerate(plan, start=1):
            await Milestone.insert(
                Milestone(
                    contract=contract_id,
                    position=position,
                    deliverable=item.deliverable.strip(),
                    due=item.due,
                    amount=item.amount,
                    status="scheduled",
                )
            )
        await append_audit(
            actor_of(user_id),
            "contract.create",
            "contract",
            contract_id,
            {
                "tender": tender_id,
                "organization": bid["organization"],
                "amount": amount,
                "milestones": [[p.due.isoformat(), p.amount] for p in plan],
            },
        )
    return contract_id


async def sign_contract(*, user_id: int, contract_id: int, side: str) -> str:
    """`side` = department | organization. Both signatures make it active; returns status."""
    async with atomic():
        tender, contract = await contract_locked(contract_id)
        if contract["status"] != "pending":
            raise Conflict("Only a pending contract can be signed.")
        now = clock.now()
        if side == "department":
            await check_department(user_id, tender)
            if contract["department_signed_at"] is not None:
                raise Conflict("The department has already signed.")
            values: dict[Any, Any] = {
                Contract.department_signed_by: user_id,
                Contract.department_signed_at: now,
            }
            contract["department_signed_at"] = now
        elif side == "organization":
            if not await is_member(user_id, int(contract["organization"]), "social_org"):
                raise PermissionDenied("Only members of the contracted organization may sign.")
            if contract["organization_signed_at"] is not None:
                raise Conflict("The organization has already signed.")
            values = {
                Contract.organization_signed_by: user_id,
                Contract.organization_signed_at: now,
            }
            contract["organization_signed_at"] = now
        else:
            raise DomainError("Unknown signing party.")
        actor = actor_of(user_id)
        await append_audit(actor, f"contract.sign_{side}", "contract", contract_id, {})
        status = "pending"
        activating = bool(contract["department_signed_at"] and contract["organization_signed_at"])
        if activating:
            status = rules.transition("contract", "pending", "active")
            values.update({Contract.status: status, Contract.activated_at: now})
        values[Contract.version] = contract["version"] + 1
        await Contract.update(values).where(Contract.id == contract_id)
        if activating:  # after the row says active: hooks on the event see the signed contract
            await _post_budget(tender, contract, actor)
            await append_audit(
                actor, "contract.activate", "contract", contract_id, {"amount": contract["amount"]}
            )
    return status


async def _post_budget(tender: dict[str, Any], contract: dict[str, Any], actor: str) -> None:
    """Post the government hold: what the contract needs beyond the other sources."""
    funding = await tender_funding(tender["id"], tender["currency"])
    others = sum(
        line.available.amount for source, line in funding.sources.items() if source != "government"
    )
    needed = max(int(contract["amount"]) - others, 1)
    government = min(int(tender["budget"]), needed)
    await lifecycle.mark_tender_contracted(
        tender["id"],
        actor=actor,
        government_amount=Money(government, tender["currency"]),
        note=f"contract {contract['id']}",
    )


async def terminate_contract(*, user_id: int, contract_id: int, reason: str) -> None:
    """End a pending or active contract early. A pending one (budget only held) makes
    the tender unsuccessful; an active one makes it terminated and what its escrow
    still holds goes back to whoever put it in, in this transaction (the donors app's
    settlement, through the kernel's tender hooks)."""
    from market.tenders.rules import check_reason

    reason = check_reason(reason)
    async with atomic():
        tender, contract = await contract_locked(contract_id)
        await check_department(user_id, tender)
        rules.transition("contract", contract["status"], "terminated")
        now = clock.now()
        actor = actor_of(user_id)
        await Contract.update(
            {
                Contract.status: "terminated",
                Contract.ended_at: now,
                Contract.termination_reason: reason,
                Contract.version: contract["version"] + 1,
            }
        ).where(Contract.id == contract_id)
        if contract["status"] == "pending":  # budget still only held: the tender fails
            await lifecycle.mark_tender_unsuccessful(tender["id"], actor=actor, reason=reason)
        else:  # terminated, its escrow settled (every source back) in this transaction
            await lifecycle.mark_tender_terminated(tender["id"], actor=actor, reason=reason)
            await settle_escrow(
                tender, contract, actor=actor, action="contract_terminate", note=reason
            )
        # Last: the OCDS release of this event (contractTermination) shows the ledger
        # after the termination's money moved.
        await append_audit(actor, "contract.terminate", "contract", contract_id, {"reason": reason})


async def settle_escrow(
    tender: dict[str, Any], contract: dict[str, Any], *, actor: str, action: str, note: str
) -> None:
    """At the end of a contract: what the government's escrow still holds back to the
    department's budget (at a termination usually nothing: the donors app's settlement
    has just returned every source, `lifecycle.mark_tender_terminated`); a tender
    revision records what each source has got back and what is still held, which the
    donors app's settlement job returns."""
    funding = await tender_funding(tender["id"], tender["currency"])
    left = funding.sources["government"].available
    if left.amount > 0:
        budget = lifecycle.budget_account(tender)  # a sandbox tender's: its sandbox budget
        await ensure_accounts([budget], left.currency)
        await transfer(
            f"contract:{contract['id']}:return:government",
            debit=escrow_code(tender["id"], "government"),
            credit=budget,
            amount=left,
            reason="return",
            reference=f"contract:{contract['id']}",
            tender_id=tender["id"],
            source="government",
            actor=actor,
        )
    returned = {s: line.refunded.amount for s, line in funding.sources.items()}
    returned["government"] += left.amount
    remaining = {
        source: line.available.amount
        for source, line in funding.sources.items()
        if source != "government" and line.available.amount > 0
    }
    await records.record(
        tender["id"],
        actor=actor,
        action=action,
        note=note,
        changes={
            "contract": contract["id"],
            "returned_by_source": {s: n for s, n in returned.items() if n > 0},
            "remaining_by_source": remaining,
        },
    )


__all__ = ["create_contract", "escrow", "settle_escrow", "sign_contract", "terminate_contract"]
