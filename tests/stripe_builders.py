"""Stripe's side of a webhook, for tests: a stub API that hands out a PaymentIntent id
per payment, the settings that turn Stripe on, and event bodies as Stripe sends them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest

from donors import providers
from donors.providers import PaymentRequest, Started
from market.settings import get_settings, reset_settings

SECRET = "whsec_test_secret"


class FakeStripeApi:
    """Stands in for the Stripe API side only: a PaymentIntent id per payment."""

    name = "stripe"

    async def start(self, request: PaymentRequest) -> Started:
        return Started("awaiting", f"pi_test_{request.payment_id}", "secret")

    async def refund(self, provider_ref: str, amount: int, key: str) -> providers.Refunded:
        return providers.Refunded("succeeded", "re_test")


@pytest.fixture
def stripe_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = get_settings()
    reset_settings(
        dataclasses.replace(before, stripe_webhook_secret=SECRET, stripe_secret_key="sk_test_x")
    )
    monkeypatch.setitem(providers._PROVIDERS, "stripe", FakeStripeApi())
    yield
    reset_settings(before)


def event(payment_id: int, amount: int, *, n: int, currency: str = "cny", ok: bool = True) -> bytes:
    kind = "payment_intent.succeeded" if ok else "payment_intent.payment_failed"
    body = {
        "id": f"evt_{n}",
        "type": kind,
        "data": {
            "object": {
                "id": f"pi_test_{payment_id}",
                "object": "payment_intent",
                "amount": amount,
                "currency": currency,
                "metadata": {"payment_id": str(payment_id)},
            }
        },
    }
    return json.dumps(body, indent=2).encode()
