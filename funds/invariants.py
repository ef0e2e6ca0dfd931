"""The funds app's money invariants, run by `market ledger check` (registered by
composition/wiring.py), each proven by a test that seeds its violation
(tests/services/test_fund_invariants.py):

- `fund_not_negative`: no community fund's account has sent, or holds for calls,
  more than it received (posted credits ≥ posted debits + open holds);
- `fund_balance`: every transfer of a fund's account is income (a gift, consented
  money of a failed project), a hold of one of its own calls, or money back from one
  of its calls — and its balance is income − what its calls took for grants + what
  came back, its open holds what its open calls hold (`rules.figures`);
- `fund_holds`: every hold from a community fund is a call of that community's fund,
  and every call's hold comes from its own community's fund;
- `fund_grants`: what a decided call took from its fund is what its grants add up to;
  a grant's tranches add up to the grant, and what was released for each approved
  tranche is its amount (nothing for the others).
"""

from __future__ import annotations

from funds import ledger
from market.ledger.codes import community_fund_code
from market.sql import execute

_FUND_ACCOUNTS = """
SELECT code, credits_posted, debits_posted, debits_pending FROM market_v_ledger_balance
WHERE code LIKE 'community:%:fund' ORDER BY code
"""


def _place(code: str) -> int | None:
    middle = code.split(":")[1]
    return int(middle) if middle.isdigit() else None


async def check_not_negative() -> list[str]:
    return [
        f"community fund {r['code']!r} is overdrawn: received {r['credits_posted']},"
        f" sent {r['debits_posted']}, holds {r['debits_pending']}"
        for r in await execute(_FUND_ACCOUNTS)
        if int(r["credits_posted"]) < int(r["debits_posted"]) + int(r["debits_pending"])
    ]


async def check_balance() -> list[str]:
    problems = []
    for r in await execute(_FUND_ACCOUNTS):
        place = _place(str(r["code"]))
        if place is None:
            problems.append(f"account {r['code']!r} names no community")
            continue
        figures = await ledger.figures(place)
        problems += [
            f"community fund {r['code']!r}: transfer {key!r} is neither income, a hold of"
            " one of its calls nor money back from one"
            for key in figures.unplaced
        ]
        if figures.unplaced:
            continue  # the balance cannot add up then: the transfers named say why
        posted = int(r["credits_posted"]) - int(r["debits_posted"])
        if figures.balance != posted or figures.held != int(r["debits_pending"]):
            problems.append(
                f"community fund {r['code']!r}: income {figures.total_income} − granted"
                f" {figures.granted} + returned {figures.returned} = {figures.balance},"
                f" held {figures.held}; the ledger says {posted}, held {r['debits_pending']}"
            )
    return problems


_HOLDS = """
SELECT t.key, t.tender_id, d.code AS debit_code, f.place AS call_place
FROM market_v_ledger_entry t
JOIN market_v_ledger_account d ON d.id = t.debit_account
LEFT JOIN funds_call c ON c.tender = t.tender_id
LEFT JOIN funds_fund f ON f.id = c.fund
WHERE t.kind = 'pending' AND t.reason = 'budget_hold'
  AND (d.code LIKE 'community:%:fund' OR c.id IS NOT NULL)
ORDER BY t.id
"""


async def check_holds() -> list[str]:
    problems = []
    for r in await execute(_HOLDS):
        own = community_fund_code(int(r["call_place"])) if r["call_place"] is not None else None
        if r["debit_code"] != own:
            what = f"call {r['tender_id']} of {own}" if own else f"tender {r['tender_id']}"
            problems.append(
                f"hold {r['key']!r} for {what} debits {r['debit_code']}: a community fund"
                " holds money only for its own calls, and a call only from its own fund"
            )
    return problems


_CALL_GRANTS = """
SELECT c.tender, COALESCE(p.amount, 0) AS taken,
       (SELECT COALESCE(SUM(g.amount), 0) FROM funds_grant g WHERE g.call = c.id) AS granted
FROM funds_call c
JOIN market_v_ledger_entry h ON h.tender_id = c.tender AND h.kind = 'pending'
     AND h.reason = 'budget_hold'
LEFT JOIN market_v_ledger_resolution p ON p.pending = h.id AND p.kind = 'post'
WHERE c.decided_at IS NOT NULL
ORDER BY c.tender
"""

_TRANCHES = """
SELECT g.id, g.amount,
       (SELECT COALESCE(SUM(t.amount), 0) FROM funds_tranche t WHERE t.grant_id = g.id) AS planned
FROM funds_grant g ORDER BY g.id
"""

_RELEASES = """
SELECT t.id, t.status, t.amount,
       (SELECT COALESCE(SUM(e.amount), 0) FROM market_v_ledger_entry e
        WHERE e.reason = 'release' AND e.reference = 'fund_tranche:' || CAST(t.id AS TEXT))
       AS released
FROM funds_tranche t ORDER BY t.id
"""


async def check_grants() -> list[str]:
    problems = [
        f"call {r['tender']} took {int(r['taken'])} from its fund for grants of {int(r['granted'])}"
        for r in await execute(_CALL_GRANTS)
        if int(r["taken"]) != int(r["granted"])
    ]
    problems += [
        f"grant {r['id']} of {r['amount']} has tranches adding up to {int(r['planned'])}"
        for r in await execute(_TRANCHES)
        if int(r["planned"]) != int(r["amount"])
    ]
    for r in await execute(_RELEASES):
        expected = int(r["amount"]) if r["status"] == "approved" else 0
        if int(r["released"]) != expected:
            problems.append(
                f"tranche {r['id']} ({r['status']}, {r['amount']})"
                f" was released {int(r['released'])}"
            )
    return problems


CHECKS = {
    "fund_not_negative": check_not_negative,
    "fund_balance": check_balance,
    "fund_holds": check_holds,
    "fund_grants": check_grants,
}
