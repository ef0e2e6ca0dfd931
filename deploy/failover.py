"""`make cluster-test`: the primary's PostgreSQL is SIGKILLed under a sustained donation
load against two app processes; afterwards every acknowledged donation is there
exactly once.

    python -m deploy.failover [--clients 16] [--duration 45] [--kill-at 15] [--backup-at 4]

1. The development cluster (`deploy.cluster`: etcd ×3, Patroni ×3, HAProxy, pgBackRest)
   is started unless it runs; a fresh database `market_failover` is migrated and seeded
   as `benchmarks.donations` seeds its own (one tender accepting donations, a funded 1:1
   match pledge, a stock of card donations started through a stub Stripe API, each
   awaiting its `payment_intent.succeeded` webhook).
2. `market worker` and two `market serve` processes run against the primary address
   (HAProxy). `--clients` HTTP clients POST signed webhooks to the two apps in turn for
   `--duration` seconds, each delivery retried until it gets a 2xx, as Stripe does.
3. At `--backup-at` s a backup is taken (`market backup take`: pgBackRest, annotated with
   the audit head the app publishes); at `--kill-at` s (after the backup) the primary's
   postmaster and all its processes get SIGKILL. Patroni promotes the synchronous
   standby; HAProxy follows it; the apps reconnect by themselves (the deliveries in
   between get 503 or a cut connection, and are retried).
4. At the end: sent / acknowledged / present / duplicated / lost, the failover time
   (from the kill to the first commit on the new primary: the first 2xx of a delivery
   sent after the kill), `market ledger check` and `market audit verify` on the new
   primary, and `market backup verify` of the backup taken under load. Exit 1 on any
   loss, duplicate, unanswered delivery, 5xx other than 503, or failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from deploy.cluster import LAYOUT, cluster_up, kill_primary, leader, log, pgbackrest_env
from deploy.cluster_config import APP_ROLE, NODES, Layout, Secrets
from deploy.failover_load import SECRET, Delivery, Load, drive
from deploy.failover_outcome import failed, outcome, report

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "market_failover"


async def faults(load: Load, layout: Layout, env: dict[str, str], at: tuple[float, float]) -> str:
    """The backup at `at[0]` s into the load, then the kill at `at[1]` s: the node killed."""
    backup_at, kill_at = at
    await asyncio.sleep(max(0.0, load.started + backup_at - time.monotonic()))
    await asyncio.to_thread(take_backup, layout, env)
    await asyncio.sleep(max(0.0, load.started + kill_at - time.monotonic()))
    load.killed_at = time.monotonic()
    node = kill_primary(layout)
    log(f"SIGKILL to the primary's PostgreSQL ({node}) at {load.killed_at - load.started:.1f} s")
    load.promoted_after = await asyncio.to_thread(new_leader, layout, node, load.killed_at)
    return node


def new_leader(layout: Layout, killed: str, since: float, within: float = 120) -> float | None:
    """Seconds from `since` until Patroni reports a running leader other than `killed`."""
    while time.monotonic() - since < within:
        index = leader(layout)
        if index is not None and NODES[index] != killed:
            took = time.monotonic() - since
            log(f"Patroni: {NODES[index]} is the running leader {took:.1f} s after the kill")
            return took
        time.sleep(0.1)
    return None


def take_backup(layout: Layout, env: dict[str, str]) -> None:
    began = time.monotonic()
    out = market(env | pgbackrest_env(layout), "backup", "take", "--published", env["APP_1"])
    log(f"{out.strip()} ({time.monotonic() - began:.1f} s)")


def market(env: dict[str, str], *command: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "composition.cli", *command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise RuntimeError(f"market {' '.join(command)}: {done.stdout}{done.stderr}")
    return done.stdout if check else f"{done.returncode}\n{done.stdout}{done.stderr}"


async def recreate(layout: Layout, keys: Secrets) -> None:
    connection = await asyncpg.connect(layout.admin_url(keys))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
    finally:
        await connection.close()


def app_env(layout: Layout, keys: Secrets) -> dict[str, str]:
    """The apps' environment: production mode, the primary address, the bench secret."""
    (layout.root / "app").mkdir(exist_ok=True)
    return {
        **os.environ,
        "PICCOLO_CONF": "piccolo_conf",
        "DATABASE_URL": layout.app_url(keys, DATABASE),
        "MARKET_ENV": "prod",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "MARKET_BID_KEY": secrets.token_hex(32),
        "MARKET_VAR_DIR": str(layout.root / "app"),
        "MARKET_BASE_URL": f"http://127.0.0.1:{layout.app_port(0)}",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "MARKET_DONATION_MAX": str(10**9),
        "APP_1": f"http://127.0.0.1:{layout.app_port(0)}",
    }


