"""Raw transfers: two-phase semantics, limits, idempotency, bad input (nothing written)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from market.ledger import rules
from market.ledger.rules import TransferRequest
from market.ledger.services import (
    create_transfers,
    ensure_accounts,
    get_account,
    open_account,
    transfer,
)
from market.money import CurrencyMismatch, Money
from market.sql import execute

CNY = "CNY"


def yuan(fen: int) -> Money:
    return Money(fen, CNY)


@pytest.fixture
async def funded() -> None:
    await ensure_accounts(["external:bank", "pledge:1", "org:1:payable"], CNY)
    await transfer(
        "seed", debit="external:bank", credit="pledge:1", amount=yuan(10_000), reason="prepay"
    )


async def _counts() -> tuple[int, int, list[tuple[int, int, int, int]]]:
    transfers = (await execute("SELECT COUNT(*) AS n FROM ledger_transfer"))[0]["n"]
    rejections = (await execute("SELECT COUNT(*) AS n FROM ledger_rejection"))[0]["n"]
    balances = await execute(
        "SELECT debits_pending, debits_posted, credits_pending, credits_posted"
        " FROM ledger_account ORDER BY id"
    )
    return transfers, rejections, [tuple(r.values()) for r in balances]


async def test_single_transfer_moves_posted_balances(funded: None) -> None:
    result = await transfer(
        "t1", debit="pledge:1", credit="org:1:payable", amount=yuan(2_500), reason="match"
    )
    assert result.created and result.money == yuan(2_500)
    pledge, org = await get_account("pledge:1"), await get_account("org:1:payable")
    assert pledge.posted == yuan(7_500) and org.posted == yuan(2_500)
    bank = await get_account("external:bank")
    assert bank.posted == yuan(-10_000)


async def test_pending_reserves_and_partial_post_returns_the_remainder(funded: None) -> None:
    await transfer(
        "h",
        debit="pledge:1",
        credit="org:1:payable",
        amount=yuan(4_000),
        reason="hold",
        kind="pending",
    )
    pledge = await get_account("pledge:1")
    assert pledge.debits_pending == 4_000 and pledge.available == yuan(6_000)
    (posted,) = await create_transfers(
        [TransferRequest(key="h:post", kind="post", amount=1_500, pending_key="h")]
    )
    assert posted.transfer.amount == 1_500 and posted.transfer.debit == "pledge:1"
    pledge, org = await get_account("pledge:1"), await get_account("org:1:payable")
    assert pledge.debits_pending == 0 and pledge.available == yuan(8_500)
    assert org.credits_pending == 0 and org.posted == yuan(1_500)


async def test_hold_is_checked_against_the_limit_when_created(funded: None) -> None:
    await transfer(
        "h1",
        debit="pledge:1",
        credit="org:1:payable",
        amount=yuan(9_000),
        reason="hold",
        kind="pending",
    )
    with pytest.raises(rules.ExceedsCredits):
        await transfer(
            "t2", debit="pledge:1", credit="org:1:payable", amount=yuan(1_001), reason="match"
        )


async def test_same_id_same_body_returns_the_original(funded: None) -> None:
    first = await transfer(
        "t1", debit="pledge:1", credit="org:1:payable", amount=yuan(100), reason="match"
    )
    before = await _counts()
    again = await transfer(
        "t1", debit="pledge:1", credit="org:1:payable", amount=yuan(100), reason="match"
    )
    assert again.id == first.id and not again.created
    assert await _counts() == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": yuan(101)},
        {"credit": "external:bank"},
        {"reason": "other"},
        {"reference": "x"},
        {"kind": "pending"},
    ],
)
async def test_same_id_different_body_is_refused_and_writes_nothing(
    funded: None, change: dict[str, object]
) -> None:
    body: dict[str, object] = {
        "debit": "pledge:1",
        "credit": "org:1:payable",
        "amount": yuan(100),
        "reason": "match",
    }
    await transfer("t1", **body)  # type: ignore[arg-type]
    before = await _counts()
    with pytest.raises(rules.IdempotencyConflict) as info:
        await transfer("t1", **{**body, **change})  # type: ignore[arg-type]
    assert "nothing was written" in info.value.message
    assert await _counts() == before


async def test_a_failed_id_keeps_failing_after_funds_arrive(funded: None) -> None:
    with pytest.raises(rules.ExceedsCredits):
        await transfer(
            "big", debit="pledge:1", credit="org:1:payable", amount=yuan(20_000), reason="match"
        )
    await transfer(
        "topup", debit="external:bank", credit="pledge:1", amount=yuan(50_000), reason="prepay"
    )
    with pytest.raises(rules.TransferAlreadyFailed) as info:
        await transfer(
            "big", debit="pledge:1", credit="org:1:payable", amount=yuan(20_000), reason="match"
        )
    assert "exceeds_credits" in info.value.message
    assert (await get_account("org:1:payable")).posted == yuan(0)
    ok = await transfer(
        "big-2", debit="pledge:1", credit="org:1:payable", amount=yuan(20_000), reason="match"
    )
    assert ok.created


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (0, rules.InvalidTransfer),
        (-5, rules.InvalidTransfer),
        (1.5, rules.InvalidTransfer),
        (Decimal("1"), rules.InvalidTransfer),
        (True, rules.InvalidTransfer),
    ],
)
async def test_bad_amounts_are_refused_and_nothing_is_written(
    funded: None, amount: object, error: type[Exception]
) -> None:
    before = await _counts()
    with pytest.raises(error):
        await create_transfers(
            [
                TransferRequest(
                    key="bad",
                    kind="single",
                    amount=amount,
                    debit="pledge:1",  # type: ignore[arg-type]
                    credit="org:1:payable",
                    currency=CNY,
                    reason="match",
                )
            ]
        )
    assert await _counts() == before


async def test_money_refuses_floats_before_the_ledger_sees_them() -> None:
    with pytest.raises(rules.DomainError):
        Money(1.5, CNY)  # type: ignore[arg-type]


async def test_mixed_currency_is_refused_and_nothing_is_written(funded: None) -> None:
    await open_account("external:usd", "USD")
    before = await _counts()
    with pytest.raises(rules.CurrencyMismatchTransfer):
        await transfer(
            "fx", debit="external:usd", credit="pledge:1", amount=Money(5, "USD"), reason="prepay"
        )
    with pytest.raises(rules.CurrencyMismatchTransfer):
        await transfer(
            "fx2", debit="external:bank", credit="pledge:1", amount=Money(5, "USD"), reason="prepay"
        )
    with pytest.raises(CurrencyMismatch):
        _ = yuan(1) + Money(1, "USD")
    assert await _counts() == before


async def test_unknown_account_is_refused_and_nothing_is_written(funded: None) -> None:
    before = await _counts()
    with pytest.raises(rules.AccountNotFound):
        await transfer(
            "u", debit="pledge:1", credit="org:999:payable", amount=yuan(1), reason="match"
        )
    assert await _counts() == before


async def test_posting_more_than_held_is_refused(funded: None) -> None:
    await transfer(
        "h",
        debit="pledge:1",
        credit="org:1:payable",
        amount=yuan(100),
        reason="hold",
        kind="pending",
    )
    before = await _counts()
    with pytest.raises(rules.ExceedsPendingAmount):
        await create_transfers([TransferRequest(key="p", kind="post", amount=101, pending_key="h")])
    assert await _counts() == before


async def test_resolving_twice_is_refused(funded: None) -> None:
    await transfer(
        "h",
        debit="pledge:1",
        credit="org:1:payable",
        amount=yuan(100),
        reason="hold",
        kind="pending",
    )
    await create_transfers([TransferRequest(key="v", kind="void", amount=None, pending_key="h")])
    before = await _counts()
    for req in (
        TransferRequest(key="p", kind="post", amount=None, pending_key="h"),
        TransferRequest(key="v2", kind="void", amount=None, pending_key="h"),
    ):
        with pytest.raises(rules.PendingAlreadyResolved):
            await create_transfers([req])
    assert await _counts() == before


async def test_resolving_a_missing_or_non_pending_transfer_is_refused(funded: None) -> None:
    with pytest.raises(rules.PendingNotFound):
        await create_transfers(
            [TransferRequest(key="p", kind="post", amount=None, pending_key="nope")]
        )
    with pytest.raises(rules.NotPending):
        await create_transfers(
            [TransferRequest(key="p", kind="post", amount=None, pending_key="seed")]
        )


async def test_a_batch_is_all_or_nothing(funded: None) -> None:
    before = await _counts()
    with pytest.raises(rules.ExceedsCredits):
        await create_transfers(
            [
                TransferRequest(
                    key="a",
                    kind="single",
                    amount=6_000,
                    debit="pledge:1",
                    credit="org:1:payable",
                    currency=CNY,
                    reason="match",
                ),
                TransferRequest(
                    key="b",
                    kind="single",
                    amount=6_000,
                    debit="pledge:1",
                    credit="org:1:payable",
                    currency=CNY,
                    reason="match",
                ),
            ]
        )
    transfers, rejections, balances = await _counts()
    assert (transfers, balances) == (before[0], before[2])
    assert rejections == before[1] + 1


async def test_transfers_cannot_be_updated() -> None:
    await ensure_accounts(["external:bank", "pledge:1"], CNY)
    await transfer("t", debit="external:bank", credit="pledge:1", amount=yuan(5), reason="prepay")
    with pytest.raises(Exception, match="append-only"):
        await execute("UPDATE ledger_transfer SET amount = 6")
