"""Pure ledger rules: validation, limits, two-phase resolution, idempotency comparison."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.ledger import rules
from market.ledger.rules import Balance, Flags, PendingState, Transfer, TransferRequest


def req(**kw: object) -> TransferRequest:
    base: dict[str, object] = {
        "key": "k",
        "kind": "single",
        "amount": 100,
        "debit": "pledge:1",
        "credit": "org:1:payable",
        "currency": "CNY",
        "reason": "match",
    }
    return TransferRequest(**{**base, **kw})  # type: ignore[arg-type]


def bal(code: str, flags: int = Flags.DEBITS_MUST_NOT_EXCEED_CREDITS, **kw: int) -> Balance:
    return Balance(id=hash(code) % 1000, code=code, currency="CNY", flags=int(flags), **kw)


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": 0},
        {"amount": -1},
        {"amount": 1.0},
        {"amount": True},
        {"amount": None},
        {"key": ""},
        {"key": "has space"},
        {"kind": "refund"},
        {"currency": "cny"},
        {"debit": "org:1:payable"},
        {"reason": "Bad Reason"},
        {"source": "lottery"},
        {"pending_key": "p"},
        {"debit": "BAD CODE"},
        {"amount": 10**16},
    ],
)
def test_bad_requests_are_refused_before_the_database(bad: dict[str, object]) -> None:
    with pytest.raises(rules.InvalidTransfer):
        rules.validate_request(req(**bad))


def test_post_and_void_must_name_a_pending_transfer() -> None:
    with pytest.raises(rules.InvalidTransfer):
        rules.validate_request(TransferRequest(key="p", kind="post", amount=None))
    rules.validate_request(TransferRequest(key="p", kind="post", amount=None, pending_key="h"))


def test_default_flags_limit_every_internal_account() -> None:
    assert rules.default_flags("external:stripe") == Flags.NONE
    for code in ("tender:1:escrow:public", "pledge:3", "org:2:payable", "community_fund"):
        assert rules.default_flags(code) == Flags.DEBITS_MUST_NOT_EXCEED_CREDITS


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 10_000))
def test_limit_is_checked_pessimistically(credits: int, pending: int, amount: int) -> None:
    debit = bal("pledge:1", credits_posted=credits + pending, debits_pending=pending)
    credit = bal("org:1:payable")
    t = rules.resolve(req(amount=amount, kind="pending"), None)
    if amount > credits:
        with pytest.raises(rules.ExceedsCredits):
            rules.apply(t, debit, credit)
        assert debit.debits_pending == pending  # untouched
    else:
        rules.apply(t, debit, credit)
        assert debit.available == credits - amount >= 0


def test_credit_limited_account() -> None:
    credit = bal("org:1:payable", Flags.CREDITS_MUST_NOT_EXCEED_DEBITS, debits_posted=50)
    with pytest.raises(rules.ExceedsDebits):
        rules.apply(rules.resolve(req(amount=51), None), bal("external:x", 0), credit)


def _pending(amount: int = 100, resolved: str | None = None) -> PendingState:
    return PendingState(
        Transfer(
            "h", "pending", amount, "pledge:1", "org:1:payable", "CNY", None, "hold", "", None, None
        ),
        resolved,
    )


@given(st.integers(1, 100), st.booleans())
def test_post_moves_at_most_the_pending_amount_and_returns_the_rest(x: int, void: bool) -> None:
    debit = bal("pledge:1", credits_posted=100, debits_pending=100)
    credit = bal("org:1:payable", credits_pending=100)
    kind = "void" if void else "post"
    t = rules.resolve(
        TransferRequest(key="r", kind=kind, amount=None if void else x, pending_key="h"), _pending()
    )
    rules.apply(t, debit, credit, 100)
    moved = 0 if void else x
    assert (debit.debits_pending, credit.credits_pending) == (0, 0)
    assert debit.debits_posted == credit.credits_posted == moved
    assert debit.available == 100 - moved


def test_resolution_errors() -> None:
    post = TransferRequest(key="r", kind="post", amount=101, pending_key="h")
    with pytest.raises(rules.ExceedsPendingAmount):
        rules.resolve(post, _pending())
    with pytest.raises(rules.PendingAlreadyResolved, match="posted"):
        rules.resolve(post, _pending(resolved="post"))
    with pytest.raises(rules.PendingAlreadyResolved, match="voided"):
        rules.resolve(post, _pending(resolved="void"))
    with pytest.raises(rules.PendingNotFound):
        rules.resolve(post, None)
    with pytest.raises(rules.InvalidTransfer, match="debit"):
        rules.resolve(
            TransferRequest(key="r", kind="post", amount=None, pending_key="h", debit="pledge:2"),
            _pending(),
        )
    with pytest.raises(rules.InvalidTransfer):
        rules.resolve(TransferRequest(key="r", kind="void", amount=5, pending_key="h"), _pending())


def test_currency_must_match_both_accounts() -> None:
    usd = Balance(id=1, code="external:usd", currency="USD", flags=0)
    with pytest.raises(rules.CurrencyMismatchTransfer):
        rules.apply(rules.resolve(req(), None), usd, bal("org:1:payable"))


def test_same_body_accepts_a_faithful_retry_and_names_the_first_difference() -> None:
    stored = rules.resolve(req(), None)
    rules.same_body(req(), stored)
    with pytest.raises(rules.IdempotencyConflict, match="amount"):
        rules.same_body(req(amount=101), stored)
    with pytest.raises(rules.IdempotencyConflict, match="credit"):
        rules.same_body(req(credit="org:2:payable"), stored)
    post = rules.resolve(
        TransferRequest(key="p", kind="post", amount=None, pending_key="h"), _pending()
    )
    rules.same_body(TransferRequest(key="p", kind="post", amount=None, pending_key="h"), post)
    with pytest.raises(rules.IdempotencyConflict, match="pending_key"):
        rules.same_body(TransferRequest(key="p", kind="post", amount=None, pending_key="x"), post)
