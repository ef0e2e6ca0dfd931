"""`POST /webhooks/stripe`: the only route without CSRF (exempt by exact path).

The signature is checked on the raw body before anything is parsed; the event is
then applied by `stripe_events.apply_stripe_events` (dedupe on the event id, amount and
currency checked, all in the transaction of the ledger effect). Events that arrive
while this process is writing earlier ones are applied together, as one group commit
(`market.group_commit`; donations confirmed in one transaction: `donors.confirm_many`);
each request still gets its own event's answer, after its transaction has committed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from donors import signatures, stripe_events
from market import clock
from market.group_commit import GroupCommit
from market.settings import get_settings
from market.web.auth import public

# One per process: the webhooks this worker is answering, written in batches.
STRIPE_EVENTS: GroupCommit[bytes, str] = GroupCommit(stripe_events.apply_stripe_events)


class StripeWebhookController(Controller):
    include_in_schema = False

    @post("/webhooks/stripe", guards=[public], status_code=200)
    async def stripe_webhook(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        raw = await request.body()
        secrets = [s.strip() for s in get_settings().stripe_webhook_secret.split(",")]
        signatures.verify(
            raw,
            request.headers.get("stripe-signature", ""),
            secrets,
            now=int(clock.now().timestamp()),
        )
        outcome = await STRIPE_EVENTS.submit(raw)
        return Response({"received": outcome}, status_code=200)
