"""Round trips to PostgreSQL per operation: what a ledger transfer, a confirmed donation
and a donation's start cost in waits on the database, counted exactly whatever the load.

    .venv/bin/python -m benchmarks.roundtrips [--port 18410] [--repeat 20] [--show]

Throughput figures move with whatever else runs on the machine; the number of times an
operation waits for the database does not. This runs a small proxy between the app and
PostgreSQL that watches the wire protocol of every pooled connection and counts, per
operation (the mean over `--repeat` calls after as many warm-up calls):

- round trips: how many times a connection's client spoke again after the server had
  answered (every wait on the database, whatever it was: BEGIN, a statement, a
  statement's preparation, COMMIT, the pool's reset on release, a type introspection);
- statements: simple queries (`Q`) and extended-protocol executions (`E`);
- the CPU time per call of the app (the client's too for the HTTP one; the proxy runs
  in a process of its own) and of the database's backends (PostgreSQL on this
  machine: /proc), both far less sensitive to the machine's load than a rate;
  `--profile` prints each operation's cProfile, by own time (ROUNDTRIPS_SORT=cumulative
  to sort otherwise).

`--show` prints each round trip of the last call of every operation: how long the
server took to begin its answer (a rough figure: it moves with the load) and the
statement's text, from its Parse message. Operations: a ledger transfer without and with its audit
row (`market.ledger.services.transfer`, as `benchmarks/ledger_pgbench.py` runs it); a
Stripe `payment_intent.succeeded` webhook applied by the service
(`donors.stripe_events.apply_stripe_event`) and POSTed to `/webhooks/stripe` through
the whole app (httpx ASGITransport): the donation, its 1:1 match from one pledge and the
audit row, as `benchmarks/donations.py` measures them; and a donation started
(`donors.donations.start_donation`, the match claimed at commit).

The scratch database is `<MARKET_BENCH_DB_PREFIX>roundtrips_bench` on
MARKET_BENCH_PG_URL (see benchmarks/ledger_pgbench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import multiprocessing
import os
import pstats
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from urllib.parse import urlparse, urlunparse

from benchmarks.ledger_pgbench import _PREFIX, ADMIN_URL, recreate

DB = f"{_PREFIX}roundtrips_bench"


@dataclass
class Tally:
    round_trips: int = 0
    statements: int = 0
    trail: list[str] = field(default_factory=list)  # one line per round trip
    waits: list[float] = field(default_factory=list)  # seconds until the answer began


class Remote:
    """The WireCounter running in a child process."""

    def __init__(self, upstream: tuple[str, int], port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_counter, args=(upstream, port, child), daemon=True)
        self.process.start()
        self.reset()  # answers once it serves

    def reset(self) -> Tally:
        self.pipe.send("reset")
        tally: Tally = self.pipe.recv()
        return tally


def _counter(upstream: tuple[str, int], port: int, commands: Connection) -> None:
    WireCounter(upstream).serve_forever(port, commands)


class WireCounter:
    """A TCP proxy to PostgreSQL that counts round trips and statements (frontend
    messages after the startup packet: Byte1 type, Int32 length, body)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.tally = Tally()
        self.names: dict[bytes, str] = {}  # prepared statement name -> its text

    def reset(self) -> Tally:
        done, self.tally = self.tally, Tally()
        return done

    def serve_forever(self, port: int, commands: Connection) -> None:
        """Serve on `port` (in a process of its own: its CPU is not the app's); each
        message on `commands` is answered with the tally so far, which starts again."""

        def answer() -> None:
            with contextlib.suppress(EOFError, OSError):  # the parent is gone
                while True:
                    commands.recv()
                    commands.send(self.reset())

        threading.Thread(target=answer, daemon=True).start()
        loop = asyncio.new_event_loop()
        loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", port))
        loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        state = {"answered": True, "started": False}
        sent = [0.0]
        buffer = bytearray()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                if state["answered"] and state["started"]:
                    self.tally.round_trips += 1
                    self.tally.trail.append("")
                    self.tally.waits.append(0.0)
                    sent[0] = time.perf_counter()
                state["answered"] = False
                buffer.extend(data)
                self._parse(buffer, state)
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                if not state["answered"] and self.tally.waits:
                    self.tally.waits[-1] = time.perf_counter() - sent[0]
                state["answered"] = True
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(client_to_server(), server_to_client(), return_exceptions=True)

    def _parse(self, buffer: bytearray, state: dict[str, bool]) -> None:
        while True:
            if not state["started"]:
                if len(buffer) < 8:
                    return
                (length,) = struct.unpack("!I", buffer[:4])
                if len(buffer) < length:
                    return
                del buffer[:length]
                state["started"] = True
                continue
            if len(buffer) < 5:
                return
            kind = bytes(buffer[:1])
            (length,) = struct.unpack("!I", buffer[1:5])
            if len(buffer) < 1 + length:
                return
            body = bytes(buffer[5 : 1 + length])
            del buffer[: 1 + length]
            self._message(kind, body)

    def _message(self, kind: bytes, body: bytes) -> None:
        note = ""
        if kind == b"Q":
            self.tally.statements += 1
            note = "Q " + body.rstrip(b"\0").decode(errors="replace")
        elif kind == b"P":
            name, _, rest = body.partition(b"\0")
            text = rest.partition(b"\0")[0].decode(errors="replace")
            self.names[name] = text
            note = "prepare " + text
        elif kind == b"B":
            _, _, rest = body.partition(b"\0")
            name = rest.partition(b"\0")[0]
            note = "run " + self.names.get(name, "?")
        elif kind == b"E":
            self.tally.statements += 1
        if note and self.tally.trail:
            sep = " | " if self.tally.trail[-1] else ""
            self.tally.trail[-1] += sep + " ".join(note.split())[:150]


