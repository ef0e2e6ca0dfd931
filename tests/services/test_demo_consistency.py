"""The demo's history is lived, not written: for every process its status agrees
with its records, every organization's status follows from its audit events, the
ledger and the audit chain check out (in time order), and two builds tell the same
story (seeded).

Two demo builds per engine in all: the first inside a savepoint that is rolled back.
"""

from __future__ import annotations

import json
from typing import Any

from composition.demo import load_demo
from market.audit import verify_chain
from market.db import atomic
from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding
from market.sql import execute
from market.timestamps import timestamp

AFTER_AWARD = ("awarded", "contracted", "completed", "terminated")
NOTHING_HELD = ("held", "pending_in", "pending_out")


class _Undo(Exception):
    """Raised to roll the first build back."""


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await execute(sql, *args)]


async def _records(tender_id: int) -> dict[str, Any]:
    awards = await _rows(
        "SELECT a.status, b.organization FROM bids_award a JOIN bids_bid b ON b.id = a.bid"
        " WHERE a.tender = {}",
        tender_id,
    )
    contracts = await _rows(
        "SELECT id, status, department_signed_at, organization_signed_at FROM bids_contract"
        " WHERE tender = {}",
        tender_id,
    )
    milestones = await _rows(
        "SELECT m.status, m.released FROM bids_milestone m JOIN bids_contract c"
        " ON c.id = m.contract WHERE c.tender = {}",
        tender_id,
    )
    bids = await _rows("SELECT status, price FROM bids_bid WHERE tender = {}", tender_id)
    calls = await _rows("SELECT id, decided_at FROM funds_call WHERE tender = {}", tender_id)
    grants = await _rows(
        "SELECT g.id, g.status, (SELECT COUNT(*) FROM funds_tranche t WHERE t.grant_id = g.id"
        " AND t.status <> 'approved') AS open_tranches FROM funds_grant g"
        " JOIN funds_call c ON c.id = g.call WHERE c.tender = {}",
        tender_id,
    )
    return {
        "call": calls[0] if calls else None,
        "grants": grants,
        "active": [a for a in awards if a["status"] == "active"],
        "contracts": contracts,
        "milestones": milestones,
        "bids": bids,
        "funding": await tender_funding(tender_id),
    }


def _held(funding: Any) -> int:
    return sum(
        getattr(line, field).amount for line in funding.sources.values() for field in NOTHING_HELD
    )


def _check_call(status: str, r: dict[str, Any]) -> None:
    """status ⇔ records, for a community fund's call for proposals: decided by votes
    into grants of its own (several), never a bids award or contract."""
    assert not r["active"] and not r["contracts"], r
    decided = r["call"]["decided_at"] is not None
    assert decided == (status in ("contracted", "completed", "unsuccessful") and bool(r["bids"])), r
    if status in ("contracted", "completed"):  # decided ⇒ its grants, each with tranches
        assert r["grants"], r
    if status == "contracted":
        assert any(g["status"] == "active" for g in r["grants"]), r
    if status == "completed":
        assert all(g["status"] == "completed" and not g["open_tranches"] for g in r["grants"]), r
        assert _held(r["funding"]) == 0, r
    if status in ("cancelled", "unsuccessful"):
        assert not r["grants"] and _held(r["funding"]) == 0, r
    if status in ("evaluation", "contracted", "completed"):
        assert r["bids"] and all(b["price"] is not None for b in r["bids"]), r
    if status in ("draft", "published", "cancelled"):
        assert not r["bids"] and not r["grants"], r


def _check(status: str, r: dict[str, Any]) -> None:
    """status ⇔ records, for one tender."""
    if r["call"] is not None:
        _check_call(status, r)
        return
    signed = [
        c for c in r["contracts"] if c["department_signed_at"] and c["organization_signed_at"]
    ]
    if status in AFTER_AWARD:  # awarded ⇒ an award with a supplier
        assert len(r["active"]) == 1 and r["active"][0]["organization"], r
    else:
        assert not r["active"] and not r["contracts"], r
    if status == "awarded":
        assert not r["contracts"], r
    if status in ("contracted", "completed", "terminated"):  # contracted ⇒ a signed contract
        assert len(signed) == 1 == len(r["contracts"]), r
    if status == "terminated":  # a tender status of its own once contracts can end early
        assert r["contracts"][0]["status"] == "terminated", r
    if status == "completed":  # every milestone decided, the escrow settled
        assert r["contracts"][0]["status"] == "completed", r
        assert r["milestones"] and all(m["status"] == "approved" for m in r["milestones"]), r
        assert all(m["released"] for m in r["milestones"]), r
        assert _held(r["funding"]) == 0 and r["funding"].total("released").amount > 0, r
    if status in ("cancelled", "unsuccessful"):  # nothing held
        assert _held(r["funding"]) == 0, r
    if status in ("evaluation", *AFTER_AWARD):  # the bids were opened at the deadline
        assert r["bids"] and all(b["price"] is not None for b in r["bids"]), r
    if status in ("draft", "published", "cancelled"):
        assert not r["bids"], r


