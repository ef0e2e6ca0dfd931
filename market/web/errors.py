"""The one map from exceptions to responses.

API paths get JSON; htmx requests get the message as a small fragment with the
status code; plain browsers get an error page (or the log-in page for 401).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect

from market import labels
from market.errors import DomainError
from market.web import i18n
from market.web.render import is_fragment_request, render

log = logging.getLogger("market.web")


# msgids (extracted by market/web/i18n_extract.py: a constant dict of sentences).
HTTP_MESSAGES = {
    401: "Please log in to continue.",
    403: "You do not have permission to do this.",
    404: "Page not found.",
    405: "This action is not allowed here.",
}


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(("/api/", "/ocds/", "/360giving/", "/webhooks/"))


def translated(error: DomainError) -> str:
    text = i18n.gettext(error.message)
    if not error.params:
        return text
    return text % {name: labels.error_param(name, value) for name, value in error.params.items()}


def _respond(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    if _is_api(request):
        return Response({"error": message, "status": status}, status_code=status)
    if is_fragment_request(request):
        return render(
            request,
            "error.html",
            {"status": status, "message": message},
            block="error",
            status=status,
        )
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if _is_api(request):
        body: dict[str, Any] = {"error": translated(exc), "status": exc.status_code}
        if exc.field:
            body["field"] = exc.field
        errors = getattr(exc, "errors", None)
        if errors:
            body["errors"] = {k: i18n.gettext(v) for k, v in errors.items()}
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
    return _respond(request, exc.status_code, message)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(
        request, 500, i18n.gettext("Something went wrong on our side. Please try again.")
    )