Operation = Callable[[int], Awaitable[object]]


async def backends_cpu(since: dict[int, float]) -> dict[int, float]:
    """CPU-seconds of this database's PostgreSQL backends (a server on this machine:
    /proc), less what `since` had for each; {} when they cannot be read."""
    import asyncpg

    from benchmarks.loadgen import cpu_of

    conn = await asyncpg.connect(urlunparse(urlparse(ADMIN_URL)._replace(path="/" + DB)))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    now = cpu_of(int(r["pid"]) for r in rows)
    return {pid: cpu - since.get(pid, 0.0) for pid, cpu in now.items()}


async def measure(
    counter: Remote,
    name: str,
    op: Operation,
    repeat: int,
    show: bool,
    base: int,
    profile: cProfile.Profile | None = None,
) -> tuple[float, float]:
    for i in range(repeat):  # warm-up: statements prepared, types known, pool filled
        await op(base + i)
    await asyncio.sleep(0.05)
    before = await backends_cpu({})
    counter.reset()
    trips = statements = 0
    last = Tally()
    cpu = 0.0
    for i in range(repeat):
        if profile is not None:
            profile.enable()
        started = time.process_time()
        await op(base + repeat + i)
        cpu += time.process_time() - started
        if profile is not None:
            profile.disable()
        await asyncio.sleep(0.01)  # let any background work of the call finish
        last = counter.reset()
        trips += last.round_trips
        statements += last.statements
    database = sum((await backends_cpu(before)).values()) / repeat
    mean_trips, mean_statements = trips / repeat, statements / repeat
    print(
        f"{name:<50} {mean_trips:4.1f} round trips {mean_statements:4.1f} statements"
        f" CPU {cpu / repeat * 1000:5.2f} ms app, {database * 1000:5.2f} ms database"
    )
    if show:
        for n, line in enumerate(last.trail, 1):
            print(f"    {n:2}. {last.waits[n - 1] * 1000:6.2f} ms {line}")
    return mean_trips, mean_statements


