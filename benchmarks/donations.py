"""Donations confirmed per second — signed webhook in, ledger posted with its match —
next to pgbench's TPC-B-like rate on the same PostgreSQL, in the same run.

    .venv/bin/python -m benchmarks.donations [--connections 64] [--duration 15]
        [--workers 2] [--modes http,asgi,service] [--target 0.30] [--port 18230]
        [--pgbench-clients 16]

Goal (issue #17): donations confirmed over real HTTP >= 0.30 x pgbench; the run exits 1
below it, or when any webhook was not answered `{"received": "paid"}`, or when the
ledger check, the audit chain or the count of matched donations is wrong afterwards.

Set-up (not timed): a scratch database `<MARKET_BENCH_DB_PREFIX>donations_bench`
migrated with the app's migrations, one tendering tender, one funded 1:1 match pledge
(per-donation cap = the donation), and a stock of Stripe donations already created
(match reserved, PaymentIntent id recorded; the Stripe API side is a stub — this
measures our side), each with its `payment_intent.succeeded` event signed just before
the run. Every donation goes into the same tender escrow and is matched from the same
pledge: the hot spot of a giving day.

Modes (`--modes`, the first is the goal):
- http: `market serve --workers N` (granian, as in production, MARKET_ENV=prod, no
  inline job loop) with `market worker` beside it (its `audit.sequence` job chains the
  audit rows), driven by wrk (one thread, C, `benchmarks/webhooks.lua` cycling the
  pre-signed bodies, each sent once) over `--connections` keep-alive connections. The
  CPU-seconds of the server, its PostgreSQL backends, wrk and the rest of the machine
  are printed (benchmarks/loadgen.py), so a busy machine shows as such;
- asgi: the same POSTs through `httpx.ASGITransport` in `--procs` processes (the whole
  Litestar stack, no network, the client's CPU in the same process);
- service: the signature check and `stripe_events.apply_stripe_event` called directly.
pgbench runs before and after (reusing benchmarks.ledger_pgbench's runner) with 16
clients and scale 16 — its best rate on this 2-core box (64 clients give ~30% less) —
whatever `--connections` is; the ratio is to their mean.

Webhooks are written in batches (`market.group_commit`: what arrives while a batch is
written joins the next; `donors.confirm_many`), so the rate grows with the webhooks in
flight: 64 connections (the default: a giving day's Stripe delivers many at once) fill
batches that 16 leave half empty. Both are in the closing note of issue #17.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.ledger_pgbench import _PREFIX, ADMIN_URL, db_url, recreate, run_pgbench
from benchmarks.loadgen import ROOT, Run, Server, check_port, drive, require_wrk

DB = f"{_PREFIX}donations_bench"
BIN = Path(sys.executable).parent
AMOUNT = 100_00  # each donation, matched 1:1 in full
SECRET = "whsec_bench"  # noqa: S105 - a benchmark-only signing secret


def setup_env(url: str = "") -> None:
    """The app's environment for these processes: `url` (default the scratch database on
    the shared PostgreSQL), a stub Stripe key and the benchmark's webhook secret (also
    used by deploy/failover_prepare.py against the cluster)."""
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


async def vacuum() -> None:
    """The stock is made before the day starts, so the day starts from tables as
    autovacuum leaves them (preparing updated the pledge's row once per donation)."""
    import asyncpg

    conn = await asyncpg.connect(db_url(DB))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


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
        ratio_donor=1, per_donation_cap=AMOUNT, total_cap=10**12,
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=365),
        provider="sandbox",
    )  # fmt: skip
    return tender_id


async def stock_events(tender_id: int, count: int, prefix: str) -> list[bytes]:
    """In this process (pool started): `count` card donations started (match reserved,
    PaymentIntent id recorded by the stub Stripe API), as their success event bodies."""
    from donors import providers

    providers._PROVIDERS["stripe"] = _StubStripeApi()  # type: ignore[assignment]
    return [await _started_event(tender_id, f"evt_{prefix}_{i}") for i in range(count)]


