"""Who is told what about money and organizations (the rest of `notify.events`):

- a paid donation: the donor's receipt — a signed-in donor in the inbox and by e-mail
  as their preferences say, a guest at the address left on the form (in the language
  of the page they gave on); the sponsor whose pledge matched it; and, the first time
  a pledge has less than a tenth left, the sponsor again ("nearly used up");
- an operator's decision on an organization (verified, rejected, suspended,
  reinstated): the organization's members (a mandatory kind).
"""

from __future__ import annotations

from typing import Any

from donors.notices import donation_contacts
from market.audit import AuditRecord, batch_events, iso_time, shared_in_batch
from market.directory import organization_names
from market.sql import Row
from notify import recipients, rules
from notify.send import notify_address
from notify.tell import Handler, tell, tender_params


async def donation_paid(record: AuditRecord, change: dict[str, Any]) -> None:
    donation = await _contact(record)
    if donation is None:
        return
    tender = await recipients.tender(int(donation["tender"]))
    if tender is None:
        return
    did = int(donation["id"])
    params = {
        **tender_params(tender),
        "donation": did,
        "amount": int(donation["amount"]),
        "currency": donation["currency"],
        "match": int(change.get("match", 0)),
        "receipt_no": donation["receipt_no"] or "",
    }
    event, link = f"donation.paid:{did}:receipt", f"/donations/{did}/receipt"
    if donation["donor"] is not None:
        await tell(record, event, "donation.receipt", [int(donation["donor"])], params, link)
    elif donation["email"]:
        ref = donation["reference_code"] or ""
        guest_link = f"{link}?ref={ref}" if ref else link
        lang = donation["lang"] or ""
        await notify_address(event, "donation.receipt", donation["email"], lang, params, guest_link)
    if params["match"] > 0 and donation["match_pledge"] is not None:
        await _matched(record, int(donation["match_pledge"]), params)


async def _contact(record: AuditRecord) -> Row | None:
    """The donation's contact — read for every donation of a batch of events at once
    (`market.audit.batch_events`)."""
    ids = tuple(
        sorted({int(e.object_id) for e in batch_events() if e.action == record.action})
    ) or (int(record.object_id),)
    found = await shared_in_batch(("notify.donations", ids), lambda: donation_contacts(ids))
    return found.get(int(record.object_id))


async def _matched(record: AuditRecord, pledge_id: int, donation: dict[str, Any]) -> None:
    """The sponsor of the pledge that matched a donation; and once, when less than a
    tenth of it is left, that it is nearly used up."""
    pledge = await recipients.pledge(pledge_id)
    if pledge is None:
        return
    users = await recipients.members([int(pledge["sponsor"])])
    total, matched = int(pledge["total_cap"]), int(pledge["matched"])
    params = {
        **{k: donation[k] for k in ("tender", "title_zh", "title_en", "currency", "match")},
        "pledge": pledge_id,
        "left": max(total - matched, 0),
        "total": total,
    }
    event = f"donation.paid:{donation['donation']}:match"
    await tell(record, event, "pledge.matched", users, params, "/sponsor")
    if rules.nearly_exhausted(total, matched):
        event = f"pledge.nearly_exhausted:{pledge_id}"
        await tell(record, event, "pledge.nearly_exhausted", users, params, "/sponsor")


async def organization_decided(record: AuditRecord, change: dict[str, Any]) -> None:
    organization = int(record.object_id)
    names = (await organization_names([organization])).get(organization)
    if names is None:
        return
    decision = record.action.rpartition(".")[2]  # verify | reject | suspend | reinstate
    params = {
        "organization": organization,
        "name_zh": names[0],
        "name_en": names[1],
        "decision": decision,
        "reason": str(change.get("reason", ""))[:1000],
        "rating": str(change.get("rating", "")),
    }
    users = await recipients.members([organization])
    event = f"organization.{decision}:{organization}:{iso_time(record.at)}"
    link = f"/organizations/{organization}"
    await tell(record, event, "organization.verification", users, params, link)


HANDLERS: dict[str, Handler] = {
    "donation.paid": donation_paid,
    "organization.verify": organization_decided,
    "organization.reject": organization_decided,
    "organization.suspend": organization_decided,
    "organization.reinstate": organization_decided,
}
