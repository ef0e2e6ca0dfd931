# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Reads for the community pages: the list of streets and their communities with their
funds' balances (`/communities`), and one community's page — its fund's income by
source, what its calls hold, the grants made, the fund's every movement (the ledger's
own transfers, `funds.ledger`), its calls and its committee. Everything here is
public: no donor's identity beyond the name they chose to show, no e-mail.
"""

from __future__ import annotations

from typing import Any

from funds import ledger
from market.directory import user_names
from market.errors import NotFound
from market.places.queries import Place, all_places, get_place, place_by_code
from market.places.rules import InvalidPlace, tier_of
from market.sql import Row, execute, marks
from market.tables import Membership
from market.timestamps import timestamp

OPEN = ("published", "tendering", "evaluation")

_CALLS_BY_PLACE = f"""
SELECT f.place, COUNT(*) AS n FROM funds_call c JOIN funds_fund f ON f.id = c.fund
JOIN market_v_tender t ON t.id = c.tender WHERE t.status IN ({marks(len(OPEN))})
GROUP BY f.place
"""

_GRANTS_BY_PLACE = """
SELECT f.place, COUNT(*) AS n, SUM(g.amount) AS total FROM funds_grant g
JOIN funds_call c ON c.id = g.call JOIN funds_fund f ON f.id = c.fund GROUP BY f.place
"""


async def communities() -> list[dict[str, Any]]:
    """Each street with its communities: fund, balance, open calls, grants."""
    places = await all_places()
    ids = [p.id for p in places if p.tier == "community"]
    balances = await ledger.balances(ids)
    funds = {
        int(r["place"]): int(r["id"]) for r in await execute("SELECT id, place FROM funds_fund")
    }
    open_calls = {int(r["place"]): int(r["n"]) for r in await execute(_CALLS_BY_PLACE, *OPEN)}
    granted = {
        int(r["place"]): (int(r["n"]), int(r["total"])) for r in await execute(_GRANTS_BY_PLACE)
    }
    streets = []
    for street in (p for p in places if p.tier == "street"):
        rows = [
            {
                "place": p,
                "fund": funds.get(p.id),
                "balance": balances[p.id][0],
                "available": balances[p.id][1],
                "open_calls": open_calls.get(p.id, 0),
                "grants": granted.get(p.id, (0, 0)),
            }
            for p in places
            if p.tier == "community" and p.parent == street.id
        ]
        streets.append({"street": street, "communities": rows})
    return streets


async def community(code: str) -> Place:
    """The community with this 12-digit code (404 for anything else)."""
    try:
        if tier_of(code) != "community":
            raise NotFound("No such community.")
    except InvalidPlace:
        raise NotFound("No such community.") from None
    return await place_by_code(code)


async def fund_row(place_id: int) -> Row | None:
    rows = await execute("SELECT * FROM funds_fund WHERE place = {}", place_id)
    return rows[0] if rows else None


async def fund_organization(fund_id: int) -> int:
    """The organization a fund acts as (its members: the committee; its admin: the chair)."""
    rows = await execute("SELECT organization FROM funds_fund WHERE id = {}", fund_id)
    if not rows:
        raise NotFound("No such community fund.")
    return int(rows[0]["organization"])


async def grant_ids_of_call(tender_id: int) -> list[int]:
    """The grants a call (by its tender) made, in the order they were decided."""
    rows = await execute(
        "SELECT g.id FROM funds_grant g JOIN funds_call c ON c.id = g.call"
        " WHERE c.tender = {} ORDER BY g.id",
        tender_id,
    )
    return [int(r["id"]) for r in rows]


async def tranches_of_grant(grant_id: int) -> tuple[int, list[int]]:
    """A grant's grantee organization and its tranches' ids, first to last."""
    rows = await execute(
        "SELECT t.id, g.organization FROM funds_tranche t"
        " JOIN funds_grant g ON g.id = t.grant_id WHERE t.grant_id = {} ORDER BY t.position",
        grant_id,
    )
    if not rows:
        raise NotFound("No such grant.")
    return int(rows[0]["organization"]), [int(r["id"]) for r in rows]


async def committee(organization_id: int) -> list[dict[str, Any]]:
    """The committee's members (the chair first), by the names they show."""
    rows = await (
        Membership.select(Membership.user, Membership.role)
        .where(Membership.organization == organization_id)
        .order_by(Membership.id)
    )
    names = await user_names(int(r["user"]) for r in rows)
    members = [
        {"id": int(r["user"]), "name": names.get(int(r["user"]), ""), "chair": r["role"] == "admin"}
        for r in rows
    ]
    return sorted(members, key=lambda m: not m["chair"])


