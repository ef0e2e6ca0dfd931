"""Helpers for driving the HTML forms in tests: CSRF tokens, log-in, and filling a
page's own form (its action, method, hidden fields and defaults) as a person would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """GET a page that carries a form and return the token rendered in it."""
    response = await client.get(path)
    match = TOKEN_RE.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, str],
    *,
    htmx: bool = False,
    token_from: str = "/login",
) -> httpx.Response:
    token = await csrf_token(client, token_from)
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(path, data={**data, "_csrf_token": token}, headers=headers)


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


# --- filling a page's form as a person would ------------------------------------------


@dataclass
class Control:
    """One control of a form, as the browser sees it."""

    tag: str  # input, textarea, select
    name: str
    type: str = "text"
    value: str = ""
    checked: bool = False
    required: bool = False
    disabled: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class Form:
    """A parsed `<form>`: where it goes and what a browser would send without typing."""

    action: str
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    @property
    def names(self) -> set[str]:
        return {c.name for c in self.controls if c.name}

    def defaults(self) -> dict[str, list[str]]:
        """What the form submits untouched: hidden and prefilled values, checked boxes,
        each select's selected (else first) option; file inputs and disabled controls
        send nothing here."""
        sent: dict[str, list[str]] = {}
        for c in self.controls:
            if not c.name or c.disabled or c.type in ("file", "submit", "button", "reset"):
                continue
            if c.type in ("checkbox", "radio"):
                if c.checked:
                    sent.setdefault(c.name, []).append(c.value or "on")
                continue
            if c.tag == "select":
                chosen = [v for v, selected in c.options if selected] or [
                    v for v, _ in c.options[:1]
                ]
                sent.setdefault(c.name, []).extend(chosen[:1])
                continue
            sent.setdefault(c.name, []).append(c.value)
        return sent

    def fill(self, values: dict[str, str], *, complete: bool = True) -> dict[str, list[str]]:
        """The defaults with these fields typed in (or these radios/options chosen).
        A field the form does not have is an error: a person can only fill what is
        there. Every required text control must end up non-empty (unless `complete` is
        False: a test of what happens when one is left out)."""
        missing = set(values) - self.names
        assert not missing, f"{self.action} has no field(s) {sorted(missing)}"
        data = self.defaults()
        for name, value in values.items():
            control = next(c for c in self.controls if c.name == name)
            if control.type == "radio":
                assert value in {c.value for c in self.controls if c.name == name}, (name, value)
            if control.tag == "select":
                assert value in {v for v, _ in control.options}, (name, value)
            data[name] = [value]
        empty = [
            c.name
            for c in self.controls
            if c.required
            and c.type not in ("file", "checkbox", "radio")
            and not any(v.strip() for v in data.get(c.name, []))
        ]
        assert not empty or not complete, f"required field(s) left empty on {self.action}: {empty}"
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Control | None = None
        self._select: Control | None = None
        self._option: list[Any] | None = None
        self.loose: list[Control] = []  # controls outside any form (none expected)

    def _add(self, control: Control) -> None:
        (self._form.controls if self._form else self.loose).append(control)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self._form)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image") and self._form and a.get("name"):
                self._form.buttons.append((a["name"], a.get("value", "")))
                return
            self._add(
                Control(
                    "input",
                    a.get("name", ""),
                    kind,
                    a.get("value", ""),
                    checked="checked" in a,
                    required="required" in a,
                    disabled="disabled" in a,
                )
            )
        elif tag == "button" and self._form and a.get("name"):
            self._form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = Control(
                "textarea", a.get("name", ""), "textarea", "", required="required" in a
            )
            self._add(self._textarea)
        elif tag == "select":
            self._select = Control("select", a.get("name", ""), "select", required="required" in a)
            self._add(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser drops one newline right after <textarea>.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "option" and self._select is not None and self._option is not None:
            value, selected, text = self._option
            self._select.options.append((text.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select":
            self._select = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, action: str, *, button: tuple[str, str] | None = None) -> Form:
    """The form posting to `action` (with this named button, if several do)."""
    forms = [f for f in parse_forms(html) if f.action == action]
    if button is not None:
        forms = [f for f in forms if button in f.buttons]
    assert forms, f"no form posting to {action} on the page"
    return forms[0]


def none_values(html: str) -> list[str]:
    """Names of inputs, textareas and selected options whose value is the word None."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    controls = [c for f in parser.forms for c in f.controls] + parser.loose
    found = [c.name for c in controls if c.value.strip() == "None"]
    found += [
        c.name for c in controls for value, selected in c.options if selected and value == "None"
    ]
    return found


async def submit(
    client: httpx.AsyncClient,
    page: httpx.Response | str,
    action: str,
    values: dict[str, str] | None = None,
    *,
    button: tuple[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    htmx: bool = False,
    complete: bool = True,
) -> httpx.Response:
    """Fill the page's form posting to `action` and send it as the browser would: its
    hidden fields (CSRF token included) and defaults, these values typed in, the named
    button pressed. `complete=False` allows leaving a required field empty on purpose."""
    html = page if isinstance(page, str) else page.text
    assert not none_values(html), f"fields showing None: {none_values(html)}"
    form = find_form(html, action, button=button)
    data = form.fill(values or {}, complete=complete)
    if button is not None:
        data.setdefault(button[0], []).append(button[1])
    headers = {"HX-Request": "true"} if htmx else {}
    method = form.method.upper()
    if method == "GET":
        return await client.get(form.action, params=data, headers=headers)
    multipart = form.enctype == "multipart/form-data"
    return await client.post(
        form.action,
        data=data,
        files=files if multipart and files else None,
        headers=headers,
    )


def none_texts(row: dict[str, Any]) -> list[str]:
    """Columns of a stored row whose text holds the word None (str(None) leaked in)."""
    return [k for k, v in row.items() if isinstance(v, str) and "None" in v]


class _TagParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def error_problems(html: str) -> list[str]:
    """What keeps a form's errors from being announced and tied to their fields: a
    field error without an id or that no control points at (aria-describedby), a
    control marked invalid without a description, a description naming no element,
    or errors on the page without a role=alert block."""
    parser = _TagParser()
    parser.feed(html)
    ids = {a["id"] for _, a in parser.tags if a.get("id")}
    described = {
        ref
        for tag, a in parser.tags
        if tag in ("input", "select", "textarea", "button", "fieldset")
        for ref in a.get("aria-describedby", "").split()
    }
    problems = []
    errors = [a for _, a in parser.tags if "field-error" in a.get("class", "").split()]
    for a in errors:
        if not a.get("id"):
            problems.append("a field error without an id")
        elif a["id"] not in described:
            problems.append(f"no control points at #{a['id']}")
    for tag, a in parser.tags:
        if a.get("aria-invalid") == "true" and not a.get("aria-describedby"):
            problems.append(f"<{tag} name={a.get('name')}> is invalid without a description")
    problems += [f"aria-describedby names no #{ref}" for ref in described - ids]
    if errors and not any(a.get("role") == "alert" for _, a in parser.tags):
        problems.append("errors on the page but no role=alert")
    return problems
