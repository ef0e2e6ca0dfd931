# ruff: noqa: S608 - SQL text is built from constants; values are bound parameters
"""Time-driven notifications: the job `notify.reminders` (composition/jobs.py).

What is told because time passed, never because someone acted:

- 24 hours before a deadline one is part of (`deadline.soon`): the enquiry end to those
  who asked a question about the tender, the bid deadline to each organization with a
  live bid (whose members learn whether their bid still needs re-confirming);
- a milestone due in 24 hours (`milestone.due`) to the contracted organization, and one
  past due without accepted evidence (`milestone.overdue`) to both parties;
- a standstill period ended (`standstill.ended`): the department may now draft the
  contract, the winner may expect it;
- a pledge expiring in 7 days (`pledge.expiring`) to its sponsor.

Each run covers the time since the previous run (`notify_reminder_cursor`, read and
moved in the run's transaction) and fires the occurrences whose moment falls in it
(`notify.rules`), with the job's injected `now`. The event keys name the occurrence
(kind, object, moment), so a run repeated after a crash writes nothing twice, and a
deadline moved by an amendment is reminded of anew. Sandbox tenders' lead times run as
fast as their periods.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bids.rules import milestone_due_at
from market.audit import iso_time
from market.db import atomic
from market.sql import Row, execute, for_update
from market.tenders.readmodels import tender_askers, tender_notices, tenders_in_status
from market.timestamps import day, timestamp
from notify import recipients, rules
from notify.events import milestone_params
from notify.send import notify_users
from notify.tell import tender_params


async def run(now: datetime) -> dict[str, int]:
    """Write every reminder due in (previous run, now]; returns messages per kind."""
    async with atomic():
        rows = await execute(
            "SELECT covered_until FROM notify_reminder_cursor WHERE id = 1" + for_update()
        )
        span = rules.window(timestamp(rows[0]["covered_until"]) if rows else None, now)
        counts: Counter[str] = Counter()
        await _deadlines(span, counts)
        await _milestones(span, counts)
        await _standstills(span, counts)
        await _pledges(span, counts)
        await execute(
            "INSERT INTO notify_reminder_cursor (id, covered_until) VALUES (1, {})"
            " ON CONFLICT (id) DO UPDATE SET covered_until = excluded.covered_until",
            span.now,
        )
    return dict(counts)


async def _deadlines(span: rules.Window, counts: Counter[str]) -> None:
    ids = [tid for tid, _ in await tenders_in_status(("published", "tendering"))]
    tenders = await tender_notices(ids)
    for tid, tender in sorted(tenders.items()):
        lead = rules.lead(rules.DEADLINE_LEAD, int(tender["acceleration"]))
        enquiry_end = timestamp(tender["enquiry_end"])
        if tender["status"] == "published" and rules.soon_fires(enquiry_end, lead, span):
            users = (await tender_askers([tid])).get(tid, set())
            params = {**tender_params(tender), "deadline": "enquiry", "at": iso_time(enquiry_end)}
            event = f"deadline.soon:tender:{tid}:enquiry:{iso_time(enquiry_end)}"
            counts["deadline.soon"] += await notify_users(
                event, "deadline.soon", users, params, f"/tenders/{tid}"
            )
        bid_deadline = timestamp(tender["bid_deadline"])
        if rules.soon_fires(bid_deadline, lead, span):
            await _bid_deadline(tender, bid_deadline, counts)


async def _bid_deadline(tender: Row, deadline: datetime, counts: Counter[str]) -> None:
    """Each bidder about its own bid: whether it still needs re-confirming."""
    tid = int(tender["id"])
    event = f"deadline.soon:tender:{tid}:bid:{iso_time(deadline)}"
    unconfirmed = set(await recipients.bidders(tid, ["needs_reconfirm"]))
    confirmed = set(await recipients.bidders(tid, ["submitted"])) - unconfirmed
    for orgs, reconfirm in ((unconfirmed, True), (confirmed, False)):
        params = {
            **tender_params(tender),
            "deadline": "bid",
            "at": iso_time(deadline),
            "reconfirm": reconfirm,
        }
        users = await recipients.members(orgs)
        counts["deadline.soon"] += await notify_users(
            event, "deadline.soon", users, params, f"/tenders/{tid}/bid"
        )


async def _milestones(span: rules.Window, counts: Counter[str]) -> None:
    milestones = await recipients.open_milestones()
    tenders = await tender_notices(int(m["tender"]) for m in milestones)
    for m in milestones:
        tender = tenders.get(int(m["tender"]))
        if tender is None:
            continue
        factor = int(tender["acceleration"])
        due_at = milestone_due_at(day(m["due"]), timestamp(m["created_at"]), factor)
        params: dict[str, Any] = {**tender_params(tender), **milestone_params(m)}
        link = f"/contracts/{m['contract']}"
        if rules.soon_fires(due_at, rules.lead(rules.MILESTONE_LEAD, factor), span):
            users = await recipients.members([int(m["organization"])])
            event = f"milestone.due:{m['id']}:{params['due']}"
            counts["milestone.due"] += await notify_users(
                event, "milestone.due", users, params, link
            )
        if rules.passed_fires(due_at, span):
            users = await recipients.members([int(m["organization"]), int(m["department"])])
            event = f"milestone.overdue:{m['id']}:{params['due']}"
            counts["milestone.overdue"] += await notify_users(
                event, "milestone.overdue", users, params, link
            )


async def _standstills(span: rules.Window, counts: Counter[str]) -> None:
    awards = await recipients.awards_active_since(span.since)
    tenders = await tender_notices(int(a["tender"]) for a in awards)
    for award in awards:
        tender = tenders.get(int(award["tender"]))
        if tender is None or not rules.passed_fires(award["standstill_ends"], span):
            continue
        tid, winner = int(tender["id"]), int(award["organization"])
        names = (await recipients.names([winner])).get(winner, ("", ""))
        params = {**tender_params(tender), "winner_zh": names[0], "winner_en": names[1]}
        event = f"standstill.ended:{award['id']}"
        parties = (
            (int(tender["department"]), f"/workspace/tenders/{tid}/evaluation"),
            (winner, f"/tenders/{tid}/results"),
        )
        for org, link in parties:
            users = await recipients.members([org])
            counts["standstill.ended"] += await notify_users(
                event, "standstill.ended", users, params, link
            )


async def _pledges(span: rules.Window, counts: Counter[str]) -> None:
    for pledge in await recipients.active_pledges():
        until = timestamp(pledge["valid_until"])
        if not rules.soon_fires(until, rules.PLEDGE_EXPIRY_LEAD, span):
            continue
        total, matched = int(pledge["total_cap"]), int(pledge["matched"])
        params = {
            "pledge": int(pledge["id"]),
            "currency": pledge["currency"],
            "left": max(total - matched, 0),
            "total": total,
            "valid_until": iso_time(until),
        }
        users = await recipients.members([int(pledge["sponsor"])])
        event = f"pledge.expiring:{pledge['id']}:{iso_time(until)}"
        counts["pledge.expiring"] += await notify_users(
            event, "pledge.expiring", users, params, "/sponsor"
        )
