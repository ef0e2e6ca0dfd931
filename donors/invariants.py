# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The donors app's money invariants, run by `market ledger check` after the kernel's
own (registered by `composition.wiring.wire_ledger_checks`, never at import).

The ledger alone cannot know what a payment, a refund, a pledge or a donation says
about it; each check below compares the donors rows with the transfers (through the
kernel's read-contract ledger views, market/read_views.py) and returns one message per
problem, naming the object and the numbers:

- `payments`: a payment succeeded ⇔ one transfer `payment:{id}` brought its amount;
- `refunds`: per payment Σ refunds = `refunded` ≤ amount, refunds only of succeeded
  payments; every paid refund moved exactly its amount from its hold account in the
  transfer `refund:{id}` (reference `payment:{pid}`), every refund transfer has its
  refund row, a queued refund's hold account holds the money, and no refund account
  (a donation's, a payer's) ever received more than was paid;
- `pledges`: `matched` = posted matches + open reservations − matched money returned
  to the pledge, never negative; available + matched + returned = funded; no pledge
  gets back from a tender more than it matched into it;
- `donations`: a paid donation's money is in its tender's public escrow; the match
  status follows its reservation `donation:{id}:match` (reserved: open and its payment
  awaiting; posted: posted and paid; released: voided; none: no reservation);
- `expiry`: no payment still awaiting past its confirmation window (plus a grace,
  `MARKET_PAYMENT_EXPIRY_GRACE` seconds, default 900: the expiry job's period);
- `settlements`: a settled tender (a `donors_settlement` row) holds nothing in its
  escrow and has no open hold into or out of it; after a failure settlement no
  donation of it is still `paid`;
- `sandbox`: no transfer of a sandbox (training) tender touches a pledge, the
  community fund or a real payment provider's account (the kernel's own check keeps
  its budgets, payables and treasury apart the same way).

Set-based: a fixed handful of queries whatever the number of rows (hash joins on the
transfer keys), no query per row.
"""

from __future__ import annotations

import os
from datetime import timedelta

from donors.sandbox_check import check_sandbox
from donors.settlement_rules import FAILURE_REASONS
from market import clock
from market.ledger.rules import SOURCES
from market.sql import Row, execute

_KEY = "'{prefix}' || CAST({column} AS VARCHAR)"


def _key(prefix: str, column: str, suffix: str = "") -> str:
    """SQL for a transfer key or account code spelled from a row's id."""
    text = _KEY.format(prefix=prefix, column=column)
    return f"{text} || '{suffix}'" if suffix else text


def expiry_grace() -> timedelta:
    """How long an awaiting payment may outlive its window before the check calls it
    stuck (MARKET_PAYMENT_EXPIRY_GRACE, seconds)."""
    return timedelta(seconds=int(os.environ.get("MARKET_PAYMENT_EXPIRY_GRACE", "900")))


# --- payments ---------------------------------------------------------------------------

_PAYMENT_TRANSFERS = f"""
SELECT p.id, p.kind, p.object_id, p.status, p.amount, t.amount AS moved, t.kind AS tkind
FROM donors_payment p
LEFT JOIN market_v_ledger_entry t ON t.key = {_key("payment:", "p.id")}
WHERE (p.status = 'succeeded' AND (t.id IS NULL OR t.amount <> p.amount OR t.kind <> 'single'))
   OR (p.status <> 'succeeded' AND t.id IS NOT NULL)
ORDER BY p.id
"""


async def check_payments() -> list[str]:
    problems = []
    for r in await execute(_PAYMENT_TRANSFERS):
        name = f"payment {r['id']} ({r['kind']} {r['object_id']}, {r['status']}, {r['amount']})"
        if r["moved"] is None:
            problems.append(f"{name}: no transfer 'payment:{r['id']}' brought its money")
        elif r["status"] != "succeeded":
            problems.append(f"{name}: transfer 'payment:{r['id']}' moved {r['moved']} for it")
        else:
            problems.append(f"{name}: transfer 'payment:{r['id']}' is {r['tkind']} of {r['moved']}")
    return problems


# --- refunds ----------------------------------------------------------------------------

_REFUND_TOTALS = """
SELECT p.id, p.kind, p.object_id, p.status, p.amount, p.refunded,
       COALESCE(r.total, 0) AS total, COALESCE(r.n, 0) AS n
FROM donors_payment p
LEFT JOIN (SELECT payment, SUM(amount) AS total, COUNT(*) AS n FROM donors_refund
           GROUP BY payment) r ON r.payment = p.id
WHERE p.refunded <> COALESCE(r.total, 0) OR p.refunded > p.amount
   OR COALESCE(r.total, 0) > p.amount OR (COALESCE(r.n, 0) > 0 AND p.status <> 'succeeded')
ORDER BY p.id
"""

_REFUND_PAYOUTS = f"""
SELECT r.id, r.payment, r.amount, r.status, r.hold_code, t.id AS tid, t.amount AS moved,
       t.kind AS tkind, t.reference, a.code AS debit_code
FROM donors_refund r
LEFT JOIN market_v_ledger_entry t ON t.key = {_key("refund:", "r.id")}
LEFT JOIN market_v_ledger_account a ON a.id = t.debit_account
WHERE (r.status = 'paid' AND (t.id IS NULL OR t.amount <> r.amount OR t.kind <> 'single'
       OR t.reference <> {_key("payment:", "r.payment")} OR a.code <> r.hold_code))
   OR (r.status <> 'paid' AND t.id IS NOT NULL)
ORDER BY r.id
"""

_UNTIED_REFUND_TRANSFERS = f"""
SELECT t.key, t.amount, t.reference FROM market_v_ledger_entry t
WHERE t.reason = 'refund'
  AND t.key NOT IN (SELECT {_key("refund:", "r.id")} FROM donors_refund r)
ORDER BY t.id
"""

_HOLDS_SHORT = """
SELECT q.hold_code, q.queued, q.n,
       COALESCE(b.credits_posted - b.debits_posted - b.debits_pending, 0) AS available
FROM (SELECT hold_code, SUM(amount) AS queued, COUNT(*) AS n FROM donors_refund
      WHERE status = 'queued' GROUP BY hold_code) q
LEFT JOIN market_v_ledger_balance b ON b.code = q.hold_code
WHERE q.queued > COALESCE(b.credits_posted - b.debits_posted - b.debits_pending, 0)
ORDER BY q.hold_code
"""

# What went to a payer's refund account: a donation's, or any payment's (a late
# sponsorship or pledge prepayment).
_REFUND_ACCOUNTS_OVER = f"""
SELECT 'donation' AS kind, d.id, d.amount, b.code, b.credits_posted FROM donors_donation d
JOIN market_v_ledger_balance b ON b.code = {_key("donor:d", "d.id", ":refund")}
WHERE b.credits_posted > d.amount
UNION ALL
SELECT 'payment', p.id, p.amount, b.code, b.credits_posted FROM donors_payment p
JOIN market_v_ledger_balance b ON b.code = {_key("payer:p", "p.id", ":refund")}
WHERE b.credits_posted > p.amount
ORDER BY 1, 2
"""


def _refund_total_problems(r: Row) -> list[str]:
    name = f"payment {r['id']} ({r['kind']} {r['object_id']})"
    amount, refunded, total = int(r["amount"]), int(r["refunded"]), int(r["total"])
    problems = []
    if max(refunded, total) > amount:
        problems.append(f"{name}: refunds of {max(refunded, total)} exceed the {amount} paid")
    if refunded != total:
        problems.append(f"{name}: refunded says {refunded}, its {r['n']} refund(s) add to {total}")
    if int(r["n"]) and r["status"] != "succeeded":
        problems.append(f"{name} is {r['status']} yet has {r['n']} refund(s) of {total}")
    return problems


def _payout_problem(r: Row) -> str:
    name = f"refund {r['id']} of payment {r['payment']} ({r['status']}, {r['amount']})"
    key = f"'refund:{r['id']}'"
    if r["tid"] is None:
        return f"{name}: paid, but no transfer {key} paid it out"
    if r["status"] != "paid":
        return f"{name}: not paid, but transfer {key} already moved {r['moved']}"
    return (
        f"{name}: transfer {key} ({r['tkind']}) moved {r['moved']} from {r['debit_code']}"
        f" with reference {r['reference']!r}, not {r['amount']} from {r['hold_code']}"
        f" for 'payment:{r['payment']}'"
    )


async def check_refunds() -> list[str]:
    problems = [p for r in await execute(_REFUND_TOTALS) for p in _refund_total_problems(r)]
    problems += [_payout_problem(r) for r in await execute(_REFUND_PAYOUTS)]
    problems += [
        f"transfer {r['key']!r} refunded {r['amount']} ({r['reference']}) without a refund row"
        for r in await execute(_UNTIED_REFUND_TRANSFERS)
    ]
    problems += [
        f"{r['n']} queued refund(s) of {int(r['queued'])} wait on {r['hold_code']},"
        f" which holds only {int(r['available'])}"
        for r in await execute(_HOLDS_SHORT)
    ]
    problems += [
        f"{r['kind']} {r['id']}: {r['credits_posted']} went to {r['code']},"
        f" more than the {r['amount']} it paid"
        for r in await execute(_REFUND_ACCOUNTS_OVER)
    ]
    return problems


# --- pledges ----------------------------------------------------------------------------

# Each posted transfer on a pledge account, once per side: money in (funding, or matched
# money returned) and money out (matches, or the unused balance returned at expiry).
_PLEDGE_MOVES = """
SELECT a.id AS account, a.code, x.tender_id, x.funded, x.back, x.matched, x.gone
FROM (
  SELECT credit_account AS account, tender_id,
         CASE WHEN reason = 'pledge_funding' THEN amount ELSE 0 END AS funded,
         CASE WHEN reason = 'pledge_funding' THEN 0 ELSE amount END AS back,
         0 AS matched, 0 AS gone
  FROM market_v_ledger_entry WHERE kind IN ('single', 'post')
  UNION ALL
  SELECT debit_account, tender_id, 0, 0,
         CASE WHEN reason = 'pledge_return' THEN 0 ELSE amount END,
         CASE WHEN reason = 'pledge_return' THEN amount ELSE 0 END
  FROM market_v_ledger_entry WHERE kind IN ('single', 'post')
) x JOIN market_v_ledger_account a ON a.id = x.account
WHERE a.code LIKE 'pledge:%'
"""

_PLEDGES = f"""
SELECT p.id, p.matched, p.returned,
       COALESCE(b.credits_posted - b.debits_posted - b.debits_pending, 0) AS available,
       COALESCE(b.debits_pending, 0) AS reserved,
       COALESCE(m.funded, 0) AS funded, COALESCE(m.back, 0) AS back,
       COALESCE(m.matched, 0) AS posted, COALESCE(m.gone, 0) AS gone
FROM donors_pledge p
LEFT JOIN market_v_ledger_balance b ON b.code = {_key("pledge:", "p.id")}
LEFT JOIN (SELECT account, SUM(funded) AS funded, SUM(back) AS back, SUM(matched) AS matched,
                  SUM(gone) AS gone FROM ({_PLEDGE_MOVES}) moves GROUP BY account
          ) m ON m.account = b.id
ORDER BY p.id
"""

_PLEDGE_TENDERS = f"""
SELECT code, tender_id, SUM(back) AS back, SUM(matched) AS matched FROM ({_PLEDGE_MOVES}) moves
WHERE tender_id IS NOT NULL GROUP BY code, tender_id HAVING SUM(back) > SUM(matched)
ORDER BY code, tender_id
"""


def _pledge_problems(r: Row) -> list[str]:
    name = f"pledge {r['id']}"
    matched, returned, available = int(r["matched"]), int(r["returned"]), int(r["available"])
    posted, reserved, back = int(r["posted"]), int(r["reserved"]), int(r["back"])
    expected = posted + reserved - back
    problems = []
    if matched < 0:
        problems.append(f"{name}: matched {matched} is negative")
    if matched != expected:
        problems.append(
            f"{name}: matched {matched} ≠ posted matches {posted} + open reservations"
            f" {reserved} − matched money returned {back} = {expected}"
        )
    if available + matched + returned != int(r["funded"]):
        problems.append(
            f"{name}: available {available} + matched {matched} + returned {returned}"
            f" = {available + matched + returned} ≠ funded {int(r['funded'])}"
        )
    if back > posted:
        problems.append(f"{name} got back {back}, more than the {posted} it matched")
    return problems


async def check_pledges() -> list[str]:
    problems = [p for r in await execute(_PLEDGES) for p in _pledge_problems(r)]
    problems += [
        f"{r['code']} got back {int(r['back'])} from tender {r['tender_id']},"
        f" more than the {int(r['matched'])} it matched there"
        for r in await execute(_PLEDGE_TENDERS)
    ]
    return problems


# --- donations --------------------------------------------------------------------------

_PAID_DONATIONS = f"""
SELECT d.id, d.tender, d.amount, p.id AS payment, t.key, t.amount AS moved, a.code AS credit_code
FROM donors_donation d
LEFT JOIN donors_payment p ON p.object_key = {_key("donation:", "d.id")}
LEFT JOIN market_v_ledger_entry t ON t.key = {_key("payment:", "p.id")}
LEFT JOIN market_v_ledger_account a ON a.id = t.credit_account
WHERE d.status = 'paid' AND (t.id IS NULL OR t.kind <> 'single' OR t.amount <> d.amount
      OR a.code <> {_key("tender:", "d.tender", ":escrow:public")})
ORDER BY d.id
"""

_MATCHES = f"""
SELECT d.id, d.match_status, d.match_amount, d.match_pledge, p.status AS paid,
       h.id AS hid, h.amount AS held, a.code AS debit_code, r.kind AS resolved,
       r.amount AS resolved_amount
FROM donors_donation d
LEFT JOIN donors_payment p ON p.object_key = {_key("donation:", "d.id")}
LEFT JOIN market_v_ledger_entry h ON h.key = {_key("donation:", "d.id", ":match")}
LEFT JOIN market_v_ledger_account a ON a.id = h.debit_account
LEFT JOIN market_v_ledger_resolution r ON r.pending = h.id
WHERE (d.match_status = 'none' AND h.id IS NOT NULL)
   OR (d.match_status <> 'none' AND (h.id IS NULL OR h.kind <> 'pending'
       OR h.amount <> d.match_amount OR a.code <> {_key("pledge:", "d.match_pledge")}))
   OR (d.match_status = 'reserved' AND (r.id IS NOT NULL OR p.status <> 'awaiting'))
   OR (d.match_status = 'posted' AND (COALESCE(r.kind, '') <> 'post'
       OR r.amount <> d.match_amount OR p.status <> 'succeeded'))
   OR (d.match_status = 'released' AND COALESCE(r.kind, '') <> 'void')
   OR d.match_status NOT IN ('none', 'reserved', 'posted', 'released')
ORDER BY d.id
"""


def _paid_problem(r: Row) -> str:
    name = f"donation {r['id']} (paid, {r['amount']}, tender {r['tender']})"
    if r["key"] is None:
        return f"{name}: no transfer 'payment:{r['payment']}' brought its money"
    return (
        f"{name}: transfer {r['key']!r} moved {r['moved']} into {r['credit_code']},"
        f" not {r['amount']} into tender:{r['tender']}:escrow:public"
    )


def _match_problem(r: Row) -> str:
    key = f"'donation:{r['id']}:match'"
    if r["hid"] is None:
        state = "was never made"
    elif r["resolved"] is None:
        state = f"of {r['held']} from {r['debit_code']} is still open"
    else:
        verb = "posted" if r["resolved"] == "post" else "voided"
        state = f"of {r['held']} from {r['debit_code']} was {verb} ({r['resolved_amount']})"
    return (
        f"donation {r['id']}: match {r['match_status']} ({r['match_amount']} from pledge"
        f" {r['match_pledge']}), payment {r['paid']}, but its reservation {key} {state}"
    )


async def check_donations() -> list[str]:
    problems = [_paid_problem(r) for r in await execute(_PAID_DONATIONS)]
    problems += [_match_problem(r) for r in await execute(_MATCHES)]
    return problems


# --- payment windows --------------------------------------------------------------------


async def check_expiry() -> list[str]:
    grace = expiry_grace()
    rows = await execute(
        "SELECT id, kind, object_id, provider, amount, expires_at FROM donors_payment"
        " WHERE status = 'awaiting' AND expires_at < {} ORDER BY id",
        clock.now() - grace,
    )
    return [
        f"payment {r['id']} ({r['kind']} {r['object_id']}, {r['provider']}, {r['amount']})"
        f" still awaiting; its window closed at {r['expires_at']}"
        f" (grace {int(grace.total_seconds())} s)"
        for r in rows
    ]


# --- settled tenders --------------------------------------------------------------------

_SOURCES = " UNION ALL ".join(f"SELECT '{s}' AS source" for s in SOURCES)

_SETTLED_ESCROWS = f"""
SELECT s.tender, s.reason, b.code, b.credits_posted - b.debits_posted AS held,
       b.credits_pending AS pending_in, b.debits_pending AS pending_out
FROM donors_settlement s CROSS JOIN ({_SOURCES}) src
JOIN market_v_ledger_balance b
  ON b.code = {_key("tender:", "s.tender", ":escrow:")} || src.source
WHERE b.credits_posted <> b.debits_posted OR b.credits_pending <> 0 OR b.debits_pending <> 0
ORDER BY s.tender, b.code
"""

_PAID_AFTER_FAILURE = f"""
SELECT d.id, d.tender, d.amount, s.reason FROM donors_donation d
JOIN donors_settlement s ON s.tender = d.tender
WHERE d.status = 'paid' AND s.reason IN ({", ".join(f"'{r}'" for r in FAILURE_REASONS)})
ORDER BY d.id
"""


def _escrow_problem(r: Row) -> str:
    name = f"tender {r['tender']} was settled ({r['reason']})"
    if int(r["held"]):
        return f"{name} but {r['code']} still holds {r['held']}"
    return f"{name} but {r['code']} has open holds: {r['pending_in']} in, {r['pending_out']} out"


async def check_settlements() -> list[str]:
    problems = [_escrow_problem(r) for r in await execute(_SETTLED_ESCROWS)]
    problems += [
        f"donation {r['id']} ({r['amount']}) is still paid into tender {r['tender']},"
        f" settled ({r['reason']}): neither returned nor refunded"
        for r in await execute(_PAID_AFTER_FAILURE)
    ]
    return problems


CHECKS = {
    "payments": check_payments,
    "refunds": check_refunds,
    "pledges": check_pledges,
    "donations": check_donations,
    "expiry": check_expiry,
    "settlements": check_settlements,
    "sandbox": check_sandbox,
}
