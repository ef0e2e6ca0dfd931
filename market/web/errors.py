"""The one map from exceptions to responses.

API paths get JSON in one shape, `ErrorBody` (documented in the OpenAPI document by
`error_responses`); htmx requests get the message as a small fragment with the status
code; plain browsers get an error page (or the log-in page for 401). Each carries the
request's id (`market.web.request_context`), for the person to quote. Headers an
exception carries (`Allow` on 405, `Retry-After` on 429) are kept.

A database that cannot be reached (`market.db.unavailable`: down, restarting, the
connection lost mid-request) is not a bug: 503 with `Retry-After`, in all three
shapes, logged as a warning without the traceback. Nothing was committed then: a
transaction that lost its connection is rolled back by the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect

from market import labels
from market.db import unavailable
from market.errors import DomainError, ValidationFailed
from market.web import i18n
from market.web.auth import activate_reader_language
from market.web.render import is_fragment_request, render
from market.web.request_context import request_id_of

log = logging.getLogger("market.web")


@dataclass
class ErrorBody:
    """Every JSON error: a translated message, the status code, and for form or
    parameter errors the field concerned (`field`) or all of them (`errors`)."""

    error: str
    status: int
    field: str | None = None
    errors: dict[str, str] | None = None
    request_id: str | None = None  # also the X-Request-ID header: quote it to operators


_DESCRIPTIONS = {
    400: "A parameter is not in the accepted form or range",
    401: "Not signed in",
    403: "Not allowed",
    404: "No such resource",
    409: "Conflicts with the current state",
    422: "A rule refused the request",
    429: "Too many requests",
    503: "Temporarily unavailable (the database cannot be reached); retry after Retry-After",
}

RETRY_AFTER_SECONDS = 5


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The `responses=` of an API handler: each error status it can answer, as ErrorBody
    (503, the database unreachable, can be the answer of every one)."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody, description=_DESCRIPTIONS[code], generate_examples=False
        )
        for code in sorted({*codes, 503})
    }


# msgids (extracted by market/web/i18n_extract.py: a constant dict of sentences).
HTTP_MESSAGES = {
    401: "Please log in to continue.",
    403: "You do not have permission to do this.",
    404: "Page not found.",
    405: "This action is not allowed here.",
}


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(("/api/", "/ocds/", "/360giving/", "/webhooks/"))


def field_messages(exc: ValidationFailed) -> dict[str, str]:
    """Each field's msgid translated, then its parameters filled in as the reader
    should see them (`labels.error_param`: amounts in the page's language)."""
    params: dict[str, dict[str, object]] = getattr(exc, "field_params", {})
    out = {}
    for name, message in exc.errors.items():
        text = i18n.gettext(message)
        given = params.get(name)
        out[name] = (
            text % {k: labels.error_param(k, v) for k, v in given.items()} if given else text
        )
    return out


def translated(error: DomainError) -> str:
    text = i18n.gettext(error.message)
    if not error.params:
        return text
    return text % {name: labels.error_param(name, value) for name, value in error.params.items()}


def _respond(
    request: Request[Any, Any, Any],
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    field: str | None = None,
) -> Response[Any]:
    request_id = request_id_of(request.scope)
    if "principal" not in request.scope.get("state", {}):  # no route took it: reader's language
        activate_reader_language(request.scope)
    if _is_api(request):
        body: dict[str, Any] = {"error": message, "status": status, "request_id": request_id}
        if field:
            body["field"] = field
        return Response(body, status_code=status, headers=headers)
    context = {"status": status, "message": message, "request_id": request_id}
    if is_fragment_request(request):
        response = render(request, "error.html", context, block="error", status=status)
    else:
        response = render(request, "error.html", context, status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_CURSORS = ("before", "after")


def _invalid_parameter(
    request: Request[Any, Any, Any], exc: ValidationException
) -> tuple[str, str | None]:
    """Litestar's parameter validation (400) as one translated sentence naming the field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    keys = [str(e.get("key")) for e in extra if isinstance(e, dict) and e.get("key")]
    if not keys:
        return i18n.gettext("The request could not be understood."), None
    key = keys[0]
    if key in _CURSORS:
        cursor = str(request.query_params.get(key, ""))[:40]
        return i18n.gettext("The page cursor %(cursor)s is not valid.") % {"cursor": cursor}, key
    return i18n.gettext("The value of %(name)s is not valid.") % {"name": key}, key


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if _is_api(request):
        body: dict[str, Any] = {
            "error": translated(exc),
            "status": exc.status_code,
            "request_id": request_id_of(request.scope),
        }
        if exc.field:
            body["field"] = exc.field
        if isinstance(exc, ValidationFailed) and exc.errors:
            body["errors"] = field_messages(exc)
            body["error"] = "; ".join(body["errors"].values())
        return Response(body, status_code=exc.status_code)
    return _respond(request, exc.status_code, translated(exc))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if (
        isinstance(exc, NotAuthorizedException)
        and not _is_api(request)
        and request.method == "GET"
        and not is_fragment_request(request)
    ):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target)}", status_code=303)
    headers = {k: str(v) for k, v in (exc.headers or {}).items()}
    if isinstance(exc, ValidationException):
        message, field = _invalid_parameter(request, exc)
        return _respond(request, 400, message, headers, field)
    if exc.status_code == 403 and "csrf" in str(exc.detail).lower():
        message = i18n.gettext(
            "The form expired or was sent from elsewhere. Reload the page and try again."
        )
    elif exc.status_code in HTTP_MESSAGES:
        message = i18n.gettext(HTTP_MESSAGES[exc.status_code])
    else:
        message = str(exc.detail)
    if exc.status_code == 400 and not _is_api(request):
        message = i18n.gettext("The request could not be understood: %(detail)s") % {
            "detail": exc.detail
        }
    return _respond(request, exc.status_code, message, headers)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if unavailable(exc):
        log.warning(
            "database unavailable on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        message = i18n.gettext(
            "The service is temporarily unavailable. Please try again in a few seconds."
        )
        return _respond(request, 503, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(
        request, 500, i18n.gettext("Something went wrong on our side. Please try again.")
    )