async def _fingerprint() -> dict[str, Any]:
    """What the history produced, without ids or times (which depend on the present)."""
    tenders = await _rows("SELECT id, title_en, status FROM market_tender ORDER BY title_en")
    per_tender = {}
    for tender in tenders:
        records = await _records(int(tender["id"]))
        _check(str(tender["status"]), records)
        funding = records["funding"]
        per_tender[tender["title_en"]] = (
            tender["status"],
            sorted((b["status"], b["price"]) for b in records["bids"]),
            sorted(m["status"] for m in records["milestones"]),
            sorted(g["status"] for g in records["grants"]),
            {
                source: (line.received.amount, line.released.amount, line.held.amount)
                for source, line in funding.sources.items()
            },
        )
    totals = await _rows(
        "SELECT reason, kind, COUNT(*) AS n, SUM(amount) AS total FROM ledger_transfer"
        " GROUP BY reason, kind ORDER BY reason, kind"
    )
    donations = await _rows(
        "SELECT status, amount, match_status FROM donors_donation ORDER BY amount, status"
    )
    return {
        "tenders": per_tender,
        "ledger": [(t["reason"], t["kind"], int(t["n"]), int(t["total"])) for t in totals],
        "donations": sorted(tuple(d.values()) for d in donations),
        "complaints": sorted(r["status"] for r in await _rows("SELECT status FROM bids_complaint")),
        "pledges": sorted(r["status"] for r in await _rows("SELECT status FROM donors_pledge")),
        "gifts": sorted(
            (r["source"], int(r["amount"]), r["status"])
            for r in await _rows("SELECT source, amount, status FROM funds_gift")
        ),
        "votes": sorted(r["vote"] for r in await _rows("SELECT vote FROM funds_vote")),
    }


DECISIONS = ("organization.verify", "organization.reject", "organization.suspend",
             "organization.reinstate")  # fmt: skip


async def _organizations_explained() -> dict[str, int]:
    """Every organization's status, rating and decider are what its audit events say:
    an `organization.register` (pending) by someone, then decisions, each from the
    status the previous one left. Returns how many organizations each actor kind
    (user, system) registered."""
    events: dict[int, list[dict[str, Any]]] = {}
    for row in await _rows(
        "SELECT actor, action, object_id, change FROM audit_event WHERE object_type ="
        " 'organization' AND action IN ('organization.register', {}, {}, {}, {}) ORDER BY seq",
        *DECISIONS,
    ):
        events.setdefault(int(row["object_id"]), []).append(row)
    registered_by: dict[str, int] = {}
    organizations = await _rows("SELECT id, kind, uscc, status, rating, decided_by FROM"
                                " market_organization ORDER BY id")  # fmt: skip
    for org in organizations:
        first, *decisions = events.get(int(org["id"]), [{}])
        assert first.get("action") == "organization.register", org
        change = json.loads(first["change"])
        assert (change["kind"], change["uscc"], change["status"]) == (
            org["kind"], org["uscc"], "pending"), org  # fmt: skip
        kind = str(first["actor"]).partition(":")[0]
        registered_by[kind] = registered_by.get(kind, 0) + 1
        status, rating, decider = "pending", "", None
        for decision in decisions:
            moved = json.loads(decision["change"])
            assert moved["from"] == status, (org, decisions)
            status, rating = moved["to"], moved["rating"]
            actor = str(decision["actor"])
            decider = int(actor.split(":")[1]) if actor.startswith("user:") else None
        assert (org["status"], org["rating"], org["decided_by"]) == (status, rating, decider), org
    return registered_by


async def _audit_in_time_order() -> None:
    rows = await _rows("SELECT seq, at FROM audit_event ORDER BY seq")
    times = [timestamp(r["at"]) for r in rows]
    late = [rows[i]["seq"] for i in range(1, len(times)) if times[i] < times[i - 1]]
    assert not late, f"audit events before their predecessors: {late[:5]}"


async def _build_and_check() -> dict[str, Any]:
    await load_demo()
    # 24 organizations and the 12 community funds' (set up by the operator)
    assert await _organizations_explained() == {"system": 1, "user": 36}
    await _audit_in_time_order()
    fingerprint = await _fingerprint()  # checks every process on the way
    report = await run_checks()
    assert report.ok, report
    chain = await verify_chain()
    assert chain.ok, chain
    return fingerprint


async def test_every_process_matches_its_records_and_the_history_is_deterministic() -> None:
    first: dict[str, Any] = {}
    try:
        async with atomic():
            first = await _build_and_check()
            raise _Undo
    except _Undo:
        pass
    second = await _build_and_check()
    assert len(second["tenders"]) == 42  # 40 tenders and the Lakeside fund's two calls
    assert {s for s, *_ in second["tenders"].values()} >= {
        "published",
        "tendering",
        "evaluation",
        "awarded",
        "contracted",
        "completed",
        "cancelled",
        "unsuccessful",
    }
    assert first == second
