"""The load of `make cluster-test`: signed `payment_intent.succeeded` webhooks POSTed by
concurrent clients to the app processes in turn, each retried until it gets a 2xx (as
Stripe redelivers), with what every delivery got and when."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from deploy.cluster import log

SECRET = "whsec_bench"  # noqa: S105 - benchmarks.donations' signing secret
RETRY_FOR_SECONDS = 180  # a delivery that gets no 2xx for this long counts as unanswered


@dataclass
class Delivery:
    body: bytes
    payment_id: int
    acked: bool = False
    answer: str = ""
    acked_at: float = 0.0


@dataclass
class Load:
    deliveries: list[Delivery]
    clients: int
    duration: float
    started: float = 0.0
    sent: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    killed_at: float | None = None
    first_commit_after_kill: float | None = None
    promoted_after: float | None = None  # Patroni reports a new running leader
    ended: float = 0.0
    unanswered: int = 0

    def rate(self, since: float, until: float) -> float:
        """Deliveries acknowledged per second between two moments."""
        acked = sum(since <= d.acked_at < until for d in self.deliveries if d.acked)
        return acked / max(until - since, 1e-9)


async def deliver(http: list[httpx.AsyncClient], lane: int, item: Delivery, load: Load) -> None:
    """POST one signed event until a 2xx (to the two apps in turn), like Stripe."""
    from donors import signatures

    delay, give_up = 0.1, time.monotonic() + RETRY_FOR_SECONDS
    for attempt in range(1_000_000):
        began = time.monotonic()
        header = signatures.sign(item.body, SECRET, int(time.time()))
        try:
            response = await http[(lane + attempt) % len(http)].post(
                "/webhooks/stripe",
                content=item.body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            )
        except httpx.TransportError:
            load.attempts["connection error"] += 1
        else:
            load.attempts[str(response.status_code)] += 1
            if response.is_success:
                item.acked, item.answer = True, str(response.json().get("received"))
                item.acked_at = time.monotonic()
                _note_commit(load, began)
                return
            if response.status_code != 503:
                load.unexpected.append(f"{response.status_code} {response.text[:200]}")
        if time.monotonic() > give_up:
            load.unanswered += 1
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _note_commit(load: Load, began: float) -> None:
    if load.killed_at is not None and began >= load.killed_at:
        took = time.monotonic() - load.killed_at
        if load.first_commit_after_kill is None or took < load.first_commit_after_kill:
            load.first_commit_after_kill = took


async def drive(load: Load, apps: list[str]) -> None:
    """`load.clients` clients take the next delivery until `load.duration` has passed."""
    queue = list(reversed(load.deliveries))
    load.started = time.monotonic()
    stop_at = load.started + load.duration

    async def client(lane: int) -> None:
        while queue and time.monotonic() < stop_at:
            item = queue.pop()
            load.sent += 1
            await deliver(http, lane, item, load)

    http = [httpx.AsyncClient(base_url=url, timeout=60) for url in apps]
    try:
        await asyncio.gather(*(client(lane) for lane in range(load.clients)))
    finally:
        for each in http:
            await each.aclose()
    if queue:
        return
    log("warning: the stock of donations ran out before the duration: raise --stock")
