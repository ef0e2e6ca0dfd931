"""Request parameters through the one input boundary (`market.inputs`).

`PathId` is every `{…_id:int}` path parameter: the bounds are enforced by Litestar's
signature model (→ 400) and published in the OpenAPI document, so a client (or a
fuzzer) knows the range. Litestar parses path ints with `int()`, which also reads
"١٢" or "１２"; `ascii_path_ids` (a `before_request` hook) refuses those as 404 — the
canonical URL of a thing is written in ASCII digits. It also refuses NUL bytes in query
and form values, once for every route.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.params import Parameter, PathParameter

from market.inputs import MAX_ID, InputInvalid, has_nul
from market.web.security import check_csrf_binding

PathId: TypeAlias = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
# A budget year in a path (`/finance/{year:int}`): the years the budget takes.
PathYear: TypeAlias = Annotated[int, PathParameter(ge=2000, le=2100)]


async def request_boundary(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook for every route: the CSRF cookie of a signed-in session
    is the one bound to it (market.web.security), int path parameters written in ASCII
    digits (404 otherwise), and no NUL byte in any query or form value (400) — text
    columns cannot hold one in PostgreSQL, and no person types one."""
    check_csrf_binding(request)
    numbers = [v for v in request.path_params.values() if type(v) is int]
    if numbers:
        segments = set(request.scope["path"].split("/"))
        if any(str(value) not in segments for value in numbers):
            raise NotFoundException()
    if any(has_nul(k) or has_nul(v) for k, v in request.query_params.multi_items()):
        raise InputInvalid("Remove the control characters from this text.", field="query")
    if request.method in ("POST", "PUT", "PATCH") and request.content_type[0] in _FORMS:
        form = await request.form()
        for name, value in form.multi_items():
            text = value if isinstance(value, str) else getattr(value, "filename", "") or ""
            if has_nul(text) or has_nul(name):
                raise InputInvalid("Remove the control characters from this text.", field=name)


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def cursor_parameter(description: str, *, digits: int = 9) -> Any:
    """A keyset cursor query parameter (an id or sequence number we handed out): the
    OpenAPI document gives its form; `market.cursor.decode_id` parses it."""
    return Parameter(
        required=False,
        pattern=rf"^[1-9][0-9]{{0,{digits - 1}}}$",
        max_length=digits,
        description=description,
    )


def limit_parameter(maximum: int, default: int) -> Any:
    """A page size from 1 to `maximum`."""
    return Parameter(
        required=False,
        ge=1,
        le=maximum,
        description=f"page size, 1 to {maximum} (default {default})",
    )