async def _started_event(tender_id: int, event_id: str) -> bytes:
    from donors import donations
    from market.money import Money

    started = await donations.start_donation(
        tender_id=tender_id, amount=Money(AMOUNT, "CNY"), provider="stripe"
    )
    intent = {
        "id": started.started.provider_ref, "object": "payment_intent",
        "amount": AMOUNT, "currency": "cny",
        "metadata": {"payment_id": str(started.payment_id)},
    }  # fmt: skip
    body = {"id": event_id, "type": "payment_intent.succeeded", "data": {"object": intent}}
    return json.dumps(body).encode()


async def _stock(worker: int, count: int, tender_id: int, concurrency: int = 8) -> list[bytes]:
    """`count` pending Stripe donations (match reserved), as their success events."""
    setup_env()
    from composition.wiring import wire
    from donors import providers
    from market.db import engine

    wire()
    providers._PROVIDERS["stripe"] = _StubStripeApi()  # type: ignore[assignment]
    await engine().start_connection_pool(min_size=concurrency, max_size=concurrency)
    bodies: list[bytes] = []

    async def make(n: int) -> None:
        for i in range(n, count, concurrency):
            bodies.append(await _started_event(tender_id, f"evt_{worker}_{i}"))

    await asyncio.gather(*(make(n) for n in range(concurrency)))
    await engine().close_connection_pool()
    return bodies


def _stock_worker(args: tuple[int, int, int]) -> list[bytes]:
    return asyncio.run(_stock(*args))


