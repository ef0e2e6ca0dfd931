"""Stripe's signed webhook events, applied: confirm or fail the payment they name.

Every event that names one of our payments gets a 2xx once it is applied or seen
before (`donors.payments` dedupes on the event id in the transaction of the effect);
money arriving for something that no longer takes it is given its late-arrival
outcome (`donors.late`) instead of being refused, so Stripe never redelivers in a loop.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from donors.confirm_many import Paid, confirm_donations
from donors.payments import Event, PaymentMismatch, confirm_payment, fail_payment
from market import inputs
from market.errors import DomainError
from market.money import MAX_AMOUNT
from market.sql import execute


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """A verified `payment_intent.*` event that names one of our payments."""

    kind: str  # payment_intent.succeeded | payment_intent.payment_failed
    event_id: str
    payment_id: int
    intent: dict[str, Any]

    def paid(self) -> Paid:
        amount = self.intent.get("amount")
        if type(amount) is not int or not 0 <= amount <= MAX_AMOUNT:
            raise DomainError("Malformed event.")
        return Paid(
            self.payment_id,
            amount=amount,
            currency=str(self.intent["currency"]),
            provider_ref=str(self.intent.get("id", "")),
            event=Event(self.event_id, self.kind),
        )


def parse_stripe_event(payload: bytes) -> StripeEvent | None:
    """A verified event body read (nothing looked up): None for what we acknowledge and
    ignore (other event types, intents that name no payment of ours)."""
    try:
        event = json.loads(payload)
        kind = event["type"]
        event_id = event["id"]
        intent = event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        raise DomainError("Malformed event.") from None
    if kind not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return None
    if not isinstance(intent, dict):
        raise DomainError("Malformed event.")
    try:
        raw_id = intent["metadata"]["payment_id"]
    except (KeyError, TypeError):
        return None
    payment_id = inputs.parse_id(str(raw_id), field="payment_id")  # 400 beyond a Serial
    return StripeEvent(str(kind), str(event_id), payment_id, intent)


async def apply_stripe_event(payload: bytes) -> str:
    """A verified event body: confirm or fail the payment it names. Returns an outcome
    word for the response and the log; unknown event types are acknowledged."""
    event = parse_stripe_event(payload)
    return "ignored" if event is None else await _apply(event)


async def _apply(event: StripeEvent) -> str:
    rows = await execute(
        "SELECT id, provider, provider_ref FROM donors_payment WHERE id = {}", event.payment_id
    )
    if not rows or rows[0]["provider"] != "stripe":
        return "ignored"
    if rows[0]["provider_ref"] and rows[0]["provider_ref"] != event.intent.get("id"):
        raise PaymentMismatch("The payment reference does not match.")
    if event.kind == "payment_intent.succeeded":
        paid = event.paid()
        return await confirm_payment(
            paid.payment_id,
            amount=paid.amount,
            currency=paid.currency,
            provider_ref=paid.provider_ref,
            event=paid.event,
            actor="stripe",
        )
    error = event.intent.get("last_payment_error") or {}
    return await fail_payment(
        event.payment_id,
        reason=str(error.get("message") or "The card payment failed."),
        event=Event(event.event_id, event.kind),
        actor="stripe",
    )


async def apply_stripe_events(payloads: Sequence[bytes]) -> list[str | BaseException]:
    """Verified event bodies that arrived together (`market.group_commit`), one outcome
    each, as `apply_stripe_event` would give it alone. The succeeded payments of
    donations are confirmed together, in one transaction (`donors.confirm_many`); when
    anything there is not the common case (a late arrival, a mismatch, a payment that
    failed before, the same payment twice…), or the batch fails, that transaction rolls
    back and every event is applied alone, in order, by the one-at-a-time path."""
    parsed: list[StripeEvent | BaseException | None] = []
    for payload in payloads:
        try:
            parsed.append(parse_stripe_event(payload))
        except DomainError as exc:
            parsed.append(exc)
    # A payment named by two events of the batch (a failure and a success, say) has
    # them applied alone, in the order they arrived.
    named = Counter(e.payment_id for e in parsed if isinstance(e, StripeEvent))
    succeeded = [
        (i, e)
        for i, e in enumerate(parsed)
        if isinstance(e, StripeEvent)
        and e.kind == "payment_intent.succeeded"
        and named[e.payment_id] == 1
    ]
    outcomes: list[str | BaseException | None] = [None] * len(payloads)
    if len(succeeded) > 1:
        try:
            done = await confirm_donations([e.paid() for _, e in succeeded])
            for (i, _), outcome in zip(succeeded, done, strict=True):
                outcomes[i] = outcome
        except Exception:
            outcomes = [None] * len(payloads)
    for i, event in enumerate(parsed):
        if outcomes[i] is not None:
            continue
        if event is None or isinstance(event, BaseException):
            outcomes[i] = "ignored" if event is None else event
            continue
        try:
            outcomes[i] = await _apply(event)
        except Exception as exc:
            outcomes[i] = exc
    return [o if o is not None else "ignored" for o in outcomes]
