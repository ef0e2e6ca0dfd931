"""The hot pledge: donations all matched from ONE pledge next to donations spread over
as many pledges, on PostgreSQL, with real concurrent connections.

    .venv/bin/python -m benchmarks.hot_pledge [--donations 200] [--rounds 4] [--procs 2]
        [--connections 20] [--target 0.7]

Goal (issue #17): 200 concurrent donations on one pledge reach >= 0.7 x the rate of 200
donations spread over 200 pledges; the run exits 1 below it, or when `market ledger
check` (with the donors' invariants), the audit chain or the pledges' `matched` totals
are wrong afterwards.

Set-up (not timed), in the scratch database `<MARKET_BENCH_DB_PREFIX>hot_pledge_bench`:
2 x N tendering tenders; one funded 1:1 pledge matching only the first N (the "hot"
ones, by area), and N funded 1:1 pledges each matching only one of the other N (the
"spread" ones, by tender id). A donation is the whole public journey of a sandbox card
payment, `donors.donations.start_donation`: the match reserved under the pledge's row
lock, the payment confirmed (donation + match posted), each step with its audit row.
Each round starts N donations at once (donation i to tender i, so only the pledge
differs), shared by `--procs` processes (like `market serve --workers`), each with its
own pool of `--connections`; hot and spread rounds alternate (hot, spread, hot, …) so a
change in the machine's load hits both. The rates are total donations over total time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from typing import Any

from benchmarks.ledger_pgbench import _PREFIX, db_url, recreate

DB = f"{_PREFIX}hot_pledge_bench"
AMOUNT = 10_00
HOT_AREA, SPREAD_AREA = "湖滨街道", "北山街道"


def _setup_env() -> None:
    os.environ["DATABASE_URL"] = db_url(DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["MARKET_ENV"] = "test"
    sys.path.insert(0, os.getcwd())


async def prepare(n: int) -> dict[str, list[int]]:
    """The tenders and pledges; returns the tender ids of each scenario."""
    await recreate(DB)
    _setup_env()
    import secrets
    from datetime import timedelta

    from composition.wiring import wire
    from donors import pledges
    from market import accounts, clock
    from market.db import close_pool, start_pool
    from market.migrate import migrate
    from market.tables import Membership, Organization, Tender

    wire()
    await migrate()
    await start_pool()
    now = clock.now()
    user = await accounts.sign_up(
        email="bench@example.org",
        display_name="Bench",
        password="bench-password-123",  # noqa: S106 - scratch database
    )

    async def org(kind: str, code: str) -> int:
        rows = await Organization.insert(
            Organization(kind=kind, name_zh="基准", uscc=code, status="verified",
                         created_at=now, submitted_at=now, decision_due_at=now)
        ).returning(Organization.id)  # fmt: skip
        await Membership.insert(
            Membership(user=user, organization=rows[0]["id"], role="admin", created_at=now)
        )
        return int(rows[0]["id"])

    department = await org("department", "11330106MB0000019A")
    sponsor = await org("company", "91330106MA0000023E")

    def tender(area: str, i: int) -> Tender:
        return Tender(
            department=department, created_by=user, title_zh=f"基准项目 {i}",
            category="charity", area_level="street", area=area, budget=10**8,
            enquiry_end=now + timedelta(days=5), bid_deadline=now + timedelta(days=10),
            opening_at=now + timedelta(days=10), status="tendering", published_at=now,
            status_changed_at=now, qa_salt=secrets.token_hex(8), created_at=now,
            updated_at=now,
        )  # fmt: skip

    ids: dict[str, list[int]] = {}
    for name, area in (("hot", HOT_AREA), ("spread", SPREAD_AREA)):
        rows = await Tender.insert(*(tender(area, i) for i in range(n))).returning(Tender.id)
        ids[name] = sorted(int(r["id"]) for r in rows)

    async def pledge(**scope: Any) -> None:
        await pledges.create_pledge(
            sponsor_id=sponsor, user_id=user, sponsor_kind="company", ratio_sponsor=1,
            ratio_donor=1, per_donation_cap=AMOUNT, total_cap=AMOUNT * 10**6,
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=365),
            provider="sandbox", **scope,
        )  # fmt: skip

    await pledge(areas=frozenset({HOT_AREA}))
    for tender_id in ids["spread"]:
        await pledge(tender_ids=frozenset({tender_id}))
    await close_pool()
    return ids


async def _rounds(tenders: list[int], rounds: int, connections: int) -> tuple[int, float]:
    """`rounds` times: a donation to each tender, all at once. (donations, seconds)."""
    _setup_env()
    from composition.wiring import wire
    from donors import donations
    from market.db import engine
    from market.money import Money

    wire()
    await engine().start_connection_pool(min_size=connections, max_size=connections)

    async def donate(tender_id: int) -> None:
        started = await donations.start_donation(
            tender_id=tender_id, amount=Money(AMOUNT, "CNY"), provider="sandbox"
        )
        if started.status != "paid" or started.match.amount != AMOUNT:
            raise RuntimeError(f"donation {started.donation_id}: {started.status} {started.match}")

    await asyncio.gather(*(donate(t) for t in tenders[: min(len(tenders), 8)]))  # warm-up
    began = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(donate(t) for t in tenders))
    elapsed = time.perf_counter() - began
    await engine().close_connection_pool()
    return len(tenders) * rounds, elapsed


def _worker(args: tuple[list[int], int, int]) -> tuple[int, float]:
    return asyncio.run(_rounds(*args))


def run(tenders: list[int], procs: int, rounds: int, connections: int) -> float:
    """Donations per second: each process takes its share of the tenders."""
    parts = [tenders[i::procs] for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_worker, [(part, rounds, connections) for part in parts])
    return sum(count for count, _ in results) / max(seconds for _, seconds in results)


async def verify() -> tuple[str, bool]:
    _setup_env()
    from composition.wiring import wire
    from market.audit import sequence_queued, verify_chain
    from market.db import close_pool, start_pool
    from market.ledger.check import run_checks
    from market.sql import execute

    wire()
    await start_pool()
    report = await run_checks()
    await sequence_queued()
    chain = await verify_chain()
    wrong = await execute(
        "SELECT p.id, p.matched, COALESCE(SUM(d.match_amount), 0) AS donated"
        " FROM donors_pledge p LEFT JOIN donors_donation d ON d.match_pledge = p.id"
        " AND d.match_status IN ('reserved', 'posted') GROUP BY p.id, p.matched"
        " HAVING p.matched <> COALESCE(SUM(d.match_amount), 0)"
    )
    paid = await execute(
        "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE match_status = 'posted') AS matched"
        " FROM donors_donation WHERE status = 'paid'"
    )
    await close_pool()
    ok = report.ok and chain.ok and not wrong and paid[0]["n"] == paid[0]["matched"]
    return (
        f"{report.summary()}\n{chain.summary()}\ndonations paid: {paid[0]['n']}, matched:"
        f" {paid[0]['matched']}; pledges whose matched total is wrong: {len(wrong)}",
        ok,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--donations", type=int, default=200, help="concurrent, per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per scenario and pass")
    parser.add_argument("--passes", type=int, default=2, help="hot/spread alternations")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--connections", type=int, default=20, help="pool size per process")
    parser.add_argument("--target", type=float, default=0.7)
    args = parser.parse_args()
    print(
        f"donations per round={args.donations} rounds={args.rounds} passes={args.passes}"
        f" processes={args.procs} connections each={args.connections} cpus={os.cpu_count()}"
        f" load={os.getloadavg()[0]:.2f}"
    )
    ids = asyncio.run(prepare(args.donations))
    rates: dict[str, list[float]] = {"hot": [], "spread": []}
    for number in range(args.passes):
        for name in ("hot", "spread"):
            rate = run(ids[name], args.procs, args.rounds, args.connections)
            rates[name].append(rate)
            print(f"pass {number + 1}: {name:<6} {rate:8.1f} donations/s")
    summary, ok = asyncio.run(verify())
    print(summary)
    hot, spread = (sum(rates[n]) / len(rates[n]) for n in ("hot", "spread"))
    ratio = hot / spread
    met = ratio >= args.target and ok
    print(
        f"RESULT one pledge {hot:.1f}/s, {args.donations} pledges {spread:.1f}/s;"
        f" load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"GOAL hot pledge ratio {ratio:.2f} (target >= {args.target:.2f}), checks"
        f" {'ok' if ok else 'FAILED'}: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