async def run(port: int, repeat: int, show: bool, only: set[str], profiled: bool) -> None:
    await recreate(DB)
    parts = urlparse(ADMIN_URL)
    counter = Remote((parts.hostname or "127.0.0.1", parts.port or 5432), port)
    user = parts.username or "postgres"
    proxied = parts._replace(netloc=f"{user}@127.0.0.1:{port}", path="/" + DB)
    from benchmarks import donations as bench

    bench.setup_env(urlunparse(proxied) + "?sslmode=disable")  # the app talks through it
    import httpx

    from market.migrate import migrate

    await migrate()

    from composition.app import create_app
    from composition.wiring import wire
    from donors import donations, providers, signatures, stripe_events
    from market.db import close_pool, start_pool
    from market.ledger.services import ensure_accounts, transfer
    from market.money import Money

    wire()
    await start_pool()
    providers._PROVIDERS["stripe"] = bench._StubStripeApi()  # type: ignore[assignment]
    tender_id = await bench.seed_tender()
    codes = [f"pledge:{i}" for i in range(4)]
    await ensure_accounts(["external:bank", *codes], "CNY")
    for code in codes:
        await transfer(
            f"seed:{code}", debit="external:bank", credit=code, amount=Money(10**12, "CNY"),
            reason="seed", audit=False,
        )  # fmt: skip
    stock = [await bench._started_event(tender_id, f"evt_rt_{i}") for i in range(4 * repeat)]
    app = create_app()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rt")

    def ledger(audit: bool) -> Operation:
        async def op(i: int) -> object:
            return await transfer(
                f"rt:{int(audit)}:{i}", debit=codes[i % 2], credit=codes[2 + i % 2],
                amount=Money(100, "CNY"), reason="bench", audit=audit, actor="bench",
            )  # fmt: skip

        return op

    async def webhook_service(i: int) -> object:
        outcome = await stripe_events.apply_stripe_event(stock[i])
        assert outcome == "paid", outcome
        return outcome

    async def webhook_http(i: int) -> object:
        body = stock[i]
        header = signatures.sign(body, bench.SECRET, int(time.time()))
        response = await http.post(
            "/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
        )
        assert response.json() == {"received": "paid"}, response.text
        return response

    async def start(i: int) -> object:
        return await donations.start_donation(
            tender_id=tender_id, amount=Money(bench.AMOUNT, "CNY"), provider="stripe"
        )

    base = 2 * repeat  # the HTTP calls take the events after the service calls' ones
    ops: list[tuple[str, str, Operation, int]] = [
        ("ledger", "ledger transfer, no audit row", ledger(False), 0),
        ("ledger-audit", "ledger transfer with its audit row", ledger(True), 0),
        ("webhook-service", "donation confirmed: apply_stripe_event (service)", webhook_service, 0),
        ("webhook-http", "donation confirmed: POST /webhooks/stripe (ASGI)", webhook_http, base),
        ("start", "donation started (start_donation, stripe stub)", start, 0),
    ]  # fmt: skip
    print(f"database {DB}; mean of {repeat} calls after {repeat} warm-up calls")
    for key, name, op, base in ops:
        if not only or key in only:
            profile = cProfile.Profile() if profiled else None
            await measure(counter, name, op, repeat, show, base, profile)
            if profile is not None:
                stats = pstats.Stats(profile)
                stats.sort_stats(os.environ.get("ROUNDTRIPS_SORT", "tottime")).print_stats(40)
    await http.aclose()
    await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("MARKET_BENCH_PORT", 18410)))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--show", action="store_true", help="print each round trip")
    parser.add_argument("--only", default="", help="comma-separated operation keys")
    parser.add_argument("--profile", action="store_true", help="cProfile each operation")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    asyncio.run(run(args.port, args.repeat, args.show, only, args.profile))


if __name__ == "__main__":
    main()
