"""Stripe's signed webhook events, applied: confirm or fail the payment they name.

Every event that names one of our payments gets a 2xx once it is applied or seen
before (`donors.payments` dedupes on the event id in the transaction of the effect);
money arriving for something that no longer takes it is given its late-arrival
outcome (`donors.late`) instead of being refused, so Stripe never redelivers in a loop.
"""

from __future__ import annotations

import json

from donors.payments import Event, PaymentMismatch, confirm_payment, fail_payment
from market import inputs
from market.errors import DomainError
from market.money import MAX_AMOUNT
from market.sql import execute


async def apply_stripe_event(payload: bytes) -> str:
    """A verified event body: confirm or fail the payment it names. Returns an outcome
    word for the response and the log; unknown event types are acknowledged."""
    try:
        event = json.loads(payload)
        kind = event["type"]
        event_id = event["id"]
        intent = event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        raise DomainError("Malformed event.") from None
    if kind not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return "ignored"
    if not isinstance(intent, dict):
        raise DomainError("Malformed event.")
    try:
        raw_id = intent["metadata"]["payment_id"]
    except (KeyError, TypeError):
        return "ignored"
    payment_id = inputs.parse_id(str(raw_id), field="payment_id")  # 400 beyond a Serial
    rows = await execute(
        "SELECT id, provider, provider_ref FROM donors_payment WHERE id = {}", payment_id
    )
    if not rows or rows[0]["provider"] != "stripe":
        return "ignored"
    if rows[0]["provider_ref"] and rows[0]["provider_ref"] != intent.get("id"):
        raise PaymentMismatch("The payment reference does not match.")
    if kind == "payment_intent.succeeded":
        amount = intent.get("amount")
        if type(amount) is not int or not 0 <= amount <= MAX_AMOUNT:
            raise DomainError("Malformed event.")
        return await confirm_payment(
            payment_id,
            amount=amount,
            currency=str(intent["currency"]),
            provider_ref=str(intent.get("id", "")),
            event=Event(event_id, kind),
            actor="stripe",
        )
    error = intent.get("last_payment_error") or {}
    return await fail_payment(
        payment_id,
        reason=str(error.get("message") or "The card payment failed."),
        event=Event(event_id, kind),
        actor="stripe",
    )
