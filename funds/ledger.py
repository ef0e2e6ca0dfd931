# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""A community fund's account read from the ledger (the kernel's read-contract views):
every transfer that touched `community:{place}:fund`, placed by `rules.figures` —
the community page's figures and `market ledger check`'s fund invariants are the same
computation, so a page can never show what the check would not accept.
"""

from __future__ import annotations

from funds import rules
from market.ledger.codes import community_fund_code
from market.sql import execute
from market.timestamps import timestamp

_ENTRIES = """
SELECT t.id, t.key, t.kind, t.reason, t.amount, t.source, t.tender_id, t.reference,
       t.created_at,
       CASE WHEN t.debit_account = a.id THEN 1 ELSE 0 END AS is_out,
       r.kind AS resolution, r.amount AS resolved,
       (SELECT c.id FROM funds_call c JOIN funds_fund f ON f.id = c.fund
        WHERE c.tender = t.tender_id AND f.place = {}) AS call_id
FROM market_v_ledger_account a
JOIN market_v_ledger_entry t ON t.debit_account = a.id OR t.credit_account = a.id
LEFT JOIN market_v_ledger_resolution r ON r.pending = t.id
WHERE a.code = {} AND t.kind IN ('single', 'pending')
ORDER BY t.id
"""


async def entries(place_id: int) -> list[rules.Entry]:
    """Every single or pending transfer of the fund's account, oldest first; a hold
    carries what its post took (0 once voided, None while open)."""
    rows = await execute(_ENTRIES, place_id, community_fund_code(place_id))
    return [
        rules.Entry(
            key=str(r["key"]),
            kind=str(r["kind"]),
            reason=str(r["reason"]),
            amount=int(r["amount"]),
            out=bool(int(r["is_out"])),
            source=r["source"],
            tender_id=int(r["tender_id"]) if r["tender_id"] is not None else None,
            call=r["call_id"] is not None,
            resolved=None
            if r["resolution"] is None
            else (int(r["resolved"]) if r["resolution"] == "post" else 0),
            reference=str(r["reference"] or ""),
            at=timestamp(r["created_at"]),
        )
        for r in rows
    ]


async def figures(place_id: int) -> rules.Figures:
    return rules.figures(await entries(place_id))


async def balances(place_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Place id → (posted balance, available) of its fund's account (0s when it has
    never moved): the communities list."""
    codes = {community_fund_code(p): p for p in place_ids}
    if not codes:
        return {}
    marks = ", ".join(["{}"] * len(codes))
    rows = await execute(
        "SELECT code, credits_posted - debits_posted AS posted, debits_pending AS held"
        f" FROM market_v_ledger_balance WHERE code IN ({marks})",
        *codes,
    )
    found = {codes[r["code"]]: (int(r["posted"]), int(r["posted"]) - int(r["held"])) for r in rows}
    return {p: found.get(p, (0, 0)) for p in place_ids}
