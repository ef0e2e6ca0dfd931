"""Who is told what when something happens: the audit hook (`market.audit.on_appended`,
registered by composition/wiring.py). It runs inside the transaction of the event, so
the outbox rows it writes commit or roll back with it.

Each audit action the notify app reacts to has a handler here (tenders and bids) or in
`notify.events_money` (donations, pledges, organizations). A handler reads who is part
of the event (`notify.recipients`), puts what the message needs into its params (ids,
both languages' names, amounts in minor units, times as ISO text: the renderer words
it in each recipient's language) and writes it with `notify.send`. The event key names
the occurrence from the record's object id and contents (never its `seq`), so a
retried event writes nothing twice. The person who acted is not told what they did.

Sealed bids: a bidder is told only about its own bid; before the opening nothing says
who else bid or how many did.
"""

from __future__ import annotations

import json
from typing import Any

from market.audit import AuditRecord, iso_time
from market.directory import operator_ids
from market.sql import Row
from market.tenders.acceleration import is_sandbox
from market.tenders.readmodels import question_askers
from notify import events_money, recipients, subscriptions
from notify.tell import Handler, iso, tell, tender_params

# --- tenders -------------------------------------------------------------------------


async def published(record: AuditRecord, change: dict[str, Any]) -> None:
    """A new tender: the users whose subscription it matches (real tenders only)."""
    tender = await recipients.tender(int(record.object_id))
    if tender is None or is_sandbox(int(tender["acceleration"])):
        return
    users = await subscriptions.subscribers(
        category=tender["category"], area=tender["area"], budget=int(tender["budget"])
    )
    params = {
        **tender_params(tender),
        "category": tender["category"],
        "area": tender["area"],
        "budget": int(tender["budget"]),
        "currency": tender["currency"],
        "bid_deadline": iso(tender["bid_deadline"]),
    }
    tid = tender["id"]
    await tell(record, f"tender.publish:{tid}", "tender.matching", users, params, f"/tenders/{tid}")


async def answered(record: AuditRecord, change: dict[str, Any]) -> None:
    """An answer: whoever asked the question (questions are anonymous to everyone else)."""
    question = int(change.get("changes", {}).get("question", 0))
    asker = (await question_askers([question])).get(question)
    tender = await recipients.tender(int(record.object_id))
    if asker is None or tender is None:
        return
    event = f"tender.answer:{tender['id']}:{question}"
    link = f"/tenders/{tender['id']}#question-{question}"
    await tell(record, event, "question.answered", [asker], tender_params(tender), link)


async def amended(record: AuditRecord, change: dict[str, Any]) -> None:
    """An amendment: the members of each organization whose bid must be re-confirmed
    (the bids are marked right after this event, in its transaction)."""
    tender = await recipients.tender(int(record.object_id))
    if tender is None:
        return
    tid = int(tender["id"])
    users = await recipients.members(await recipients.bidders(tid, recipients.LIVE_BIDS))
    params = {**tender_params(tender), "bid_deadline": iso(tender["bid_deadline"])}
    event = f"tender.amend:{tid}:{tender['amendment_count']}"
    await tell(record, event, "bid.reconfirm", users, params, f"/tenders/{tid}/bid")


async def opened(record: AuditRecord, change: dict[str, Any]) -> None:
    """Bids opened: every bidder (the results page is public from now on)."""
    tender = await recipients.tender(int(record.object_id))
    if tender is None:
        return
    tid = int(tender["id"])
    users = await recipients.members(await recipients.bidders(tid, recipients.OPENED_BIDS))
    params = {**tender_params(tender), "qualified": int(change.get("qualified", 0))}
    await tell(
        record, f"bids.opened:{tid}", "bids.opened", users, params, f"/tenders/{tid}/results"
    )


async def awarded(record: AuditRecord, change: dict[str, Any]) -> None:
    """An award: the winner ("your bid won") and every other bidder."""
    tender = await recipients.tender(int(record.object_id))
    award = await recipients.award(int(change["award"]))
    if tender is None or award is None:
        return
    tid, winner = int(tender["id"]), int(award["organization"])
    names = (await recipients.names([winner])).get(winner, ("", ""))
    params = {
        **tender_params(tender),
        "winner_zh": names[0],
        "winner_en": names[1],
        "price": int(award["price"] or 0),
        "currency": tender["currency"],
        "standstill_ends": iso_time(award["standstill_ends"]),
    }
    event, link = f"tender.award_decision:{tid}:{award['id']}", f"/tenders/{tid}/results"
    won = await recipients.members([winner])
    await tell(record, event, "award.decided", won, {**params, "won": True}, link)
    losers = [o for o in await recipients.bidders(tid, recipients.OPENED_BIDS) if o != winner]
    lost = await recipients.members(losers)
    await tell(record, event, "award.decided", lost - won, {**params, "won": False}, link)


