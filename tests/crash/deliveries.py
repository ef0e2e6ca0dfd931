"""Signed `payment_intent.succeeded` deliveries from concurrent clients, each retried
until it gets a 2xx (as Stripe does, with a much shorter backoff), and what the
database holds afterwards."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx

from donors import signatures

RETRY_FOR_SECONDS = 120  # one delivery gives up (and the test fails) after this


def event_body(payment: dict[str, int | str]) -> bytes:
    intent = {
        "id": payment["intent"],
        "object": "payment_intent",
        "amount": payment["amount"],
        "currency": "cny",
        "status": "succeeded",
        "metadata": {"payment_id": str(payment["payment_id"])},
    }
    body = {
        "id": f"evt_crash_{payment['payment_id']}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
    }
    return json.dumps(body).encode()


def plan(payments: list[dict[str, int | str]], total: int, seed: int) -> list[bytes]:
    """Every payment's event once, then redeliveries of random ones up to `total`
    (the same event id and body, as Stripe redelivers), in random order."""
    rng = random.Random(seed)
    unique = [event_body(p) for p in payments]
    bodies = unique + [rng.choice(unique) for _ in range(total - len(unique))]
    rng.shuffle(bodies)
    return bodies


@dataclass
class Tally:
    deliveries: int
    attempts: int = 0
    done: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # per attempt
    answers: Counter[str] = field(default_factory=Counter)  # the 2xx bodies' `received`
    unexpected: list[str] = field(default_factory=list)
    without_retry_after: int = 0
    finished: bool = False  # every client returned (or one failed)
    progressed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


async def _deliver(http: httpx.AsyncClient, body: bytes, secret: str, tally: Tally) -> None:
    delay, give_up = 0.05, time.monotonic() + RETRY_FOR_SECONDS
    while True:
        tally.attempts += 1
        header = signatures.sign(body, secret, int(time.time()))
        try:
            response = await http.post(
                "/webhooks/stripe",
                content=body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            )
        except httpx.TransportError:  # the server is down or died under the request
            tally.statuses["connection error"] += 1
        else:
            tally.statuses[str(response.status_code)] += 1
            if response.is_success:
                tally.answers[str(response.json()["received"])] += 1
                tally.done += 1
                tally.progressed.set()
                return
            if response.status_code == 503:
                tally.without_retry_after += "retry-after" not in response.headers
            else:
                tally.unexpected.append(f"{response.status_code} {response.text[:300]}")
        if time.monotonic() > give_up:
            raise AssertionError(f"a delivery never got a 2xx: {tally}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.4)


async def deliver_all(
    url: str, bodies: list[bytes], secret: str, tally: Tally, clients: int = 16
) -> None:
    """`clients` concurrent clients take the next delivery until none is left."""
    queue = list(reversed(bodies))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            while queue:
                await _deliver(http, queue.pop(), secret, tally)

    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        tally.finished = True
        tally.progressed.set()


async def at_progress(tally: Tally, share: float) -> None:
    """Wait until `share` of the deliveries got their 2xx (or the clients stopped: the
    caller's `await` of them then raises why)."""
    while not tally.finished and tally.done < share * tally.deliveries:
        tally.progressed.clear()
        await tally.progressed.wait()


@dataclass(frozen=True)
class Outcome:
    donations: int
    posted: int  # paid, its donation and match each posted exactly once
    doubled: int  # a second donation or match posting: must be 0
    payments_succeeded: int
    events_recorded: int
    audited: int
    escrow: dict[str, int]  # public, corporate → credits posted to the tender's escrow
    pending: int  # credits still pending in those escrows (reserved matches): must be 0


_LINES = "pending:match,single:donation,post:match"


async def outcome(url: str) -> Outcome:
    connection = await asyncpg.connect(url)
    try:
        lines = await connection.fetch(
            "SELECT d.id, d.status, d.match_status,"
            " string_agg(t.kind || ':' || t.reason, ',' ORDER BY t.id) AS lines"
            " FROM donors_donation d LEFT JOIN ledger_transfer t"
            " ON t.reference = 'donation:' || d.id GROUP BY d.id"
        )
        posted = sum(
            r["status"] == "paid" and r["match_status"] == "posted" and r["lines"] == _LINES
            for r in lines
        )
        doubled = sum(
            (r["lines"] or "").count("single:donation") > 1
            or (r["lines"] or "").count("post:match") > 1
            for r in lines
        )
        payments = await connection.fetchval(
            "SELECT count(*) FROM donors_payment WHERE kind = 'donation' AND status = 'succeeded'"
        )
        events = await connection.fetchval("SELECT count(*) FROM donors_webhook_event")
        audited = await connection.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'donation.paid'"
        )
        escrows = await connection.fetch(
            "SELECT split_part(code, ':', 4) AS source, credits_posted, credits_pending"
            " FROM ledger_account WHERE code LIKE 'tender:%:escrow:public'"
            " OR code LIKE 'tender:%:escrow:corporate'"
        )
    finally:
        await connection.close()
    escrow = {r["source"]: int(r["credits_posted"]) for r in escrows}
    pending = sum(int(r["credits_pending"]) for r in escrows)
    return Outcome(len(lines), posted, doubled, payments, events, audited, escrow, pending)


def counts_line(name: str, tally: Tally, result: Outcome) -> str:
    duplicates = tally.deliveries - result.donations
    refused = ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items()))
    return (
        f"{name}: sent {tally.deliveries} deliveries ({result.donations} events +"
        f" {duplicates} duplicates) in {tally.attempts} attempts [{refused}];"
        f" 2xx {tally.done}; posted {result.posted}; answered duplicate"
        f" {tally.answers['duplicate']}; lost {result.donations - result.posted};"
        f" doubled {result.doubled}"
    )
