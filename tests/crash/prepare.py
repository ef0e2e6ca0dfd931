"""Set-up of a crash-test database, run as its own process against the throw-away
cluster (DATABASE_URL and the STRIPE_* variables are the caller's):

    python -m tests.crash.prepare --donations 1540 --out payments.json

Through the real services: a department with a budget, its tender published and open
for bids (donations accepted), a company's 1:1 matching pledge prepaid with room for
every donation, then `--donations` card donations started through the Stripe API
(localstripe): each donation row, its match reserved (a pending ledger transfer) and
its PaymentIntent, awaiting the `payment_intent.succeeded` webhook. Writes one JSON
object per payment: what the webhook event must carry.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
from pathlib import Path

AMOUNTS = (10_00, 25_00, 50_00, 88_00, 100_00, 120_00)  # fen; the match equals each
CONCURRENCY = 16


async def prepare(donations: int) -> list[dict[str, object]]:
    from composition.wiring import wire
    from donors import donations as donation_service
    from donors import providers
    from market.db import close_pool, engine
    from market.money import Money
    from tests.donation_builders import make_pledge
    from tests.passwords import use_cheap_hashing
    from tests.tender_builders import make_department, make_tender

    wire()
    use_cheap_hashing()
    # One Stripe client for the whole set-up (the app builds one, with its TLS context,
    # per call: ~20 ms of CPU each, the bulk of this set-up's time otherwise).
    providers.stripe_client = functools.cache(providers.stripe_client)
    await engine().start_connection_pool(min_size=CONCURRENCY, max_size=CONCURRENCY + 2)
    department = await make_department()
    tender = await make_tender(department, status="tendering")
    total = sum(AMOUNTS[i % len(AMOUNTS)] for i in range(donations))
    await make_pledge(per_donation_cap=max(AMOUNTS), total_cap=total)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(donations):
        queue.put_nowait(i)
    payments: list[dict[str, object]] = []

    async def starter() -> None:
        while not queue.empty():
            amount = AMOUNTS[queue.get_nowait() % len(AMOUNTS)]
            started = await donation_service.start_donation(
                tender_id=tender, amount=Money(amount, "CNY"), provider="stripe"
            )
            if started.status != "pending" or started.match.amount != amount:
                raise RuntimeError(f"donation not awaiting with its full match: {started}")
            payments.append(
                {
                    "payment_id": started.payment_id,
                    "donation_id": started.donation_id,
                    "intent": started.started.provider_ref,
                    "amount": amount,
                }
            )

    await asyncio.gather(*(starter() for _ in range(CONCURRENCY)))
    await close_pool()
    return sorted(payments, key=lambda p: int(str(p["payment_id"])))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donations", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    payments = asyncio.run(prepare(args.donations))
    args.out.write_text(json.dumps(payments))


if __name__ == "__main__":
    main()