async def calls_of(fund_id: int) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT c.id, c.tender, c.cap, c.ends, c.decided_at, t.title_zh, t.title_en, t.status,"
        " t.budget, t.currency, t.bid_deadline,"
        " (SELECT COUNT(*) FROM funds_grant g WHERE g.call = c.id) AS grants"
        " FROM funds_call c JOIN market_v_tender t ON t.id = c.tender"
        " WHERE c.fund = {} ORDER BY c.id DESC",
        fund_id,
    )
    return [{**r, "bid_deadline": timestamp(r["bid_deadline"])} for r in rows]


_GRANTS = """
SELECT g.id, g.call, c.tender, g.amount, g.currency, g.status, g.votes_for, g.votes_against,
       g.decided_at, o.id AS org_id, o.name_zh, o.name_en, t.title_zh, t.title_en,
       (SELECT COALESCE(SUM(e.amount), 0) FROM market_v_ledger_transfer e
        JOIN funds_tranche r ON e.reference = 'fund_tranche:' || CAST(r.id AS TEXT)
        WHERE r.grant_id = g.id AND e.reason = 'release') AS released
FROM funds_grant g JOIN funds_call c ON c.id = g.call
JOIN market_v_organization o ON o.id = g.organization
JOIN market_v_tender t ON t.id = c.tender
WHERE {where} ORDER BY g.id DESC
"""


async def grants_where(where: str, *args: Any) -> list[dict[str, Any]]:
    rows = await execute(_GRANTS.format(where=where), *args)
    # SUM over BIGINT is NUMERIC on PostgreSQL: back to integer fen
    return [{**r, "decided_at": timestamp(r["decided_at"]), "released": int(r["released"])}
            for r in rows]  # fmt: skip


async def gifts_of(fund_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The latest paid gifts: a resident's name only when they gave it and were not
    anonymous; a sponsor by its organization's name."""
    rows = await execute(
        "SELECT g.id, g.source, g.amount, g.currency, g.paid_at, g.anonymous, g.display_name,"
        " o.name_zh, o.name_en FROM funds_gift g"
        " LEFT JOIN market_v_organization o ON o.id = g.sponsor"
        " WHERE g.fund = {} AND g.status = 'paid' ORDER BY g.paid_at DESC, g.id DESC LIMIT {}",
        fund_id,
        limit,
    )
    return [
        {
            **r,
            "display_name": "" if r["anonymous"] else r["display_name"],
            "paid_at": timestamp(r["paid_at"]),
        }
        for r in rows
    ]


async def community_page(code: str) -> dict[str, Any]:
    place = await community(code)
    street = await get_place(place.parent) if place.parent is not None else None
    fund = await fund_row(place.id)
    figures = await ledger.figures(place.id)
    entries = await ledger.entries(place.id)
    context: dict[str, Any] = {
        "place": place,
        "street": street,
        "fund": fund,
        "figures": figures,
        "statement": list(reversed(entries)),
        "calls": [],
        "grants": [],
        "gifts": [],
        "committee": [],
        "titles": {},
    }
    if fund is not None:
        fund_id = int(fund["id"])
        context.update(
            calls=await calls_of(fund_id),
            grants=await grants_where("c.fund = {}", fund_id),
            gifts=await gifts_of(fund_id),
            committee=await committee(int(fund["organization"])),
        )
    context["titles"] = await _titles({e.tender_id for e in entries if e.tender_id})
    return context


async def _titles(tender_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Tender id → (title_zh, title_en): what each movement's project is called."""
    ids = sorted(tender_ids)
    if not ids:
        return {}
    rows = await execute(
        f"SELECT id, title_zh, title_en FROM market_v_tender WHERE id IN ({marks(len(ids))})",
        *ids,
    )
    return {int(r["id"]): (str(r["title_zh"]), str(r["title_en"])) for r in rows}


async def my_funds(user_id: int) -> list[dict[str, Any]]:
    """The funds whose committee this user sits on, with their community."""
    rows = await execute("SELECT f.id, f.place, f.organization FROM funds_fund f ORDER BY f.id")
    mine = set()
    for r in await Membership.select(Membership.organization).where(Membership.user == user_id):
        mine.add(int(r["organization"]))
    return [
        {**r, "place": await get_place(int(r["place"]))}
        for r in rows
        if int(r["organization"]) in mine
    ]


async def all_funds() -> list[dict[str, Any]]:
    """Every fund, with its community (the operator's list)."""
    rows = await execute("SELECT id, place, organization, opened_at FROM funds_fund ORDER BY id")
    return [{**r, "place_row": await get_place(int(r["place"]))} for r in rows]
