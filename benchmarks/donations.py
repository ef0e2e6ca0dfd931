"""Donations confirmed per second — signed webhook in, ledger posted with its match —
next to pgbench's TPC-B-like rate on the same PostgreSQL, in the same run.

    .venv/bin/python -m benchmarks.donations [--clients 8] [--duration 15] [--procs N]

Set-up (not timed): a scratch database `donations_bench` migrated with the app's
migrations, one tendering tender, one funded 1:1 match pledge, and per client a
stock of Stripe donations already created (match reserved, PaymentIntent id
recorded; the Stripe API side is a stub — this measures our side). Timed, twice: (http) each
client POSTs signed `payment_intent.succeeded` events to the app's
`/webhooks/stripe` through `httpx.ASGITransport` (the whole Litestar stack, no
network): signature check, event-id dedupe row, payment and donation row locks,
donation + match posted in one ledger batch, one audit row, commit. All clients hit
the same tender escrow and the same pledge, the realistic hot spot of a campaign;
(service) the same signed events applied by calling the signature check and
`stripe_events.apply_stripe_event` directly, to show what the HTTP stack costs.
pgbench runs before and after (reusing benchmarks.ledger_pgbench's runner); the
ratio is to their mean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time

from benchmarks.ledger_pgbench import db_url, recreate, run_pgbench

DB = "donations_bench"
SECRET = "whsec_bench"  # noqa: S105 - a benchmark-only signing secret


def setup_env(url: str = "") -> None:
    """The app's environment for these processes: `url` (default the scratch database on
    the shared PostgreSQL), a stub Stripe key and the benchmark's webhook secret."""
    os.environ["DATABASE_URL"] = url or db_url(DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["MARKET_ENV"] = "test"
    os.environ["STRIPE_SECRET_KEY"] = "sk_test_bench"  # noqa: S105 - stub, never sent
    os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
    os.environ["MARKET_DONATION_MAX"] = str(10**9)
    import sys

    sys.path.insert(0, os.getcwd())


class _StubStripeApi:
    name = "stripe"

    async def start(self, request):  # type: ignore[no-untyped-def]
        from donors.providers import Started

        return Started("awaiting", f"pi_bench_{request.payment_id}", "secret")

    async def refund(self, provider_ref, amount, key):  # type: ignore[no-untyped-def]
        raise NotImplementedError


async def prepare() -> int:
    await recreate(DB)
    setup_env()
    from market.db import close_pool, start_pool
    from market.migrate import migrate

    await migrate()
    await start_pool()
    tender_id = await seed_tender()
    await close_pool()
    return tender_id


async def seed_tender() -> int:
    """In a migrated database (pool started): a verified department's tender open for
    donations and a verified company's 1:1 match pledge, funded; the tender's id."""
    import secrets
    from datetime import timedelta

    from composition.wiring import wire
    from donors import pledges
    from market import accounts, clock
    from market.tables import Membership, Organization, Tender

    wire()  # funding the pledge pays through its payment kind's effect
    now = clock.now()
    user = await accounts.sign_up(
        email="bench@example.org",
        display_name="Bench",
        password="bench-password-123",  # noqa: S106 - scratch database
    )

    async def org(kind: str, code: str) -> int:
        rows = await Organization.insert(
            Organization(
                kind=kind,
                name_zh="基准",
                uscc=code,
                status="verified",
                created_at=now,
                submitted_at=now,
                decision_due_at=now,
            )
        ).returning(Organization.id)
        await Membership.insert(
            Membership(user=user, organization=rows[0]["id"], role="admin", created_at=now)
        )
        return int(rows[0]["id"])

    department = await org("department", "11330106MB0000019A")
    company = await org("company", "91330106MA0000023E")
    rows = await Tender.insert(
        Tender(
            department=department,
            created_by=user,
            title_zh="基准项目",
            category="charity",
            area_level="street",
            area="湖滨街道",
            budget=10**8,
            enquiry_end=now + timedelta(days=5),
            bid_deadline=now + timedelta(days=10),
            opening_at=now + timedelta(days=10),
            status="tendering",
            published_at=now,
            status_changed_at=now,
            qa_salt=secrets.token_hex(8),
            created_at=now,
            updated_at=now,
        )
    ).returning(Tender.id)
    tender_id = int(rows[0]["id"])
    await pledges.create_pledge(
        sponsor_id=company, user_id=user, sponsor_kind="company", ratio_sponsor=1,
        ratio_donor=1, per_donation_cap=50_00, total_cap=10**12,
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=365),
        provider="sandbox",
    )  # fmt: skip
    return tender_id


