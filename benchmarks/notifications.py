"""10,000 notifications for one event — a giving-day project update to 10,000 donors —
written to the outbox in one transaction, then delivered to a local SMTP server.

    .venv/bin/python -m benchmarks.notifications [--engine postgres|sqlite|both]
                                                 [--donors 10000] [--runs 3] [--deliverers 2]

Set-up (not timed): a scratch database (PostgreSQL `notifications_bench` at
MARKET_BENCH_PG_URL, or SQLite in a temp dir), migrated; the donors inserted directly
as test data (one multi-row INSERT per 1,000; two in three read Chinese, one in three
English; one in ten has switched project updates off by e-mail, so preferences are
really read); an aiosmtpd server in a process of its own on 127.0.0.1.

Timed:
1. enqueue — `notify.send.notify_users` called once for the update inside one
   transaction (`market.db.atomic`): contacts and preferences read, one e-mail row and
   one inbox row per donor written (`market.outbox.enqueue`). Median of `--runs`
   (each a new update; the outbox is emptied between runs, untimed). Reference, same
   run: the same rows copied into an empty copy of the table by the engine's fastest
   bulk path (PostgreSQL COPY, SQLite executemany) — what writing them costs at least.
   Exits 1 when the median is 2 s or more.
2. delivery — `--deliverers` concurrent runs of `market.outbox.deliver` (the worker's
   job) send the e-mails: each rendered in its donor's language with the HTML layout
   and unsubscribe headers, sent over one SMTP connection per run and marked sent one
   by one. Reported as messages/s, beside the reference rate of the same SMTP server
   receiving ready-made messages from one smtplib connection (no database, no
   rendering). Every message must arrive exactly once (distinct Message-IDs).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any

from benchmarks.ledger_pgbench import db_url, recreate

PG_DB = "notifications_bench"
LIMIT_SECONDS = 2.0
KIND = "project.update"
# The params a project update's fan-out writes (notify.render reads them).
PARAMS = {
    "tender": 1,
    "title_zh": "湖滨街道助老食堂",
    "title_en": "Hubin Street canteen for elders",
    "update_title_zh": "捐赠日：送出 1,000 份午餐",
    "update_title_en": "Giving day: 1,000 meals served",
    "excerpt_zh": "感谢您的支持！捐赠日当天，食堂为 1,000 位老人送出了热腾腾的午餐。",
    "excerpt_en": "Thank you! On giving day the canteen served 1,000 hot lunches to elders.",
}
SERVER_REFERENCE = 2_000  # ready-made messages sent for the SMTP server's reference rate


def _setup_env(engine: str) -> None:
    os.environ["MARKET_ENV"] = "test"
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789abcdef")
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ.setdefault("MARKET_BID_KEY", "11" * 32)
    if engine == "postgres":
        os.environ["DATABASE_URL"] = db_url(PG_DB)
    else:
        scratch = tempfile.mkdtemp(prefix="notifications-bench-")
        os.environ["MARKET_VAR_DIR"] = scratch
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    sys.path.insert(0, os.getcwd())


# --- the SMTP server, in a process of its own -------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def _smtp_server(port: int, conn: Connection) -> None:
    """Receives and counts; answers "take" with the Message-IDs received since the last."""
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            found = _MESSAGE_ID.search(envelope.content)
            received.append(found.group(1) if found else b"")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    conn.send("ready")
    while (command := conn.recv()) != "stop":
        if command == "take":
            conn.send(list(received))
            received.clear()
    controller.stop()


class SmtpProcess:
    def __init__(self) -> None:
        from tests.smtp import free_port

        self.port = free_port()
        self._conn, child = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_smtp_server, args=(self.port, child), daemon=True
        )
        self._process.start()
        if self._conn.recv() != "ready":
            raise RuntimeError("the SMTP server did not start")

    @property
    def url(self) -> str:
        return f"smtp+insecure://127.0.0.1:{self.port}"

    def take(self) -> list[bytes]:
        self._conn.send("take")
        return list(self._conn.recv())

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


def server_reference(port: int, count: int) -> float:
    """Ready-made messages/s the server takes from one smtplib connection."""
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Ref"
    message.set_content("A ready-made message of about the size of a notification.\n" * 40)
    message.add_alternative("<p>An HTML part of about the same size.</p>\n" * 60, subtype="html")
    payload = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        started = time.perf_counter()
        for _ in range(count):
            client.sendmail("a@example.org", ["b@example.org"], payload)
        return count / (time.perf_counter() - started)


# --- the database side ---------------------------------------------------------------


async def make_donors(count: int) -> list[int]:
    from market import clock
    from market.sql import execute, marks

    now = clock.now()
    for start in range(0, count, 1000):
        rows: list[Any] = []
        numbers = range(start, min(count, start + 1000))
        for n in numbers:
            locale = "en" if n % 3 == 0 else "zh_Hans"
            rows += [f"donor{n}@bench.example.org", f"Donor {n}", "!", locale, True, now]
        await execute(
            "INSERT INTO market_user (email, display_name, password_hash, locale, active,"  # noqa: S608
            " created_at) VALUES " + ", ".join([f"({marks(6)})"] * len(numbers)),
            *rows,
        )
    found = await execute("SELECT id FROM market_user ORDER BY id")
    ids = [int(r["id"]) for r in found]
    for start in range(0, len(ids), 1000):  # one in ten switched project updates off by e-mail
        chosen = ids[start : start + 1000 : 10]
        values: list[Any] = []
        for uid in chosen:
            values += [uid, KIND, "email", False, now]
        await execute(
            'INSERT INTO notify_preference ("user", kind, channel, enabled, updated_at) VALUES '  # noqa: S608
            + ", ".join([f"({marks(5)})"] * len(chosen)),
            *values,
        )
    return ids


async def enqueue_once(event: str, ids: list[int]) -> tuple[float, int]:
    from market.db import atomic
    from notify.send import notify_users

    started = time.perf_counter()
    async with atomic():
        written = await notify_users(event, KIND, ids, PARAMS, "/projects/1")
    return time.perf_counter() - started, written


async def bulk_reference(engine: str) -> float:
    """Seconds to write the outbox's current rows into an empty copy of the table by
    the engine's bulk path (the floor under `enqueue`)."""
    from market.db import engine as db_engine
    from market.sql import execute

    rows = [dict(r) for r in await execute("SELECT * FROM market_outbox ORDER BY id")]
    columns = [c for c in rows[0] if c != "id"]
    records = [tuple(r[c] for c in columns) for r in rows]
    await execute("DROP TABLE IF EXISTS bench_outbox_copy")
    if engine == "postgres":
        await execute("CREATE TABLE bench_outbox_copy (LIKE market_outbox INCLUDING ALL)")
        async with db_engine().transaction() as tx:
            started = time.perf_counter()
            await tx.connection.copy_records_to_table(
                "bench_outbox_copy", records=records, columns=columns
            )
            return time.perf_counter() - started
    import sqlite3

    path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE bench_outbox_copy AS SELECT * FROM market_outbox WHERE 0")
    connection.execute("CREATE UNIQUE INDEX bench_outbox_copy_key ON bench_outbox_copy (key)")
    insert = (
        f"INSERT INTO bench_outbox_copy ({', '.join(columns)})"  # noqa: S608 - our columns
        f" VALUES ({', '.join('?' * len(columns))})"
    )
    started = time.perf_counter()
    with connection:
        connection.executemany(insert, [tuple(map(_sqlite_value, r)) for r in records])
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _ensure_renderer() -> str:
    """The project-update renderer the wiring registered; the benchmark's own (a real
    renderer of the same shape) only while none is."""
    from markupsafe import Markup

    from market import outbox
    from market.web.i18n import translations

    if KIND in outbox._RENDERERS:
        return "the registered renderer"

    def project_update(params: Any, lang: str) -> Any:
        suffix = "zh" if lang == "zh_Hans" else "en"
        title, headline = params[f"title_{suffix}"], params[f"update_title_{suffix}"]
        excerpt = params[f"excerpt_{suffix}"]
        label = translations(lang).gettext("An update from a project I support")
        html = Markup("<p><strong>{}</strong></p><p>{}</p>").format(headline, excerpt)
        return outbox.Rendered(f"{title}: {headline}", f"{label}\n\n{headline}\n\n{excerpt}", html)

    outbox.register_renderer(KIND, project_update)
    return "the benchmark's own renderer (none registered for project.update yet)"


