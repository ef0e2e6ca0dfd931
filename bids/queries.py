# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Read models for the bids pages of bidders and departments. Each says who may see it;
nothing here returns a bid's content, price, count or bidder to anyone but the bidder
before opening. The panel's pages are in `panel_pages.py`, contracts in
`contract_pages.py`; the kernel's names come through `naming.py`."""

from __future__ import annotations

from typing import Any

from bids.naming import TITLES, named
from market.errors import NotFound
from market.money import Money
from market.sql import execute, marks
from market.tenders.readmodels import department_tenders
from market.timestamps import timestamp

# --- the bidder -------------------------------------------------------------------------


async def my_bid(tender_id: int, organization_id: int) -> dict[str, Any] | None:
    """The organization's own bid: status and receipt (content stays sealed)."""
    rows = await execute(
        "SELECT ref, status, receipt, received_at, revision, price, disqualify_reason,"
        " opened_at FROM bids_bid WHERE tender = {} AND organization = {}",
        tender_id,
        organization_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    row["received_at"] = timestamp(row["received_at"])
    return row


async def bid_receipt(ref: str) -> dict[str, Any]:
    rows = await execute(
        "SELECT ref, status, receipt, received_at, revision, organization, tender"
        " FROM bids_bid WHERE ref = {}",
        ref,
    )
    if not rows:
        raise NotFound("No such bid.")
    (row,) = await named(rows, tender=(*TITLES, ("bid_deadline", "bid_deadline")))
    row["received_at"] = timestamp(row["received_at"])
    row["bid_deadline"] = timestamp(row["bid_deadline"])
    return row


_WORKSPACE_TENDER = (
    *TITLES,
    ("bid_deadline", "bid_deadline"),
    ("status", "tender_status"),
    ("currency", "currency"),
)


async def organization_workspace(org_ids: list[int]) -> dict[str, Any]:
    if not org_ids:
        return {"bids": [], "contracts": []}
    m = marks(len(org_ids))
    bids = await execute(
        "SELECT ref, status, received_at, revision, tender, price, organization FROM bids_bid"
        f" WHERE organization IN ({m}) ORDER BY updated_at DESC, id DESC LIMIT 200",
        *org_ids,
    )
    contracts = await _contracts(f"c.organization IN ({m})", org_ids)
    return {
        "bids": [
            {
                **b,
                "received_at": timestamp(b["received_at"]),
                "bid_deadline": timestamp(b["bid_deadline"]),
            }
            for b in await named(bids, tender=_WORKSPACE_TENDER)
        ],
        "contracts": contracts,
    }


async def _contracts(where: str, args: list[Any]) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT c.id, c.tender, c.status, c.amount, c.currency, c.organization,"
        " c.department_signed_at, c.organization_signed_at,"
        " (SELECT COUNT(*) FROM bids_milestone m WHERE m.contract = c.id"
        "  AND m.status = 'submitted') AS to_review"
        f" FROM bids_contract c WHERE {where} ORDER BY c.id DESC LIMIT 200",
        *args,
    )
    return [
        {**r, "amount_money": Money(int(r["amount"]), r["currency"])}
        for r in await named(rows, tender=TITLES)
    ]


# --- the department ---------------------------------------------------------------------

WORKSPACE_STATUSES = ("tendering", "evaluation", "awarded", "published")


async def department_workspace(department_ids: list[int]) -> dict[str, Any]:
    if not department_ids:
        return {"tenders": [], "contracts": []}
    tenders = await department_tenders(department_ids, WORKSPACE_STATUSES)
    opened: dict[int, Any] = {}
    if tenders:
        ids = [int(t["id"]) for t in tenders]
        keys = await execute(
            f"SELECT tender, opened_at FROM bids_tender_key WHERE tender IN ({marks(len(ids))})",
            *ids,
        )
        opened = {int(k["tender"]): k["opened_at"] for k in keys}
    contracts = await _contracts(f"c.department IN ({marks(len(department_ids))})", department_ids)
    return {
        "tenders": [
            {
                **t,
                "opened_at": opened.get(int(t["id"])),
                "bid_deadline": timestamp(t["bid_deadline"]),
            }
            for t in tenders
        ],
        "contracts": contracts,
    }


async def complaints_queue() -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT c.id, c.tender, c.text, c.status, c.filed_at, c.resolution, c.organization"
        " FROM bids_complaint c ORDER BY c.status = 'filed' DESC, c.id DESC LIMIT 200"
    )
    return await named(rows, tender=TITLES)