async def stock_events(tender_id: int, count: int, prefix: str) -> list[bytes]:
    """`count` card donations of 100 yuan started (match reserved, PaymentIntent id
    recorded by the stub Stripe API): their `payment_intent.succeeded` event bodies."""
    from donors import donations, providers
    from market.money import Money

    providers._PROVIDERS["stripe"] = _StubStripeApi()  # type: ignore[assignment]
    events: list[bytes] = []
    for i in range(count):
        started = await donations.start_donation(
            tender_id=tender_id, amount=Money(100_00, "CNY"), provider="stripe"
        )
        intent = {
            "id": started.started.provider_ref, "object": "payment_intent", "amount": 100_00,
            "currency": "cny", "metadata": {"payment_id": str(started.payment_id)},
        }  # fmt: skip
        body = {"id": f"evt_{prefix}_{i}", "type": "payment_intent.succeeded",
                "data": {"object": intent}}  # fmt: skip
        events.append(json.dumps(body).encode())
    return events


async def _client_run(
    worker: int, clients: int, duration: float, stock: int, tender_id: int, mode: str
) -> tuple[int, float]:
    setup_env()
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from composition.app import create_app
    from donors import signatures, stripe_events
    from market.db import engine

    await engine().start_connection_pool(min_size=clients, max_size=clients + 2)
    # Untimed: this worker's stock of pending card donations, match reserved.
    stock_list = await stock_events(tender_id, stock * clients, f"{mode}_{worker}")
    events: list[list[bytes]] = [stock_list[c::clients] for c in range(clients)]
    app = create_app()
    done = 0
    started_at = time.perf_counter()
    deadline = started_at + duration

    async def client(c: int) -> None:
        nonlocal done
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for body in events[c]:
                if time.perf_counter() >= deadline:
                    break
                header = signatures.sign(body, SECRET, int(time.time()))
                if mode == "service":  # the same work without the HTTP stack
                    signatures.verify(body, header, [SECRET], int(time.time()))
                    if await stripe_events.apply_stripe_event(body) != "paid":
                        raise RuntimeError("event not applied")
                    done += 1
                    continue
                response = await http.post(
                    "/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
                )
                if response.status_code != 200 or response.json() != {"received": "paid"}:
                    raise RuntimeError(f"webhook answered {response.status_code} {response.text}")
                done += 1

    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - started_at
    await engine().close_connection_pool()
    return done, elapsed


def _worker(args: tuple[int, int, float, int, int, str]) -> tuple[int, float]:
    return asyncio.run(_client_run(*args))


def run_donations(
    clients: int, duration: int, procs: int, stock: int, tender_id: int, mode: str
) -> float:
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        jobs = [(i, n, duration, stock, tender_id, mode) for i, n in enumerate(shares) if n]
        results = pool.map(_worker, jobs)
    for count, _ in results:
        if count >= stock * max(shares):
            print("warning: a worker ran out of stock; raise --stock")
    return sum(count / elapsed for count, elapsed in results)


async def verify(tender_id: int) -> str:
    setup_env()
    from market.audit import verify_chain
    from market.db import close_pool, start_pool
    from market.ledger.check import run_checks
    from market.sql import execute

    await start_pool()
    report, chain = await run_checks(), await verify_chain()
    rows = await execute(
        "SELECT COUNT(*) AS n FROM donors_donation"
        " WHERE status = 'paid' AND match_status = 'posted'"
    )
    await close_pool()
    return f"{report.summary()}\n{chain.summary()}\ndonations paid with match: {rows[0]['n']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--stock", type=int, default=600, help="donations prepared per client")
    args = parser.parse_args()
    print(
        f"clients={args.clients} duration={args.duration}s worker processes={args.procs}"
        f" cpus={os.cpu_count()}"
    )
    pgbench_before = run_pgbench(args.clients, args.duration, args.clients)
    print(f"pgbench TPC-B-like:                    {pgbench_before:10.1f} tps")
    tender_id = asyncio.run(prepare())
    rates = {}
    for mode in ("http", "service"):
        rates[mode] = run_donations(
            args.clients, args.duration, args.procs, args.stock, tender_id, mode
        )
        label = "POST /webhooks/stripe" if mode == "http" else "service call, no HTTP"
        print(f"donations confirmed ({label}): {rates[mode]:10.1f} /s")
    pgbench_after = run_pgbench(args.clients, args.duration, args.clients)
    reference = (pgbench_before + pgbench_after) / 2
    print(
        f"pgbench TPC-B-like again:              {pgbench_after:10.1f} tps (mean {reference:.1f})"
    )
    print(asyncio.run(verify(tender_id)))
    for mode, value in rates.items():
        print(
            f"RESULT donations confirmed/s ({mode}) {value:.1f};"
            f" ratio to mean pgbench {value / reference:.2f}"
        )


if __name__ == "__main__":
    main()
