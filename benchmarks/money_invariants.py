# ruff: noqa: S608 - SQL text is built from constants; values are bound parameters
"""`market ledger check` with the donors' money invariants over 100,000 donations.

    .venv/bin/python -m benchmarks.money_invariants [--donations 100000] [--tenders 200]
                                                    [--runs 3]

Set-up (not timed): a scratch PostgreSQL database `money_invariants_bench` migrated
with the app's migrations; `--tenders` tenders; one pledge matching every other
donation with ¥50; `--donations` donations with their payments, written with
INSERT … SELECT generate_series: nine in ten paid (the `payment:{id}` transfer into
the tender's public escrow, and for the matched ones the match reservation and its
post), one in ten awaiting by bank transfer (matched ones keep their reservation
open). Cached balances and the pledge's counter are then set from the transfers, so
the ledger is valid and every invariant must hold.

Timed: `run_checks()` (the kernel's checks and each registered app check) — the
median of `--runs` runs — and each donors check on its own. Fails unless the ledger
passes (no false alarm at scale) and the whole check stays under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

from benchmarks.ledger_pgbench import db_url, recreate
from benchmarks.tender_list import COLUMNS as TENDER_COLUMNS
from benchmarks.tender_list import seed_department, tender_rows

DB = "money_invariants_bench"
MATCH = 50_00
LIMIT_SECONDS = 30.0

# Donation g (1 … n): tender 1 + g % tenders; paid unless g % 10 = 0 (awaiting, bank
# transfer); matched when g is even; its payment has id g + 1 (payment 1 is the pledge's).
_DONATIONS = """
INSERT INTO donors_donation (id, tender, donor, amount, currency, display_name, message,
  anonymous, email, on_failure, status, match_pledge, match_amount, match_status, receipt_no,
  refund_amount, refund_ref, created_at, paid_at)
SELECT g, 1 + g % $2, NULL, 10000 + g % 1000, 'CNY', '', '', false, '', 'refund',
  CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'paid' END,
  CASE WHEN g % 2 = 0 THEN 1 END, CASE WHEN g % 2 = 0 THEN $3 ELSE 0 END,
  CASE WHEN g % 2 = 1 THEN 'none' WHEN g % 10 = 0 THEN 'reserved' ELSE 'posted' END,
  NULL, 0, '', now(), now()
FROM generate_series(1, $1) g
"""

_PAYMENTS = """
INSERT INTO donors_payment (id, kind, object_id, object_key, provider, amount, currency,
  status, reference_code, provider_ref, client_secret, failure_reason, bank_reference,
  created_at, refunded)
SELECT id + 1, 'donation', id, 'donation:' || id,
  CASE WHEN status = 'pending' THEN 'bank_transfer' ELSE 'sandbox' END, amount, 'CNY',
  CASE WHEN status = 'pending' THEN 'awaiting' ELSE 'succeeded' END, 'B' || id, '', '', '', '',
  now(), 0
FROM donors_donation
"""

_ACCOUNTS = """
INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,
  credits_pending, credits_posted, created_at)
SELECT 'tender:' || t || ':escrow:' || s, 'CNY', 1, 0, 0, 0, 0, now()
FROM generate_series(1, $1) t, unnest(ARRAY['public', 'corporate']) s
UNION ALL SELECT 'pledge:1', 'CNY', 1, 0, 0, 0, 0, now()
UNION ALL SELECT 'external:bank', 'CNY', 0, 0, 0, 0, 0, now()
UNION ALL SELECT 'external:sandbox', 'CNY', 0, 0, 0, 0, 0, now()
"""

_TRANSFER = """
INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency, kind,
  pending, reason, reference, tender_id, source, created_at)
"""

_PAID_IN = (
    _TRANSFER
    + """
SELECT 'payment:' || p.id, x.id, e.id, d.amount, 'CNY', 'single', NULL, 'donation',
  'donation:' || d.id, d.tender, 'public', now()
FROM donors_donation d JOIN donors_payment p ON p.id = d.id + 1
JOIN ledger_account x ON x.code = 'external:sandbox'
JOIN ledger_account e ON e.code = 'tender:' || d.tender || ':escrow:public'
WHERE d.status = 'paid' ORDER BY d.id
"""
)

_RESERVED = (
    _TRANSFER
    + """
SELECT 'donation:' || d.id || ':match', pl.id, e.id, d.match_amount, 'CNY', 'pending', NULL,
  'match', 'donation:' || d.id, d.tender, 'corporate', now()
FROM donors_donation d JOIN ledger_account pl ON pl.code = 'pledge:1'
JOIN ledger_account e ON e.code = 'tender:' || d.tender || ':escrow:corporate'
WHERE d.match_status <> 'none' ORDER BY d.id
"""
)

_POSTED = (
    _TRANSFER
    + """
SELECT h.key || ':post', h.debit_account, h.credit_account, h.amount, 'CNY', 'post', h.id,
  'match', h.reference, h.tender_id, 'corporate', now()
FROM donors_donation d JOIN ledger_transfer h ON h.key = 'donation:' || d.id || ':match'
WHERE d.match_status = 'posted' ORDER BY d.id
"""
)

# Cached balances from the transfers (the same arithmetic as `market ledger check`).
_BALANCES = """
UPDATE ledger_account a SET
  debits_posted = s.dpo, credits_posted = s.cpo, debits_pending = s.dp, credits_pending = s.cp