async def _complaint(record: AuditRecord) -> tuple[Row, Row, list[int]] | None:
    """The complaint, its tender and the organizations it concerns: the department and
    the winner of the award complained about."""
    complaint = await recipients.complaint(int(record.object_id))
    if complaint is None:
        return None
    tender = await recipients.tender(int(complaint["tender"]))
    award = await recipients.award(int(complaint["award"]))
    if tender is None:
        return None
    parties = [int(tender["department"])] + ([int(award["organization"])] if award else [])
    return complaint, tender, parties


async def complaint_filed(record: AuditRecord, change: dict[str, Any]) -> None:
    """A complaint: the operators (who decide it), the department and the winner."""
    found = await _complaint(record)
    if found is None:
        return
    complaint, tender, parties = found
    event, params = f"complaint.file:{complaint['id']}", tender_params(tender)
    operators = await operator_ids()
    await tell(record, event, "complaint.filed", operators, params, "/operator/complaints")
    users = await recipients.members(parties)
    link = f"/tenders/{tender['id']}/results"
    await tell(record, event, "complaint.filed", users, params, link)


async def complaint_decided(record: AuditRecord, change: dict[str, Any]) -> None:
    """A decision: the complainant, the department and the winner of the award."""
    found = await _complaint(record)
    if found is None:
        return
    complaint, tender, parties = found
    outcome = record.action.rpartition(".")[2]  # upheld | dismissed
    users = await recipients.members([int(complaint["organization"]), *parties])
    params = {**tender_params(tender), "outcome": outcome}
    event = f"complaint.{outcome}:{complaint['id']}"
    link = f"/tenders/{tender['id']}/results"
    await tell(record, event, "complaint.decided", users, params, link)


# --- contracts and milestones ----------------------------------------------------------


async def contract_created(record: AuditRecord, change: dict[str, Any]) -> None:
    """A contract to sign: both parties (the department's drafter excepted)."""
    contract = await recipients.contract(int(record.object_id))
    if contract is None:
        return
    tender = await recipients.tender(int(contract["tender"]))
    if tender is None:
        return
    parties = [int(contract["organization"]), int(contract["department"])]
    params = {
        **tender_params(tender),
        "amount": int(contract["amount"]),
        "currency": contract["currency"],
    }
    users = await recipients.members(parties)
    cid = contract["id"]
    await tell(
        record, f"contract.create:{cid}", "contract.to_sign", users, params, f"/contracts/{cid}"
    )


async def _milestone_event(
    record: AuditRecord, kind: str, event: str, party: str, extra: dict[str, Any]
) -> None:
    milestone = await recipients.milestone(int(record.object_id))
    if milestone is None:
        return
    tender = await recipients.tender(int(milestone["tender"]))
    if tender is None:
        return
    params = {**tender_params(tender), **milestone_params(milestone), **extra}
    users = await recipients.members([int(milestone[party])])
    await tell(record, event, kind, users, params, f"/contracts/{milestone['contract']}")


def milestone_params(milestone: Row) -> dict[str, Any]:
    due = milestone["due"]
    return {
        "milestone": int(milestone["id"]),
        "position": int(milestone["position"]),
        "deliverable": str(milestone["deliverable"])[:200],
        "due": str(due)[:10],
        "amount": int(milestone["amount"]),
        "currency": milestone["currency"],
    }


async def milestone_submitted(record: AuditRecord, change: dict[str, Any]) -> None:
    """Evidence submitted: the department, which approves or rejects it."""
    event = f"milestone.submit:{record.object_id}:{iso_time(record.at)}"
    await _milestone_event(record, "milestone.submitted", event, "department", {})


async def milestone_approved(record: AuditRecord, change: dict[str, Any]) -> None:
    event = f"milestone.approve:{record.object_id}"
    await _milestone_event(record, "milestone.approved", event, "organization", {})


async def milestone_rejected(record: AuditRecord, change: dict[str, Any]) -> None:
    event = f"milestone.rejected:{record.object_id}:{iso_time(record.at)}"
    extra = {"reason": str(change.get("reason", ""))[:1000]}
    await _milestone_event(record, "milestone.rejected", event, "organization", extra)


HANDLERS: dict[str, Handler] = {
    "tender.publish": published,
    "tender.answer": answered,
    "tender.amend": amended,
    "bids.opened": opened,
    "tender.award_decision": awarded,
    "complaint.file": complaint_filed,
    "complaint.upheld": complaint_decided,
    "complaint.dismissed": complaint_decided,
    "contract.create": contract_created,
    "milestone.submit": milestone_submitted,
    "milestone.approve": milestone_approved,
    "milestone.rejected": milestone_rejected,
    **events_money.HANDLERS,
}


async def on_appended(record: AuditRecord) -> None:
    """The audit hook: tell whoever this event concerns (most events concern nobody)."""
    handler = HANDLERS.get(record.action)
    if handler is not None:
        await handler(record, json.loads(record.change))