def stock(count: int, procs: int, tender_id: int) -> list[bytes]:
    """Untimed: `count` donations ready to be confirmed, made in `procs` processes."""
    shares = [count // procs + (1 if i < count % procs else 0) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        made = pool.map(_stock_worker, [(i, n, tender_id) for i, n in enumerate(shares)])
    return [body for part in made for body in part]


async def _client_run(
    worker: int, bodies: list[bytes], clients: int, duration: float, mode: str
) -> tuple[int, float]:
    setup_env()
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from composition.app import create_app
    from donors import signatures, stripe_events
    from market.db import engine

    await engine().start_connection_pool(min_size=clients, max_size=clients + 2)
    app = create_app()
    done = 0
    started_at = time.perf_counter()
    deadline = started_at + duration

    async def client(c: int) -> None:
        nonlocal done
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for body in bodies[c::clients]:
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


def _worker(args: tuple[int, list[bytes], int, float, str]) -> tuple[int, float]:
    return asyncio.run(_client_run(*args))


def run_in_process(bodies: list[bytes], args: argparse.Namespace, mode: str) -> float:
    """asgi / service modes: `args.procs` processes, `args.connections` clients in all."""
    procs, clients = args.procs, args.connections
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    parts = [bodies[i::procs] for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        jobs = [(i, parts[i], n, args.duration, mode) for i, n in enumerate(shares) if n]
        results = pool.map(_worker, jobs)
    for (count, _), (i, part, *_) in zip(results, jobs, strict=True):
        if count >= len(part):
            print(f"warning: {mode} worker {i} ran out of stock; raise --stock")
    return sum(count / elapsed for count, elapsed in results)


def _signed_file(bodies: list[bytes], folder: Path, name: str) -> Path:
    """The bodies with their Stripe-Signature (signed now), for webhooks.lua."""
    from donors import signatures

    now = int(time.time())
    path = folder / name
    with path.open("wb") as out:
        for body in bodies:
            out.write(signatures.sign(body, SECRET, now).encode() + b"\t" + body + b"\n")
    return path


def _backends(application: str) -> list[int]:
    async def query() -> list[int]:
        import asyncpg

        conn = await asyncpg.connect(ADMIN_URL)
        try:
            sql = "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
            return [row["pid"] for row in await conn.fetch(sql, application)]
        finally:
            await conn.close()

    return asyncio.run(query())


def _await_first_round(worker: subprocess.Popen[str], timeout: float = 120) -> None:
    """Wait until `market worker` logged its first `ocds.funding` run (its last job to
    start, in registration order), echoing its log."""
    assert worker.stderr is not None
    deadline = time.monotonic() + timeout
    for line in worker.stderr:
        print(line.rstrip())
        if "job ocds.funding" in line or time.monotonic() > deadline:
            break
    threading.Thread(target=worker.stderr.read, daemon=True).start()  # keep it drained


def run_http(bodies: list[bytes], args: argparse.Namespace) -> tuple[Run, int, int]:
    """`market serve --workers N` + `market worker`, driven by wrk: (the run, webhooks
    answered paid, other answers)."""
    require_wrk()
    check_port(args.port)
    application = "donations-bench"
    env = {
        "DATABASE_URL": f"{db_url(DB)}?application_name={application}",
        "MARKET_ENV": "prod",
        "MARKET_WORKER_INLINE": "0",
        "SECRET_KEY": "donations-benchmark-secret-0123456789abcdef",
        "MARKET_BID_KEY": "5e" * 32,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "MARKET_DONATION_MAX": str(10**9),
        "MARKET_VAR_DIR": str(ROOT / "var" / "bench-donations"),
        "PICCOLO_CONF": "piccolo_conf",
    }
    (ROOT / "var" / "bench-donations").mkdir(parents=True, exist_ok=True)
    warm, measured = bodies[: args.warmup], bodies[args.warmup :]
    argv = [str(BIN / "market"), "serve", "--port", str(args.port)]
    server = Server(
        [*argv, "--workers", str(args.workers)],
        port=args.port,
        env=env,
        path="/healthz",
        backends=lambda: _backends(application),
    )
    script = str(Path(__file__).with_name("webhooks.lua"))
    with tempfile.TemporaryDirectory() as folder, server:
        # production runs the job worker beside the server (audit.sequence chains); it
        # is started and its first round of jobs done before the warm-up, so the run
        # measures the steady state (`--no-worker`: the server alone, for comparison)
        worker = None
        if args.worker:
            worker = subprocess.Popen(
                [str(BIN / "market"), "worker"],
                cwd=ROOT,
                env={**os.environ, **env, "DATABASE_URL": db_url(DB)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            _await_first_round(worker)
        try:
            data = _signed_file(warm, Path(folder), "warm.tsv")
            drive(
                server,
                seconds=args.warm_seconds,
                connections=args.connections,
                script=[script, str(data)],
            )
            data = _signed_file(measured, Path(folder), "measured.tsv")
            out: list[str] = []
            run = drive(
                server,
                seconds=args.duration,
                connections=args.connections,
                script=[script, str(data)],
                output=out,
            )
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(60)
    print("  wrk: " + "\n  wrk: ".join(out[0].rstrip().splitlines()))
    counts = [line.split() for line in out[0].splitlines() if line.startswith("webhooks paid")]
    paid, unexpected = int(counts[0][2]), int(counts[0][4])
    if paid + unexpected > len(measured):
        print(f"warning: wrk ran out of stock ({len(measured)} events); raise --stock")
    return run, paid, unexpected


async def verify(tender_id: int) -> tuple[str, bool]:
    setup_env()
    from market.audit import sequence_queued, verify_chain
    from market.db import close_pool, start_pool
    from market.ledger.check import run_checks
    from market.sql import execute

    await start_pool()
    report = await run_checks()
    await sequence_queued()  # what the worker had not chained yet when it stopped
    chain = await verify_chain()
    rows = await execute(
        "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE match_status = 'posted'"
        " AND match_amount = amount) AS matched FROM donors_donation WHERE status = 'paid'"
    )
    audited = await execute("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'donation.paid'")
    await close_pool()
    paid, matched, events = rows[0]["n"], rows[0]["matched"], audited[0]["n"]
    ok = report.ok and chain.ok and paid == matched == events
    return (
        f"{report.summary()}\n{chain.summary()}\ndonations paid: {paid}, matched 1:1 and"
        f" posted: {matched}, donation.paid audit rows: {events}",
        ok,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=64, help="concurrent webhooks")
    parser.add_argument(
        "--pgbench-clients", type=int, default=16,
        help="pgbench clients (and scale) for the reference: its best rate on 2 cores",
    )  # fmt: skip
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2, help="`market serve --workers`")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--modes", default="http", help="http,asgi,service (first = goal)")
    parser.add_argument("--stock", type=int, default=24_000, help="donations prepared")
    parser.add_argument("--warmup", type=int, default=1_500, help="of them, for warm-up")
    parser.add_argument("--target", type=float, default=0.30, help="http ratio goal")
    parser.add_argument(
        "--warm-seconds", type=int, default=5,
        help="warm-up (every server worker started, its pool connections' types known)",
    )  # fmt: skip
    parser.add_argument(
        "--worker", action=argparse.BooleanOptionalAction, default=True,
        help="run `market worker` beside the server (http mode)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=int(os.environ.get("MARKET_BENCH_PORT", 18230)))
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    print(
        f"connections={args.connections} duration={args.duration}s workers={args.workers}"
        f" modes={','.join(modes)} cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f}"
    )
    pgbench_before = run_pgbench(args.pgbench_clients, args.duration, args.pgbench_clients)
    print(f"pgbench TPC-B-like:                    {pgbench_before:10.1f} tps")
    tender_id = asyncio.run(prepare())
    rates: dict[str, float] = {}
    unexpected = 0
    for mode in modes:
        started = time.perf_counter()
        bodies = stock(args.stock, args.procs, tender_id)
        asyncio.run(vacuum())
        print(f"  {len(bodies)} donations prepared in {time.perf_counter() - started:.0f} s")
        if mode == "http":
            run, paid, unexpected = run_http(bodies, args)
            rates[mode] = run.rate
            print(
                f"donations confirmed (market serve --workers {args.workers}, wrk):"
                f" {run.rate:10.1f} /s  p50 {run.p50_ms:.1f} ms p99 {run.p99_ms:.1f} ms;"
                f" {paid} paid, {unexpected} other answers, {run.failures} failures\n"
                f"  cores used: server {run.cores(run.server_cpu):.2f},"
                f" its db backends {run.cores(run.database_cpu):.2f},"
                f" wrk {run.cores(run.loadgen_cpu):.2f},"
                f" others {run.cores(run.others_cpu):.2f};"
                f" {run.per_server_cpu:.0f} donations per server CPU-second"
            )
            unexpected += run.failures
        else:
            rates[mode] = run_in_process(bodies, args, mode)
            label = "POST via ASGITransport" if mode == "asgi" else "service call, no HTTP"
            print(f"donations confirmed ({label}): {rates[mode]:10.1f} /s")
    pgbench_after = run_pgbench(args.pgbench_clients, args.duration, args.pgbench_clients)
    reference = (pgbench_before + pgbench_after) / 2
    print(
        f"pgbench TPC-B-like again:              {pgbench_after:10.1f} tps (mean {reference:.1f})"
    )
    summary, ok = asyncio.run(verify(tender_id))
    print(summary)
    for mode, value in rates.items():
        print(
            f"RESULT donations confirmed/s ({mode}) {value:.1f};"
            f" ratio to mean pgbench {value / reference:.2f}"
        )
    goal = rates[modes[0]] / reference
    met = goal >= args.target and ok and not unexpected
    print(
        f"GOAL donations confirmed ({modes[0]}) ratio {goal:.2f} (target >= {args.target:.2f}),"
        f" {unexpected} unexpected answers: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
