# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Funding releases: the published budget follows the ledger.

A donation, match, sponsorship, refund, return or budget hold/void/post changes what
a process's `planning.budget` should show, yet is no OCDS state change. So:

- `mark` (an audit hook, in the transaction that moved the money) records that the
  process's funding changed: `ocds_funding_mark.event` becomes the audit event's id.
  Event ids are handed out at append, not in commit order, so the mark is not a
  high-water mark: any marking event makes the process dirty (event <> published_event).
  Two transactions marking one process queue on its mark row, so the fold below runs
  either before a marking transaction writes its mark (and that mark makes the process
  dirty again) or after it commits (and then sees its money). The mark runs before the
  state-change publisher (composition.wiring), so an event that both changes the state
  and moves money builds its release only after every earlier marker has committed:
  when such an event marked last, its own release already shows the budget, and the
  fold publishes nothing under its id;
- the job `ocds.funding` (`publish_dirty`, every minute) folds each marked process
  into one `tenderUpdate` release (rules.FUNDING_TAG) built from the state now —
  published only when its budget differs from the process's latest release, and at
  most one per process per `MIN_GAP`: a surge of donations publishes one release.

The release id is `<ocid>-<event id>` of the money event that marked the process last
(unique: an event marks a process once and publishes at most one release). Safe to run
beside itself and the web app: the mark row is locked and re-checked before anything is
published.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from market.audit import AuditRecord, batch_memo
from market.db import atomic, before_commit
from market.settings import get_settings
from market.sql import execute, for_update
from market.timestamps import timestamp
from opendata.ocds import rules
from opendata.ocds.build import build_release
from opendata.ocds.facts import process_facts
from opendata.ocds.publish import append_release

MIN_GAP = timedelta(minutes=1)


async def mark(record: AuditRecord) -> None:
    """The audit hook: note the processes whose funding this event changed. The mark
    row is every money writer's of that process, so an event that only moves money
    writes it last, right before its transaction commits (`market.db.before_commit`,
    after the ledger's own last writes: lock order step 4); an event that also changes
    the state writes it now, before its own release is built (see above)."""
    tenders = sorted(
        rules.funded_tenders(record.action, record.object_type, record.object_id, record.change)
    )
    if not tenders:
        return
    marked = batch_memo()
    if marked is not None and rules.tag_for(record.action) is None:
        # A batch of money events (`market.audit.append_all_with`): one write per process
        # at commit, naming the batch's last event that moved its money.
        unmarked = [t for t in tenders if ("ocds.funding", t) not in marked]
        for tender_id in tenders:
            marked[("ocds.funding", tender_id)] = record.id
        if unmarked:
            await before_commit(lambda: _write_marks(unmarked, marked))
        return

    async def write() -> None:
        for tender_id in tenders:
            await _write_mark(tender_id, record.id)

    if rules.tag_for(record.action) is None:
        await before_commit(write)
    else:
        await write()


async def _write_marks(tenders: list[int], marked: dict[Any, Any]) -> None:
    for tender_id in tenders:
        await _write_mark(tender_id, int(marked[("ocds.funding", tender_id)]))


async def _write_mark(tender_id: int, event_id: int) -> None:
    await execute(
        "INSERT INTO ocds_funding_mark (tender_id, event, published_event,"
        " published_at) VALUES ({}, {}, 0, NULL) ON CONFLICT (tender_id) DO UPDATE"
        " SET event = excluded.event",
        tender_id,
        event_id,
    )


async def publish_dirty(now: datetime) -> dict[str, int]:
    """The job: one funding release per changed process (not within MIN_GAP of its last)."""
    rows = await execute(
        "SELECT tender_id FROM ocds_funding_mark WHERE event <> published_event ORDER BY tender_id"
    )
    counts = {"published": 0, "unchanged": 0, "waiting": 0}
    for row in rows:
        counts[await fold(int(row["tender_id"]), now)] += 1
    return counts


def _due(mark: dict[str, Any], now: datetime) -> bool:
    if int(mark["event"]) == int(mark["published_event"]):
        return False
    last = timestamp(mark["published_at"])
    return last is None or now - last >= MIN_GAP


async def fold(tender_id: int, now: datetime) -> str:
    """Publish the process's funding as the ledger has it now: "published", "unchanged"
    (the latest release already shows it, or nothing is left to fold) or "waiting"
    (its last funding release is less than MIN_GAP old)."""
    async with atomic():
        rows = await execute(
            "SELECT event, published_event, published_at FROM ocds_funding_mark"
            " WHERE tender_id = {}" + for_update(),
            tender_id,
        )
        if not rows or int(rows[0]["event"]) == int(rows[0]["published_event"]):
            return "unchanged"  # another run folded it
        if not _due(dict(rows[0]), now):
            return "waiting"
        event = int(rows[0]["event"])
        await execute(
            "UPDATE ocds_funding_mark SET published_event = {} WHERE tender_id = {}",
            event,
            tender_id,
        )
        facts = await process_facts(tender_id)
        if facts is None:
            return "unchanged"
        settings = get_settings()
        ocid = str(facts.tender["ocid"] or rules.ocid(settings.ocds_prefix, tender_id))
        release = build_release(
            facts,
            ocid=ocid,
            release_id=rules.release_id(ocid, event),
            tag=rules.FUNDING_TAG,
            at=now,
            base_url=rules.STORED_BASE,
        )
        latest = await execute(
            "SELECT body FROM ocds_release WHERE tender_id = {} ORDER BY id DESC LIMIT 1",
            tender_id,
        )
        if not latest:  # nothing published yet: the first release will show it
            return "unchanged"
        if json.loads(latest[0]["body"])["planning"]["budget"] == release["planning"]["budget"]:
            return "unchanged"
        await append_release(release, tender_id=tender_id, audit_event=event, at=now)
        await execute(
            "UPDATE ocds_funding_mark SET published_at = {} WHERE tender_id = {}",
            now,
            tender_id,
        )
        return "published"
