"""Reading pages as a browser does: the links on a page and what a form would submit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # submitted as-is
    radios: dict[str, list[str]] = field(default_factory=dict)  # name → values offered
    submit: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    def values(self, **chosen: str) -> dict[str, str]:
        """What the browser submits with the defaults, overridden by `chosen`."""
        data = dict(self.fields)
        data.update(chosen)
        return data


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.alternates: list[tuple[str, str, str]] = []  # <link rel=alternate>: type, title, href
        self.forms: dict[str, Form] = {}
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "link" and "alternate" in a.get("rel", "").lower().split():
            self.alternates.append((a.get("type", ""), a.get("title", ""), a.get("href", "")))
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms[a.get("id") or f"form{len(self.forms)}"] = self._form
        elif self._form is None:
            return
        elif tag == "input":
            name, kind = a.get("name"), a.get("type", "text")
            if not name:
                return
            if kind in ("radio", "checkbox"):
                if kind == "radio":
                    self._form.radios.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image", "file"):
                if kind == "submit":
                    self._form.submit.append((name, a.get("value", "")))
            else:
                self._form.fields.append((name, a.get("value", "")))
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self._form.submit.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select[1].append(value)
            if "selected" in a:
                self._select[2].append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, selected = self._select
            chosen = selected[:1] or options[:1]
            self._form.fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def links(html: str, base: str = "/") -> list[str]:
    """Same-site paths (with query) the page links to, in order, without fragments."""
    found = []
    for href in read(html).links:
        url = urlsplit(urljoin("http://testserver" + base, href))
        if url.scheme not in ("http", "https") or url.netloc != "testserver":
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def feeds(html: str, base: str) -> list[tuple[str, str]]:
    """(title, absolute URL) of each Atom feed the page advertises in its <head>, as a
    feed reader discovers them (`base` is the page's URL)."""
    return [
        (title, urljoin(base, href))
        for kind, title, href in read(html).alternates
        if kind.lower() == "application/atom+xml" and href
    ]


def form(html: str, form_id: str) -> Form:
    forms = read(html).forms
    assert form_id in forms, f"no form #{form_id} on the page (forms: {sorted(forms)})"
    return forms[form_id]


def varies_on(headers: Mapping[str, str]) -> set[str]:
    """The request headers a response says it varies on (`Vary`), as a set."""
    return {value.strip() for value in headers.get("vary", "").split(",") if value.strip()}