async def enqueue_phase(engine: str, donors: int, runs: int) -> float:
    """The median seconds of `runs` enqueues of the update (the outbox emptied between
    runs, untimed), beside the bulk-copy reference; the last run's rows stay."""
    from market.sql import execute

    ids = await make_donors(donors)
    timings = []
    for n in range(runs):
        if n:
            await execute("DELETE FROM market_outbox")
        seconds, written = await enqueue_once(f"project.update:{n + 1}", ids)
        timings.append(seconds)
        print(f"[{engine}] enqueue run {n + 1}: {written} rows in {seconds:.3f} s")
    median = statistics.median(timings)
    reference = await bulk_reference(engine)
    print(f"[{engine}] reference: the same {written} rows bulk-copied in {reference:.3f} s")
    print(
        f"RESULT [{engine}] enqueue {donors} donors: median {median:.3f} s"
        f" (limit {LIMIT_SECONDS:.1f} s), {median / reference:.1f}x the bulk copy"
    )
    return median


async def delivery_phase(engine: str, deliverers: int) -> bool:
    """Deliver every queued e-mail with `deliverers` concurrent runs; True when each
    arrived exactly once."""
    from dataclasses import replace

    from market import outbox
    from market.settings import get_settings, reset_settings
    from market.sql import execute

    [row] = await execute("SELECT COUNT(*) AS n FROM market_outbox WHERE channel = 'email'")
    emails = int(row["n"])
    server = SmtpProcess()
    try:
        raw_rate = server_reference(server.port, SERVER_REFERENCE)
        server.take()
        reset_settings(replace(get_settings(), smtp_url=server.url))
        started = time.perf_counter()
        runs = [outbox.deliver(limit=emails) for _ in range(deliverers)]
        sent = sum(done.sent for done in await asyncio.gather(*runs))
        elapsed = time.perf_counter() - started
        received = server.take()
    finally:
        server.stop()
    distinct = len(set(received))
    ok = sent == emails == len(received) == distinct
    print(f"[{engine}] delivery: {sent} e-mails in {elapsed:.1f} s by {deliverers} runs;"
          f" the server received {len(received)}, distinct Message-IDs {distinct}"
          f"{'' if ok else '  <-- MISMATCH'}")  # fmt: skip
    rate = sent / elapsed
    print(f"RESULT [{engine}] delivery: {rate:.0f} messages/s; the SMTP server alone"
          f" takes {raw_rate:.0f}/s ({rate / raw_rate:.2f} of it)")  # fmt: skip
    return ok


