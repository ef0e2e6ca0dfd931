"""Rendering: one page = one template; htmx fragments are named blocks of it.

`render(request, "market/tenders.html", ctx, block="results")` returns the whole
page for a plain browser and only the named block for an htmx request that is not
boosted. Responses carry `Vary: HX-Request` so caches keep the two apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2_fragments
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    nodes,
    select_autoescape,
)
from litestar import Request, Response
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from market import clock, labels
from market.settings import get_settings
from market.web import assets, i18n

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
HTMX_FILE = "htmx-2.0.11.min.js"
ZONE = ZoneInfo("Asia/Shanghai")  # the district's time, in which every time is shown

_filters: dict[str, Any] = {}
_globals: dict[str, Any] = {}


def template_filter(name: str) -> Any:
    """Register a Jinja filter from any app (e.g. `money`)."""

    def register(fn: Any) -> Any:
        _filters[name] = fn
        if _env is not None:
            _env.filters[name] = fn
        return fn

    return register


def template_global(name: str, value: Any) -> None:
    _globals[name] = value
    if _env is not None:
        _env.globals[name] = value


_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            auto_reload=get_settings().dev,
        )
        env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
        )
        env.globals.update(
            htmx_file=HTMX_FILE,
            static_url=assets.static_url,
            languages=i18n.LANGUAGE_NAMES,
            querystring=querystring,
            label=labels.label,
            names=labels.names,
            title_in=labels.title_in,
            name_in=labels.name_in,
            reference=labels.reference,
        )
        env.globals.update(_globals)
        env.filters.update(_filters)
        env.filters["datetime"] = format_datetime
        env.filters["date"] = format_date
        env.filters["duration"] = format_duration
        _env = env
    return _env


def querystring(params: dict[str, Any], **changes: Any) -> str:
    """Rebuild a query string with some parameters changed (None removes one)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged, doseq=True)


def format_datetime(value: Any) -> str:
    if value is None:
        return ""
    return _datetime_in(value, i18n.current())


def format_date(value: Any) -> str:
    if value is None:
        return ""
    return _date_in(value, i18n.current())


# Babel takes ~50 µs for a date; pages show the same dates again and again.
@lru_cache(maxsize=8192)
def _datetime_in(value: Any, language: str) -> str:
    from babel.dates import format_datetime as babel_format

    return babel_format(value, "medium", tzinfo=ZONE, locale=i18n.locale_of(language))


@lru_cache(maxsize=8192)
def _date_in(value: Any, language: str) -> str:
    from babel.dates import format_date as babel_format

    if hasattr(value, "astimezone"):
        value = value.astimezone(ZONE).date()
    return babel_format(value, "medium", locale=i18n.locale_of(language))


DURATION_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def format_duration(value: timedelta) -> str:
    """A span of time exactly, to the whole second, in the user's language: "3 days",
    "10 hours, 17 minutes, 8 seconds", "3分钟". Every non-zero unit is named (a
    sandbox tender's accelerated windows are seldom whole days)."""
    from babel.dates import format_timedelta
    from babel.lists import format_list

    locale = i18n.babel_locale()
    left = max(int(value.total_seconds()), 1)  # a span shown is never "0 seconds"
    parts = []
    for unit, seconds in DURATION_UNITS:
        count, left = divmod(left, seconds)
        if count:
            part = timedelta(seconds=count * seconds)
            parts.append(format_timedelta(part, threshold=1, granularity=unit, locale=locale))
    return format_list(parts, style="unit", locale=locale)


def wants_fragment(headers: Mapping[str, str]) -> bool:
    """htmx wants only a fragment: not boosted, and not restoring history (full page
    then). `headers` by lower-case name."""
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def is_fragment_request(request: Request[Any, Any, Any]) -> bool:
    return wants_fragment(request.headers)


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    token = ScopeState.from_scope(request.scope).csrf_token
    token = token if isinstance(token, str) else ""
    return {
        "request": request,
        "principal": request.scope.get("state", {}).get("principal"),
        "unread": request.scope.get("state", {}).get("unread", 0),
        "csrf_token": token,
        "csrf_input": Markup('<input type="hidden" name="_csrf_token" value="{}">').format(token),
        "lang": i18n.current(),
        "settings": get_settings(),
        "now": clock.now(),
        "flash": request.session.pop("flash", None) if request.scope.get("session") else None,
    }


def render_block(template_name: str, block: str, context: dict[str, Any]) -> str:
    """One named block of a template, as htmx fragments are rendered (jinja2-fragments),
    with the names the template imports at its top visible inside the block."""
    env = environment()
    context = {**context, **_top_level_imports(env, template_name, context)}
    return jinja2_fragments.render_block(env, template_name, block, context)


_IMPORTS: dict[Template, list[nodes.Import | nodes.FromImport]] = {}


def _top_level_imports(env: Environment, name: str, context: dict[str, Any]) -> dict[str, Any]:
    """`{% import "x" as m %}` / `{% from "x" import a %}` at a template's top level,
    resolved as Jinja would (with or without the context), through public APIs only."""
    template = env.get_template(name)
    statements = _IMPORTS.get(template)
    if statements is None:
        assert env.loader is not None  # noqa: S101 - set in environment()
        source, _, _ = env.loader.get_source(env, name)
        body = env.parse(source).body
        statements = [n for n in body if isinstance(n, nodes.Import | nodes.FromImport)]
        _IMPORTS[template] = statements
    names: dict[str, Any] = {}
    for node in statements:
        if not isinstance(node.template, nodes.Const):
            continue
        imported = env.get_template(node.template.value, parent=name)
        module = imported.make_module(context) if node.with_context else imported.module
        if isinstance(node, nodes.Import):
            names[node.target] = module
        else:
            for entry in node.names:
                attr, alias = entry if isinstance(entry, tuple) else (entry, entry)
                names[alias] = getattr(module, attr)
    return names


def render(
    request: Request[Any, Any, Any],
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    template = environment().get_template(template_name)
    full_context = {**base_context(request), **(context or {})}
    if block is not None and is_fragment_request(request):
        body = render_block(template_name, block, full_context)
    else:
        body = template.render(full_context)
    response_headers = {"Vary": "HX-Request", **(headers or {})}
    return Response(body, status_code=status, media_type="text/html", headers=response_headers)


def flash(request: Request[Any, Any, Any], message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"message": message, "kind": kind}


def see_other(path: str) -> Redirect:
    """303 after a successful POST (the browser then GETs the page)."""
    return Redirect(path=path, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths are followed after log-in (no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
