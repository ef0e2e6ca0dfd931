"""How a message reads: its kind's renderer (subject, plain text, an HTML fragment) in
the recipient's language, and the e-mail layout that wraps a notification (both filled
by composition.wiring; the kernel knows neither the kinds nor their layout)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str = ""  # an escaped HTML fragment; "" → the layout shows the text


Renderer = Callable[[Mapping[str, Any], str], Rendered]  # (params, lang) → message
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """How messages of `kind` read, in a language (filled by composition.wiring)."""
    _RENDERERS[kind] = renderer


def render(
    kind: str, params: Mapping[str, Any], lang: str, *, subject: str = "", body: str = ""
) -> Rendered:
    """A message's subject and text: a raw e-mail's own, else its kind's renderer's."""
    if kind == "raw":
        return Rendered(subject, body)
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        raise LookupError(f"no renderer registered for outbox kind {kind!r}")
    return renderer(params, lang)


@dataclass(frozen=True, slots=True)
class Addressed:
    """A notification e-mail being written: to whom, about what, pointing where."""

    key: str
    kind: str
    recipient: str  # the e-mail address
    user_id: int | None  # None: someone known only by address
    lang: str
    link: str  # a site path ("" when it points nowhere)


@dataclass(frozen=True, slots=True)
class Letter:
    """An e-mail's content: subject, the plain-text part, the HTML part ("" for a
    plain-text e-mail) and headers of its own (e.g. List-Unsubscribe)."""

    subject: str
    text: str
    html: str = ""
    headers: tuple[tuple[str, str], ...] = ()


Layout = Callable[[Addressed, Rendered], Letter]
_LAYOUTS: list[Layout] = []  # at most one


def register_layout(layout: Layout) -> None:
    """What wraps a rendered notification into an e-mail (filled by composition.wiring)."""
    _LAYOUTS[:] = [layout]


def letter(addressed: Addressed, rendered: Rendered) -> Letter:
    """A notification's e-mail: the registered layout's, or its plain text without one.
    A raw e-mail (kind "raw") is always its own plain text."""
    if addressed.kind == "raw" or not _LAYOUTS:
        return Letter(rendered.subject, rendered.text)
    return _LAYOUTS[0](addressed, rendered)
