"""The payment provider port and its three implementations.

A provider starts a payment (`start`) and refunds one (`refund`). It never touches
the ledger: the services confirm a payment when the provider says it arrived —
at once for the sandbox, when the operator records the bank transfer, and only
through the signed webhook for Stripe.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

import stripe

from market.errors import DomainError
from market.settings import get_settings

Outcome = Literal["succeeded", "failed", "awaiting"]


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    payment_id: int
    kind: str
    object_id: int
    amount: int
    currency: str
    reference_code: str
    payment_method: str = ""  # Stripe: a PaymentMethod id from Stripe.js (or pm_card_visa)
    sandbox_outcome: str = "approve"  # sandbox: approve | decline


@dataclass(frozen=True, slots=True)
class Started:
    outcome: Outcome
    provider_ref: str = ""
    client_secret: str = ""
    failure: str = ""


@dataclass(frozen=True, slots=True)
class Refunded:
    outcome: Literal["succeeded", "queued"]
    provider_ref: str = ""


class ProviderUnavailable(DomainError):
    status_code = 503


class PaymentProvider(Protocol):
    name: str

    async def start(self, request: PaymentRequest) -> Started: ...

    async def refund(self, provider_ref: str, amount: int, key: str) -> Refunded: ...


class SandboxProvider:
    """Simulated card payments — sandbox, no real money. Outcome chosen on the form."""

    name = "sandbox"

    async def start(self, request: PaymentRequest) -> Started:
        ref = "sbx_" + secrets.token_hex(8)
        if request.sandbox_outcome == "decline":
            return Started("failed", ref, failure="The sandbox card was declined.")
        return Started("succeeded", ref)

    async def refund(self, provider_ref: str, amount: int, key: str) -> Refunded:
        return Refunded("succeeded", "sbx_re_" + secrets.token_hex(6))


class BankTransferProvider:
    """The payer transfers with the reference code; the operator records the receipt."""

    name = "bank_transfer"

    async def start(self, request: PaymentRequest) -> Started:
        return Started("awaiting")

    async def refund(self, provider_ref: str, amount: int, key: str) -> Refunded:
        return Refunded("queued")


def stripe_client() -> stripe.StripeClient:
    settings = get_settings()
    if not settings.stripe_secret_key:
        raise ProviderUnavailable("Card payments through Stripe are not configured.")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        http_client=stripe.HTTPXClient(),
        max_network_retries=2,
    )


class StripeProvider:
    """A PaymentIntent per payment, our payment id as idempotency key and in metadata.
    Success is only ever taken from the signed webhook, never from this response."""

    name = "stripe"

    async def start(self, request: PaymentRequest) -> Started:
        client = stripe_client()
        params: dict[str, object] = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "payment_method_types": ["card"],
            "metadata": {
                "payment_id": str(request.payment_id),
                "kind": request.kind,
                "object_id": str(request.object_id),
                "reference": request.reference_code,
            },
        }
        if request.payment_method:
            params.update(payment_method=request.payment_method, confirm=True)
        try:
            intent = await client.v1.payment_intents.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"pgm-payment-{request.payment_id}"},
            )
        except stripe.CardError as exc:
            return Started("failed", failure=exc.user_message or "The card was declined.")
        except stripe.StripeError as exc:
            raise ProviderUnavailable(
                "The card payment could not be started. Please try again later."
            ) from exc
        return Started("awaiting", intent.id, intent.client_secret or "")

    async def refund(self, provider_ref: str, amount: int, key: str) -> Refunded:
        client = stripe_client()
        try:
            refund = await client.v1.refunds.create_async(
                params={"payment_intent": provider_ref, "amount": amount},
                options={"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable("The refund could not be sent to Stripe.") from exc
        return Refunded("succeeded", refund.id)


_PROVIDERS: dict[str, PaymentProvider] = {
    "sandbox": SandboxProvider(),
    "bank_transfer": BankTransferProvider(),
    "stripe": StripeProvider(),
}


def provider(name: str) -> PaymentProvider:
    if name not in _PROVIDERS:
        raise DomainError("Choose a way to pay.", field="provider")
    return _PROVIDERS[name]


def available_providers() -> list[str]:
    """What the donate form offers: Stripe only when its keys are set."""
    names = ["sandbox", "bank_transfer"]
    if get_settings().stripe_secret_key:
        names.insert(0, "stripe")
    return names