async def run(engine: str, donors: int, runs: int, deliverers: int) -> bool:
    from composition.wiring import wire
    from market.db import close_pool, start_pool
    from market.migrate import migrate

    if engine == "postgres":
        await recreate(PG_DB)
    await migrate()
    await start_pool()
    wire()
    print(f"[{engine}] rendering with {_ensure_renderer()}")
    try:
        median = await enqueue_phase(engine, donors, runs)
        delivered = await delivery_phase(engine, deliverers)
        return delivered and median < LIMIT_SECONDS
    finally:
        await close_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--donors", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deliverers", type=int, default=2)
    args = parser.parse_args()
    if args.engine == "both":  # one process per engine: the engine is chosen at import
        codes = []
        for engine in ("postgres", "sqlite"):
            argv = [sys.executable, "-m", "benchmarks.notifications", "--engine", engine,
                    "--donors", str(args.donors), "--runs", str(args.runs),
                    "--deliverers", str(args.deliverers)]  # fmt: skip
            codes.append(subprocess.call(argv, env=os.environ))
        return max(codes)
    _setup_env(args.engine)
    print(f"donors={args.donors} runs={args.runs} deliverers={args.deliverers}"
          f" cpus={os.cpu_count()} engine={args.engine}")  # fmt: skip
    return 0 if asyncio.run(run(args.engine, args.donors, args.runs, args.deliverers)) else 1


if __name__ == "__main__":
    sys.exit(main())
