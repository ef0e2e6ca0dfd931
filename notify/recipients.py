# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Who is part of what, read as a reporting app reads: the kernel's read functions
(`market.directory`, `market.tenders.readmodels`), the bids and donors apps' views
(`bids_v_*`, `donors_v_*`) and the donors app's `donation_contacts`. Never a table of
another app.

Sealed bids: a tender's bidders are read only to tell each bidder about its own bid;
nothing read here about one bidder is ever put in another's message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from market.audit import shared_in_batch
from market.directory import members_of, organization_names
from market.sql import Row, execute, marks
from market.tenders.readmodels import tender_notices
from market.timestamps import timestamp

LIVE_BIDS = ("submitted", "needs_reconfirm")  # before the opening
OPENED_BIDS = ("qualified", "disqualified", "awarded", "lost")  # from the opening on


async def members(organization_ids: Iterable[int]) -> set[int]:
    """Every member of these organizations (read once per batch of events:
    `market.audit.shared_in_batch`)."""
    wanted = tuple(sorted(set(organization_ids)))
    found = await shared_in_batch(("notify.members", wanted), lambda: members_of(wanted))
    return set().union(*found.values()) if found else set()


async def tender(tender_id: int) -> Row | None:
    found = await shared_in_batch(("notify.tender", tender_id), lambda: tender_notices([tender_id]))
    return found.get(tender_id)


async def bidders(tender_id: int, statuses: Iterable[str]) -> list[int]:
    """The organizations with a bid on the tender in one of `statuses`, by id."""
    wanted = sorted(set(statuses))
    rows = await execute(
        "SELECT DISTINCT organization FROM bids_v_bid"
        f" WHERE tender = {{}} AND status IN ({marks(len(wanted))}) ORDER BY organization",
        tender_id,
        *wanted,
    )
    return [int(r["organization"]) for r in rows]


async def award(award_id: int) -> Row | None:
    """id, tender, status, standstill_ends (aware datetime), organization (the winner),
    price of the awarded bid."""
    rows = await execute(
        "SELECT a.id, a.tender, a.status, a.standstill_ends, b.organization, b.price"
        " FROM bids_v_award a JOIN bids_v_bid b ON b.id = a.bid WHERE a.id = {}",
        award_id,
    )
    if not rows:
        return None
    return {**rows[0], "standstill_ends": timestamp(rows[0]["standstill_ends"])}


async def awards_active_since(since: datetime) -> list[Row]:
    """Active awards whose standstill ends after `since` (for the reminder job)."""
    rows = await execute(
        "SELECT a.id, a.tender, a.standstill_ends, b.organization, b.price"
        " FROM bids_v_award a JOIN bids_v_bid b ON b.id = a.bid"
        " WHERE a.status = 'active' AND a.standstill_ends > {} ORDER BY a.id",
        since,
    )
    return [{**r, "standstill_ends": timestamp(r["standstill_ends"])} for r in rows]


async def complaint(complaint_id: int) -> Row | None:
    """id, tender, award, organization (the complainant), status."""
    rows = await execute(
        "SELECT id, tender, award, organization, status FROM bids_v_complaint WHERE id = {}",
        complaint_id,
    )
    return rows[0] if rows else None


_CONTRACT = "id, tender, organization, department, amount, currency, status, created_at"


async def contract(contract_id: int) -> Row | None:
    rows = await execute(f"SELECT {_CONTRACT} FROM bids_v_contract WHERE id = {{}}", contract_id)
    return rows[0] if rows else None


_MILESTONE = (
    "m.id, m.contract, m.position, m.deliverable, m.due, m.amount, m.status,"
    " c.tender, c.organization, c.department, c.currency, c.created_at"
)


async def milestone(milestone_id: int) -> Row | None:
    """A milestone with its contract's tender, parties, currency and drafting time."""
    rows = await execute(
        f"SELECT {_MILESTONE} FROM bids_v_milestone m JOIN bids_v_contract c"
        " ON c.id = m.contract WHERE m.id = {}",
        milestone_id,
    )
    return rows[0] if rows else None


async def open_milestones() -> list[Row]:
    """Milestones of contracts in force still waiting for accepted evidence."""
    return await execute(
        f"SELECT {_MILESTONE} FROM bids_v_milestone m JOIN bids_v_contract c"
        " ON c.id = m.contract WHERE c.status = 'active'"
        " AND m.status IN ('scheduled', 'rejected') ORDER BY m.id"
    )


_PLEDGE = "id, sponsor, currency, total_cap, matched, valid_until, status"


async def pledge(pledge_id: int) -> Row | None:
    rows = await shared_in_batch(
        ("notify.pledge", pledge_id),
        lambda: execute(f"SELECT {_PLEDGE} FROM donors_v_pledge WHERE id = {{}}", pledge_id),
    )
    return rows[0] if rows else None


async def active_pledges() -> list[Row]:
    return await execute(
        f"SELECT {_PLEDGE} FROM donors_v_pledge WHERE status = 'active' ORDER BY id"
    )


async def names(organization_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Organization id → (name_zh, name_en)."""
    return await organization_names(organization_ids)