FROM (
  SELECT account, SUM(dpo) AS dpo, SUM(cpo) AS cpo, SUM(dp) AS dp, SUM(cp) AS cp FROM (
    SELECT t.debit_account AS account,
      CASE WHEN t.kind IN ('single', 'post') THEN t.amount ELSE 0 END AS dpo, 0 AS cpo,
      CASE WHEN t.kind = 'pending' THEN t.amount WHEN t.kind IN ('post', 'void')
           THEN -p.amount ELSE 0 END AS dp, 0 AS cp
    FROM ledger_transfer t LEFT JOIN ledger_transfer p ON p.id = t.pending
    UNION ALL
    SELECT t.credit_account, 0, CASE WHEN t.kind IN ('single', 'post') THEN t.amount ELSE 0 END,
      0, CASE WHEN t.kind = 'pending' THEN t.amount WHEN t.kind IN ('post', 'void')
           THEN -p.amount ELSE 0 END
    FROM ledger_transfer t LEFT JOIN ledger_transfer p ON p.id = t.pending
  ) sides GROUP BY account
) s
WHERE s.account = a.id
"""


async def seed_pledge(conn: object, donations: int) -> None:
    """Pledge 1 prepaid (payment 1, transfer `payment:1`) with what its matches need."""
    funded = (donations // 2 + 1) * MATCH
    await conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO donors_pledge (id, sponsor, created_by, source, currency, ratio_sponsor,"
        " ratio_donor, per_donation_cap, total_cap, matched, valid_from, valid_until,"
        " categories, areas, tender_ids, status, note, created_at, funded_at, returned)"
        " SELECT 1, o.id, u.id, 'corporate', 'CNY', 1, 1, $2, $1, 0, now(),"
        " now() + interval '1 year', '', '', '', 'active', '', now(), now(), 0"
        " FROM market_organization o, market_user u LIMIT 1",
        funded,
        MATCH,
    )
    await conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO donors_payment (id, kind, object_id, object_key, provider, amount,"
        " currency, status, reference_code, provider_ref, client_secret, failure_reason,"
        " bank_reference, created_at, refunded) VALUES (1, 'pledge', 1, 'pledge:1',"
        " 'bank_transfer', $1, 'CNY', 'succeeded', 'PLEDGE1', '', '', '', '', now(), 0)",
        funded,
    )
    await conn.execute(  # type: ignore[attr-defined]
        _TRANSFER + "SELECT 'payment:1', x.id, p.id, $1, 'CNY', 'single', NULL,"
        " 'pledge_funding', 'pledge:1', NULL, NULL, now() FROM ledger_account x,"
        " ledger_account p WHERE x.code = 'external:bank' AND p.code = 'pledge:1'",
        funded,
    )


async def seed(donations: int, tenders: int) -> float:
    import asyncpg

    from market.migrate import migrate

    await migrate()
    started = time.perf_counter()
    conn = await asyncpg.connect(db_url(DB))
    try:
        user, org = await seed_department(conn)
        rows = tender_rows(1, tenders, user, org, random.Random(1))
        await conn.copy_records_to_table("market_tender", records=rows, columns=TENDER_COLUMNS)
        await conn.execute(_ACCOUNTS, tenders)
        await seed_pledge(conn, donations)
        await conn.execute(_DONATIONS, donations, tenders, MATCH)
        await conn.execute(_PAYMENTS)
        for statement in (_PAID_IN, _RESERVED, _POSTED, _BALANCES):
            await conn.execute(statement)
        await conn.execute(
            "UPDATE donors_pledge SET matched = (SELECT SUM(match_amount) FROM donors_donation)"
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def measure(runs: int) -> tuple[float, dict[str, float], int, int]:
    from composition.wiring import wire
    from donors.invariants import CHECKS
    from market.db import close_pool, start_pool
    from market.ledger.check import run_checks

    wire()
    await start_pool()
    try:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            report = await run_checks()
            timings.append(time.perf_counter() - started)
            if not report.ok:
                raise SystemExit(report.summary())
        each = {}
        for name, check in CHECKS.items():
            started = time.perf_counter()
            assert await check() == []
            each[name] = time.perf_counter() - started
    finally:
        await close_pool()
    return statistics.median(timings), each, report.accounts, report.transfers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--tenders", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = db_url(DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["MARKET_ENV"] = "test"
    asyncio.run(recreate(DB))
    seconds = asyncio.run(seed(args.donations, args.tenders))
    print(f"seeded {args.donations:,} donations over {args.tenders} tenders in {seconds:.1f} s")
    median, each, accounts, transfers = asyncio.run(measure(args.runs))
    print(f"market ledger check: {accounts:,} accounts, {transfers:,} transfers: OK")
    print(f"  whole check (kernel + apps), median of {args.runs}: {median:.2f} s")
    for name, took in each.items():
        print(f"  donors check {name:<12} {took * 1000:8.0f} ms")
    if median > LIMIT_SECONDS:
        print(f"FAILED: over {LIMIT_SECONDS:.0f} s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
