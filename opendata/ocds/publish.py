"""The OCDS publisher: an audit-chain hook that writes one immutable release per
state change, in the transaction of that change (DESIGN §10).

`publish_for` is registered with `market.audit.on_appended` by the composition root
(composition/wiring.py), like the bids app's tender hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market.audit import AuditRecord, canonical_json
from market.settings import get_settings
from market.sql import execute
from opendata.ocds import rules
from opendata.ocds.build import build_release
from opendata.ocds.facts import process_facts


async def tender_of(record: AuditRecord) -> int | None:
    """The tender whose contracting process an audit event belongs to."""
    if record.object_type == "tender":
        return int(record.object_id)
    if record.object_type == "contract":
        rows = await execute(
            "SELECT tender FROM bids_v_contract WHERE id = {}", int(record.object_id)
        )
    elif record.object_type == "milestone":
        rows = await execute(
            "SELECT c.tender FROM bids_v_milestone m JOIN bids_v_contract c ON c.id = m.contract"
            " WHERE m.id = {}",
            int(record.object_id),
        )
    else:
        return None
    return int(rows[0]["tender"]) if rows else None


async def publish_for(record: AuditRecord) -> None:
    """The hook: publish a release when the event is an OCDS state change (money
    moved for a process is `opendata.ocds.funding`'s hook)."""
    tag = rules.tag_for(record.action)
    if tag is None:
        return
    tender_id = await tender_of(record)
    if tender_id is None:
        return
    await publish_release(tender_id, tag=tag, record=record)


async def publish_release(tender_id: int, *, tag: str, record: AuditRecord) -> str | None:
    """Build the release from the current state and append it; returns its id."""
    facts = await process_facts(tender_id)
    if facts is None:
        return None
    settings = get_settings()
    ocid = str(facts.tender["ocid"] or rules.ocid(settings.ocds_prefix, tender_id))
    release_id = rules.release_id(ocid, record.id)
    release = build_release(
        facts,
        ocid=ocid,
        release_id=release_id,
        tag=tag,
        at=record.at,
        base_url=rules.STORED_BASE,  # served on the reader's base URL (packages.py)
    )
    await append_release(release, tender_id=tender_id, audit_event=record.id, at=record.at)
    return release_id


async def append_release(
    release: dict[str, Any], *, tender_id: int, audit_event: int, at: datetime
) -> None:
    """Store one built release (append-only)."""
    await execute(
        "INSERT INTO ocds_release (ocid, release_id, tag, tender_id, audit_event_id,"
        " published_at, body) VALUES ({}, {}, {}, {}, {}, {}, {})",
        release["ocid"],
        release["id"],
        release["tag"][0],
        tender_id,
        audit_event,
        at,
        canonical_json(release),
    )
