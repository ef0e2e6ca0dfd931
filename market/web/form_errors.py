"""The one mapping from a refused form to its answer: the form again, each error beside
its field, with 422 — the whole page for a plain browser, the form's block for htmx
(`render(..., block=...)` decides). Controllers write

    async with shows_form_errors(redisplay, field="price"):
        receipt = await submission.submit_bid(...)

where `redisplay(errors)` renders the form with the values the person sent. A refusal
that is not about the form — 403 and 404 by default, or an exception outside `catch` —
goes on to the app's exception map (market/web/errors.py: the error page or fragment).
The re-rendered form travels as `Redisplayed`, which `redisplayed` answers.

A parser's refusal that the form words its own way (a ratio that is not a whole number,
an amount the donor must retype) becomes that field's error with `as_field_error`:

    with as_field_error(InvalidAmount, field="amount", message=AMOUNT_HELP):
        amount = parse_money(raw, "CNY")

Controllers catch no domain error themselves (tests/unit/test_architecture.py checks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from litestar import Request, Response

from market.errors import DomainError, InvalidTransition, ValidationFailed
from market.web.errors import field_messages, translated

Redisplay = Callable[[dict[str, str]], Awaitable[Response[Any]]]
# Refusals shown inside a form; e.g. a missing tender (404) is a page instead.
FORM_REFUSALS: tuple[type[DomainError], ...] = (ValidationFailed, InvalidTransition)


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    """Translate each field's msgid, then fill in its parameters (if any)."""
    return field_messages(exc)


def form_errors(exc: DomainError, default_field: str = "form") -> dict[str, str]:
    """Field → translated message, for rendering each error beside its field."""
    if isinstance(exc, ValidationFailed):
        return field_errors(exc)
    return {exc.field or default_field: translated(exc)}


class Redisplayed(Exception):
    """The form, rendered again with its errors: the app answers with it as is."""

    def __init__(self, response: Response[Any]) -> None:
        super().__init__("form redisplayed")
        self.response = response


@asynccontextmanager
async def shows_form_errors(
    redisplay: Redisplay,
    *,
    field: str = "form",
    catch: tuple[type[DomainError], ...] = (DomainError,),
    passthrough: tuple[int, ...] = (403, 404),
) -> AsyncIterator[None]:
    try:
        yield
    except catch as exc:
        if exc.status_code in passthrough:
            raise
        raise Redisplayed(await redisplay(form_errors(exc, field))) from exc


@contextmanager
def as_field_error(*errors: type[DomainError], field: str, message: str) -> Iterator[None]:
    """One of `errors` raised inside becomes `ValidationFailed({field: message})` (a msgid),
    the form's own wording for a value it could not parse."""
    try:
        yield
    except errors:
        raise ValidationFailed({field: message}) from None


def redisplayed(request: Request[Any, Any, Any], exc: Redisplayed) -> Response[Any]:
    return exc.response
