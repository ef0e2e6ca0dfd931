"""The one input boundary: bounded parsers for every id, count, date and text a request
carries (page cursors: `market.cursor`, built on these). PURE (no framework imports).

Every parser accepts ASCII digits only (``str.isdigit`` also passes "²", Arabic-Indic
and full-width digits), checks the length before calling ``int`` (so no value can reach
Python's 4,300-digit limit), keeps ids within a PostgreSQL BIGINT and dates within a
sane window, and refuses with an `InputInvalid` (400) naming the field — never a
ValueError or OverflowError that would become a 500.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from market.errors import DomainError

MAX_ID = 2**31 - 1  # row ids are Serial: INTEGER in PostgreSQL
MAX_BIGINT = 2**63 - 1  # sequence numbers and transfer ids are BigInt / BigSerial
MIN_YEAR = 2000
MAX_YEAR = 2100
_ASCII_DIGITS = re.compile(r"[0-9]+")


class InputInvalid(DomainError):
    """A request parameter or form value is not in the accepted form or range."""

    status_code = 400


def is_ascii_digits(text: str) -> bool:
    """'123' → True; '', '1.5', '²', '١٢', '１２' and ' 1' → False."""
    return isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) is not None


def parse_int(text: object, *, field: str, minimum: int, maximum: int) -> int:
    """A whole number from minimum to maximum written in ASCII digits."""
    raw = text.strip() if isinstance(text, str) else ""
    short = is_ascii_digits(raw) and len(raw.lstrip("0")) <= max(len(str(maximum)), 1)
    value = int(raw) if short else None  # the length is checked before int(): no huge ints
    if value is None or not minimum <= value <= maximum:
        raise InputInvalid(
            "%(name)s must be a whole number from %(min)s to %(max)s.",
            field=field,
            name=field,
            min=minimum,
            max=maximum,
        )
    return value


def _in_range(text: str, maximum: int) -> bool:
    digits = text.lstrip("0")
    return len(digits) <= len(str(maximum)) and 0 < int(text) <= maximum


def parse_id(text: object, *, field: str = "id", maximum: int = MAX_ID) -> int:
    """A database id: 1 to `maximum` (a Serial's range) in ASCII digits."""
    raw = text.strip() if isinstance(text, str) else ""
    if not is_ascii_digits(raw) or not _in_range(raw, maximum):
        raise InputInvalid("%(name)s is not a valid id.", field=field, name=field)
    return int(raw)


def parse_optional_id(text: str | None, *, field: str = "id") -> int | None:
    """An optional id: missing or blank → None."""
    if text is None or text.strip() == "":
        return None
    return parse_id(text, field=field)


def parse_limit(text: str | None, *, default: int, maximum: int, field: str = "limit") -> int:
    """A page size from 1 to `maximum`; blank → `default`."""
    if text is None or text == "":
        return default
    if not is_ascii_digits(text) or len(text) > 6 or not 1 <= int(text) <= maximum:
        raise InputInvalid(
            "The page size must be a whole number from 1 to %(max)d.", field=field, max=maximum
        )
    return int(text)


def check_year(value: date, *, field: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InputInvalid(
            "Enter a date between the years %(min)s and %(max)s.",
            field=field,
            min=MIN_YEAR,
            max=MAX_YEAR,
        )


def parse_date(text: object, *, field: str) -> date:
    """'2026-12-01' → a date within the years 2000–2100."""
    raw = text.strip() if isinstance(text, str) else ""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise InputInvalid("Enter a date like 2026-12-01.", field=field)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise InputInvalid("Enter a date like 2026-12-01.", field=field) from None
    check_year(value, field=field)
    return value


_LOCAL_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")


def parse_local_datetime(text: object, zone: ZoneInfo, *, field: str) -> datetime:
    """'2026-12-01T17:00' (a datetime-local input, wall time in `zone`) → aware UTC,
    within the years 2000–2100."""
    raw = text.strip() if isinstance(text, str) else ""
    if not _LOCAL_DATETIME.fullmatch(raw):
        raise InputInvalid("Enter a date and time, e.g. 2026-12-01 17:00.", field=field)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InputInvalid("Enter a date and time, e.g. 2026-12-01 17:00.", field=field) from None
    check_year(value, field=field)
    return value.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


# For the OpenAPI document: a free-text query value may hold anything but a NUL byte,
# which the input boundary refuses with a 400 (so the schema must not call it valid).
NO_NUL_PATTERN = r"^[^\x00]*$"


def has_nul(text: str) -> bool:
    return "\x00" in text


def clean_text(text: object, *, field: str, max_length: int) -> str:
    """Free text from a form: stripped, at most `max_length` characters, no NUL bytes."""
    raw = text.strip() if isinstance(text, str) else ""
    if has_nul(raw):
        raise InputInvalid("Remove the control characters from this text.", field=field)
    if len(raw) > max_length:
        raise InputInvalid(
            "This text can be at most %(max)d characters.", field=field, max=max_length
        )
    return raw
