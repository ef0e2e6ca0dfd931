"""Babel extraction for Python messages that are not wrapped in `_()`.

Services raise `DomainError("English msgid", **params)` and return field errors as
`{"field": "English msgid"}`; the web layer translates them at render time. This
extractor collects those msgids: the first argument of any call whose name ends in
`Error`, `Failed`, `NotFound`, `Denied`, `Conflict`, `Transition`,
`Invalid`, `Amount`, `Mismatch` or is `_`/`N_`/`gettext`, the `message=` of
`as_field_error`, the string values of dict literals passed to `ValidationFailed` or
assigned into an `errors[...]` mapping, and sentences assigned to UPPER_CASE constants.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import IO, Any

CALL_SUFFIXES = (
    "Error",
    "Failed",
    "NotFound",
    "Denied",
    "Conflict",
    "Transition",
    "Invalid",
    "Amount",
    "Mismatch",
)
MARKERS = {"_", "N_", "gettext", "single"}
# `with as_field_error(InvalidAmount, field="amount", message="..."):` (form_errors.py)
FIELD_ERROR_CALLS = {"as_field_error"}

Message = tuple[int, str, str, list[str]]


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.lineno, node.value
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _strings(value)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _messages(tree: ast.AST) -> Iterator[tuple[int, str, bool]]:
    """(line, text, marked): marked texts were wrapped in `_()`/`N_()`/`gettext()`
    by hand and are messages even when they are one word ("Donation")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MARKERS and name == "single" and len(node.args) >= 2:
                yield from _marked(_strings(node.args[1]), False)
            elif name in MARKERS and node.args:
                yield from _marked(_strings(node.args[0]), True)
            elif name.endswith(CALL_SUFFIXES) or name in FIELD_ERROR_CALLS:
                for arg in node.args[:1]:
                    yield from _marked(_strings(arg), False)
                for keyword in node.keywords:
                    if keyword.arg in ("message", "errors"):
                        yield from _marked(_strings(keyword.value), False)
        elif isinstance(node, ast.Assign) and any(
            _is_message_target(target, node.value) for target in node.targets
        ):
            yield from _marked(_strings(node.value), False)


def _marked(found: Iterator[tuple[int, str]], marked: bool) -> Iterator[tuple[int, str, bool]]:
    for lineno, text in found:
        yield lineno, text, marked


def _is_message_target(target: ast.AST, value: ast.AST) -> bool:
    """`errors["x"] = "..."`, `SOME_MESSAGE = "A sentence."` or a constant dict of sentences."""
    if isinstance(target, ast.Subscript):
        return _name(target.value).endswith("errors")
    if not (isinstance(target, ast.Name) and target.id.isupper()):
        return False
    if isinstance(value, ast.Dict):  # DONE = {"verify": "Organization verified.", ...}
        return bool(value.values) and all(_is_sentence(v) for v in value.values)
    return _is_sentence(value)


def _is_sentence(value: ast.AST) -> bool:
    return (
        isinstance(value, ast.Constant)
        and isinstance(value.value, str)
        and value.value.rstrip().endswith((".", "?", "!"))
    )


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Message]:
    """Babel extraction method: `[market.web.i18n_extract:extract: market/**.py]`."""
    tree = ast.parse(fileobj.read())
    seen: set[str] = set()
    for lineno, text, marked in _messages(tree):
        if text.strip() and text not in seen and (marked or " " in text.strip()):
            seen.add(text)
            yield lineno, "", text, []
