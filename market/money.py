"""Money as integer minor units: the only money type above the tables.

`Money(12345, "CNY")` is ¥123.45. Arithmetic is exact and only within one currency;
floats, Decimals and bools are refused at construction. Decimal appears only at
display time (`format_money`) and in parsing user input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision

from market.errors import DomainError

# The ledger's maximum for one amount in minor units (the one definition; the ledger
# rules import it): fits a PostgreSQL BIGINT with room for sums of many amounts.
MAX_AMOUNT = 10**15
_MAX_AMOUNT_DIGITS = len(str(MAX_AMOUNT))
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class MoneyError(DomainError):
    """A money value or operation is not allowed."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were combined."""


class InvalidAmount(MoneyError):
    """User input is not an amount of money."""


@lru_cache(maxsize=64)
def currency_exponent(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 currency (CNY → 2, JPY → 0)."""
    return int(get_currency_precision(currency))


def _check_int(amount: object) -> int:
    if type(amount) is not int:  # bool, float, Decimal and int subclasses refused
        raise MoneyError(
            f"money amounts are integers in minor units, got {type(amount).__name__} {amount!r}"
        )
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount)
        if not isinstance(self.currency, str) or not _CURRENCY.match(self.currency):
            raise MoneyError(f"currency must be an ISO 4217 code like 'CNY', got {self.currency!r}")
        if abs(self.amount) > MAX_AMOUNT:
            raise MoneyError(f"amount {self.amount} is out of range")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}", field="currency"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to `weights` that add up exactly."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]

    def to_decimal(self) -> Decimal:
        """For display only: 12345 CNY → Decimal('123.45')."""
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def __str__(self) -> str:
        return f"{self.to_decimal():.{currency_exponent(self.currency)}f} {self.currency}"


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of a non-negative `amount` proportional to `weights`.

    The parts add up to `amount` exactly. Each part is floor(amount × w / Σw); the
    leftover units go one each to the largest fractional remainders, ties to the
    lower index. A zero weight always gets 0, and when amount ≤ Σw no part exceeds
    its weight (so a release never takes more than a source holds).
    """
    _check_int(amount)
    if amount < 0:
        raise MoneyError("cannot allocate a negative amount")
    for weight in weights:
        _check_int(weight)
        if weight < 0:
            raise MoneyError("allocation weights must not be negative")
    total = sum(weights)
    if total <= 0:
        if amount == 0:
            return [0 for _ in weights]
        raise MoneyError("cannot allocate over weights that are all zero")
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    leftover = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


# ASCII digits only: `\d` would also pass Arabic-Indic and full-width digits.
_DIGITS = re.compile(r"^(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]*))?$")
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")


def parse_money(text: str, currency: str = "CNY", *, allow_zero: bool = False) -> Money:
    """User input like "12.34", "1,234.5" or "¥ 12" → Money in minor units.

    Refuses negatives, more decimals than the currency has, exponents, and anything
    that is not plain digits; the error names the `amount` field.
    """
    if not isinstance(text, str):
        raise InvalidAmount("Enter the amount as text, e.g. 12.34.", field="amount")
    exponent = currency_exponent(currency)
    raw = text.strip().replace("¥", "").replace("￥", "").replace(" ", "")
    if raw.startswith("-"):
        raise InvalidAmount("The amount must be positive.", field="amount")
    if "," in raw:
        if not _GROUPED.match(raw):
            raise InvalidAmount("This is not an amount like 1,234.56.", field="amount")
        raw = raw.replace(",", "")
    match = _DIGITS.match(raw)
    if not match:
        raise InvalidAmount("This is not an amount like 12.34.", field="amount")
    frac = match.group("frac") or ""
    if len(match.group("int").lstrip("0")) > _MAX_AMOUNT_DIGITS:  # before int(): no huge ints
        raise InvalidAmount("The amount is too large.", field="amount")
    if len(frac) > exponent:
        # Messages without parameters: callers pass exc.message on as a field error.
        if exponent == 2:
            raise InvalidAmount("Amounts have at most 2 decimal places.", field="amount")
        if exponent == 0:
            raise InvalidAmount("Amounts in this currency have no decimal places.", field="amount")
        raise InvalidAmount("This amount has too many decimal places.", field="amount")
    amount = int(match.group("int")) * 10**exponent + int(frac.ljust(exponent, "0") or "0")
    if amount > MAX_AMOUNT:
        raise InvalidAmount("The amount is too large.", field="amount")
    if amount == 0 and not allow_zero:
        raise InvalidAmount("The amount must be greater than zero.", field="amount")
    return Money(amount, currency)


def format_money(money: Money, locale: str = "zh_Hans_CN") -> str:
    """Locale-aware display (the Jinja `money` filter): ¥123.45 / CN¥123.45."""
    return _formatted(money.amount, money.currency, locale)


@lru_cache(maxsize=8192)
def _formatted(amount: int, currency: str, locale: str) -> str:
    """Babel formats an amount in ~50 µs; a page shows the same few amounts again and
    again (every rendering of a cached page that went stale), so each is kept."""
    try:
        babel_locale = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        babel_locale = Locale.parse("en")
    value = Money(amount, currency).to_decimal()
    return str(format_currency(value, currency, locale=babel_locale))
