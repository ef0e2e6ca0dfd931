"""The one page-cursor codec. PURE (no framework imports).

A keyset page ends at a row; its cursor is that row's sort key — one or more whole
numbers (an id or a sequence number; for the tender list a publication time in
microseconds and an id) written in ASCII digits joined by "." (`42`,
`1764201600000000.42`). `encode` writes one. `decode` reads one back, checking each
number's length before `int()` and then its range, and refuses anything this site does
not hand out with `CursorInvalid` (400, naming the query parameter): other characters
(superscript, full-width or Arabic-Indic digits, signs, spaces), too many or too few
parts, a number out of range. A blank cursor is the first page. `decode_id` is the
one-number form that every id and sequence cursor uses.

`read` is the same check without the refusal (None for anything malformed), for a
list that starts from its first page on a cursor it did not hand out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from market.inputs import MAX_ID, InputInvalid, is_ascii_digits

MESSAGE = "The page cursor %(cursor)s is not valid."
SEPARATOR = "."


@dataclass(frozen=True, slots=True)
class Key:
    """One number of a cursor: from `lowest` to `highest`."""

    lowest: int
    highest: int


ID = Key(1, MAX_ID)


class CursorInvalid(InputInvalid):
    """A page cursor this site did not hand out (400)."""


def encode(*numbers: int) -> str:
    """The cursor of a row whose sort key is `numbers` (each a whole number ≥ 0)."""
    if not numbers or any(isinstance(n, bool) or n < 0 for n in numbers):
        raise ValueError(f"a cursor is one or more whole numbers ≥ 0, got {numbers!r}")
    return SEPARATOR.join(str(n) for n in numbers)


def _number(part: str, key: Key) -> int | None:
    fits = is_ascii_digits(part) and len(part.lstrip("0")) <= len(str(key.highest))
    value = int(part) if fits else None  # the length is checked before int(): no huge ints
    return value if value is not None and key.lowest <= value <= key.highest else None


def read(text: str | None, keys: Sequence[Key]) -> tuple[int, ...] | None:
    """The numbers of a cursor shaped as `keys`, or None if it is blank or malformed."""
    parts = (text or "").split(SEPARATOR)
    if len(parts) != len(keys):
        return None
    numbers = tuple(_number(part, key) for part, key in zip(parts, keys, strict=True))
    return None if None in numbers else tuple(n for n in numbers if n is not None)


def decode(
    text: str | None, keys: Sequence[Key], *, field: str = "before", message: str = MESSAGE
) -> tuple[int, ...] | None:
    """The numbers of a cursor shaped as `keys`; None (the first page) when blank.
    Anything else that is not a cursor of this shape is refused: `CursorInvalid`."""
    if text is None or text == "":
        return None
    numbers = read(text, keys)
    if numbers is None:
        raise CursorInvalid(message, field=field, cursor=text[:40])
    return numbers


def decode_id(
    text: str | None, *, field: str = "before", maximum: int = MAX_ID, message: str = MESSAGE
) -> int | None:
    """A cursor that is an id or sequence number we handed out (1 to `maximum`)."""
    numbers = decode(text, (Key(1, maximum),), field=field, message=message)
    return numbers[0] if numbers else None
