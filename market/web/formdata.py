"""Reading submitted HTML forms: the one way controllers take text out of a form.

A field that is missing, None or not text (an upload where text was expected) reads
as the default — never as `str(None)`, so no stored text can become the word "None"
because a field was left out. Values are returned as submitted (not stripped: the
services strip and validate, and passwords must stay as typed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def text(form: Any, name: str, default: str = "") -> str:
    """The text of one field, or `default` when it is missing, None or not text."""
    value = form.get(name)
    return value if isinstance(value, str) else default


def optional(form: Any, name: str) -> str | None:
    """The stripped text of an optional field, or None when it is missing or blank."""
    return text(form, name).strip() or None


def texts(form: Any, names: Iterable[str], *, strip: bool = False) -> dict[str, str]:
    """Several fields at once (each as `text`), optionally stripped."""
    return {name: text(form, name).strip() if strip else text(form, name) for name in names}


def whole_number(form: Any, name: str) -> int | None:
    """A hidden id field as an int, or None when it is missing or not a plain number
    (so a tampered field is a 4xx further on, never a ValueError)."""
    value = text(form, name).strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def all_texts(form: Any, *, exclude: Iterable[str] = ("_csrf_token",)) -> dict[str, str]:
    """Every text field of the form (uploads left out), e.g. for rows of a variable table."""
    skip = set(exclude)
    return {name: text(form, name) for name in form if name not in skip}
