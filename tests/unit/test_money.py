from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import DomainError
from market.money import (
    MAX_AMOUNT,
    CurrencyMismatch,
    InvalidAmount,
    Money,
    MoneyError,
    allocate,
    format_money,
    parse_money,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize("bad", [1.5, 1.0, Decimal("1.00"), True, "12", None])
def test_money_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(MoneyError):
        Money(bad, "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["cny", "CN", "", "YUAN", 156])
def test_money_refuses_a_malformed_currency(bad: object) -> None:
    with pytest.raises(MoneyError):
        Money(1, bad)  # type: ignore[arg-type]


def test_money_refuses_out_of_range_amounts() -> None:
    with pytest.raises(MoneyError):
        Money(MAX_AMOUNT + 1, "CNY")


def test_mixing_currencies_is_a_domain_error() -> None:
    with pytest.raises(CurrencyMismatch) as info:
        Money(1, "CNY") + Money(1, "USD")
    assert isinstance(info.value, DomainError)
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "CNY") < Money(2, "USD")
    with pytest.raises(MoneyError):
        Money(1, "CNY") + 1  # type: ignore[operator]


@given(amounts, amounts)
def test_addition_and_subtraction_are_exact(a: int, b: int) -> None:
    x, y = Money(a, "CNY"), Money(b, "CNY")
    assert (x + y).amount == a + b
    assert (x + y - y) == x
    assert (x < y) == (a < b)
    assert (x <= y) == (a <= b)
    assert (x >= y) == (a >= b)
    assert (-x).amount == -a


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8),
)
def test_allocate_parts_add_up_exactly_and_stay_proportional(
    amount: int, weights: list[int]
) -> None:
    if sum(weights) == 0:
        if amount:
            with pytest.raises(MoneyError):
                allocate(amount, weights)
        return
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = amount * weight / total
        assert abs(part - exact) < 1 + 1e-6 * exact
        if weight == 0:
            assert part == 0
        if amount <= total:
            assert part <= weight


@given(st.integers(min_value=0, max_value=10**6), st.lists(st.integers(0, 1000), min_size=1))
def test_allocate_is_deterministic(amount: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        return
    assert allocate(amount, weights) == allocate(amount, list(weights))


def test_allocate_ties_go_to_the_lower_index() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(1, [0, 5, 5]) == [0, 1, 0]


def test_allocate_refuses_negative_input() -> None:
    with pytest.raises(MoneyError):
        allocate(-1, [1])
    with pytest.raises(MoneyError):
        allocate(1, [1, -1])
    with pytest.raises(MoneyError):
        allocate(1.0, [1])  # type: ignore[arg-type]


def test_money_allocate_keeps_the_currency() -> None:
    parts = Money(1000, "CNY").allocate([1, 2])
    assert parts == [Money(333, "CNY"), Money(667, "CNY")]


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("12.34", 1234),
        ("12", 1200),
        ("12.3", 1230),
        (" 0.01 ", 1),
        ("1,234.56", 123456),
        ("¥12.00", 1200),
        ("12.", 1200),
    ],
)
def test_parse_money_reads_yuan_into_fen(text: str, minor: int) -> None:
    assert parse_money(text) == Money(minor, "CNY")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.345", "at most 2 decimal places"),
        ("-5", "positive"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("abc", "not an amount"),
        ("1e3", "not an amount"),
        ("1,23.4", "not an amount"),
        ("", "not an amount"),
        ("NaN", "not an amount"),
        ("99999999999999999", "too large"),
    ],
)
def test_parse_money_gives_clear_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_money(text)
    assert message in info.value.message
    assert info.value.field == "amount"


def test_parse_money_may_allow_zero_and_knows_zero_decimal_currencies() -> None:
    assert parse_money("0", allow_zero=True) == Money(0, "CNY")
    assert parse_money("1200", "JPY") == Money(1200, "JPY")
    with pytest.raises(InvalidAmount):
        parse_money("12.5", "JPY")


@given(st.integers(min_value=1, max_value=10**13))
def test_parse_round_trips_the_display_string(amount: int) -> None:
    money = Money(amount, "CNY")
    assert parse_money(str(money).split()[0]) == money


def test_format_money_per_locale() -> None:
    assert format_money(Money(123456, "CNY"), "zh_Hans_CN") == "¥1,234.56"
    assert format_money(Money(123456, "CNY"), "en") == "CN¥1,234.56"
    assert format_money(Money(5, "CNY"), "zh-Hans") == "¥0.05"
    assert format_money(Money(-5, "CNY"), "en").startswith("-")
    assert format_money(Money(1, "CNY"), "qq") == "CN¥0.01"