def start_processes(layout: Layout, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    commands = [
        ("worker", ["worker"]),
        *((f"app-{i + 1}", ["serve", "--port", str(layout.app_port(i))]) for i in range(2)),
    ]
    started = []
    for name, command in commands:
        with (layout.logs / f"{name}.log").open("ab") as out:
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "composition.cli", *command],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    for i in range(2):
        wait_http(f"http://127.0.0.1:{layout.app_port(i)}/healthz")
    return started


def wait_http(url: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {within:g} s")


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepared(env: dict[str, str], stock: int) -> list[Delivery]:
    """Migrated and seeded (deploy.failover_prepare, a process of its own)."""
    market(env, "migrate")
    out = LAYOUT.root / "app" / "events.json"
    done = subprocess.run(
        [sys.executable, "-m", "deploy.failover_prepare", "--stock", str(stock), "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"preparing failed: {done.stdout}{done.stderr}")
    bodies = [body.encode() for body in json.loads(out.read_text())]
    return [
        Delivery(b, int(json.loads(b)["data"]["object"]["metadata"]["payment_id"])) for b in bodies
    ]


async def audit_drained(app: str, within: float = 150) -> float:
    """Wait until the worker has chained every audit row (the published `pending` is 0)."""
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=app, timeout=10) as http:
        while time.monotonic() - began < within:
            try:
                if (await http.get("/api/v1/audit")).json()["pending"] == 0:
                    return time.monotonic() - began
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"audit rows still queued {within:g} s after the load")


async def run_load(
    layout: Layout, env: dict[str, str], load: Load, args: argparse.Namespace
) -> str:
    apps = [f"http://127.0.0.1:{layout.app_port(i)}" for i in range(2)]
    driving = asyncio.create_task(drive(load, apps))
    await asyncio.sleep(0)  # `drive` sets load.started
    killed = await faults(load, layout, env, (args.backup_at, args.kill_at))
    await driving
    load.ended = time.monotonic()
    log(f"load done in {load.ended - load.started:.1f} s; waiting for the audit sequencer")
    drained = await audit_drained(apps[0])
    log(f"audit rows all chained {drained:.1f} s after the load")
    return killed


def checks(env: dict[str, str], layout: Layout) -> list[tuple[bool, str]]:
    """ledger check and audit verify on the new primary; backup verify of the backup."""
    results = []
    for command in (("ledger", "check"), ("audit", "verify")):
        code, *out = market(env, *command, check=False).splitlines()
        results.append((code == "0", f"market {' '.join(command)}: {out[-1] if out else ''}"))
    backup_env = env | pgbackrest_env(layout)
    code, *out = market(
        backup_env, "backup", "verify", "--port", str(layout.scratch_port), check=False
    ).splitlines()
    results.append((code == "0", "market backup verify:\n    " + "\n    ".join(out)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=45.0)
    parser.add_argument("--backup-at", type=float, default=4.0)
    parser.add_argument("--kill-at", type=float, default=15.0)
    parser.add_argument("--stock", type=int, default=3000, help="donations prepared")
    parser.add_argument("--name", default="cluster-test")
    args = parser.parse_args(argv)
    layout = LAYOUT
    with cluster_up(layout) as keys:
        asyncio.run(recreate(layout, keys))
        env = app_env(layout, keys)
        began = time.monotonic()
        load = Load(prepared(env, args.stock), args.clients, args.duration)
        took = time.monotonic() - began
        log(f"{len(load.deliveries)} donations awaiting their webhook (prepared in {took:.0f} s)")
        processes = start_processes(layout, env)
        try:
            killed = asyncio.run(run_load(layout, env, load, args))
            index = leader(layout)
            now_primary = NODES[index] if index is not None else ""
            result = asyncio.run(outcome(layout.app_url(keys, DATABASE), load))
            results = checks(env, layout)
        finally:
            stop_processes(processes)
    print(report(args.name, load, result, killed, now_primary))
    for ok, line in results:
        print(f"  {'ok' if ok else 'FAILED'}: {line}")
    bad = failed(load, result, killed, now_primary) or not all(ok for ok, _ in results)
    print(f"{args.name}: {'FAILED' if bad else 'passed'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
