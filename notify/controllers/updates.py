"""Project updates on the web: the contracted organization's page where it posts them
(`/contracts/{id}/updates`: the form and what it posted so far) and the photos
(`/updates/photos/{id}`: public once the update is, cached for good — a photo never
changes). Who may post is checked by the guard (a verified social organization's
member) and again by the service (a member of this contract's organization).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from market.controllers.organizations import signed_in
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_social_org
from market.web.form_errors import shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other
from notify import update_pages, updates
from notify.photos import MAX_BYTES
from notify.update_rules import MAX_PHOTOS, PhotoUpload

Req = Request[Any, Any, Any]
PAGE = "notify/updates.html"
TEXTS = ("title_zh", "body_zh", "title_en", "body_en")
ALTS = tuple(f"alt-{slot}" for slot in range(1, MAX_PHOTOS + 1))
# The photos at their cap and the texts: what one form may weigh.
MAX_BODY = MAX_PHOTOS * MAX_BYTES + 1024 * 1024


async def photo_uploads(form: Any) -> list[PhotoUpload]:
    """The photos chosen in the form's slots (an empty slot is no photo)."""
    found = []
    for slot in range(1, MAX_PHOTOS + 1):
        item = form.get(f"photo-{slot}")
        if isinstance(item, UploadFile):
            data = await item.read()
            if data or item.filename:
                alt = formdata.text(form, f"alt-{slot}")
                found.append(PhotoUpload(slot, item.filename or "", data, alt))
    return found


async def _page(
    request: Req,
    contract_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response[Any]:
    before = request.query_params.get("before")
    context = await update_pages.workspace(contract_id, signed_in(request), before)
    context.update(values=values, errors=errors, max_photos=MAX_PHOTOS)
    context["limit_mb"] = MAX_BYTES // (1024 * 1024)
    return render(request, PAGE, context, block="update_form", status=status)


class ProjectUpdateController(Controller):
    include_in_schema = False

    @get("/contracts/{contract_id:int}/updates", guards=[requires_social_org])
    async def updates_page(self, request: Req, contract_id: PathId) -> Response[Any]:
        return await _page(request, contract_id, {}, {})

    @post(
        "/contracts/{contract_id:int}/updates",
        guards=[requires_social_org],
        request_max_body_size=MAX_BODY,
    )
    async def post_update(self, request: Req, contract_id: PathId) -> Response[Any]:
        form = await request.form()
        values = formdata.texts(form, (*TEXTS, *ALTS))
        redisplay = partial(_page, request, contract_id, values, status=422)
        async with shows_form_errors(redisplay, field="form"):
            update_id = await updates.post_update(
                user_id=signed_in(request).id,
                contract_id=contract_id,
                texts=values,
                uploads=await photo_uploads(form),
            )
        flash(request, i18n.gettext("Your update is published; the project's supporters are told."))
        # `posted` makes the address differ from the form's: htmx's HX-Redirect to the
        # same page with only a new #fragment would not load it again.
        return see_other(f"/contracts/{contract_id}/updates?posted={update_id}#update-{update_id}")

    @get("/updates/photos/{photo_id:int}", guards=[public])
    async def photo(self, request: Req, photo_id: PathId) -> Response[bytes]:
        row = await update_pages.photo_file(photo_id, principal_of(request))
        cache = "public, max-age=31536000, immutable" if row["public"] else "private, no-store"
        headers = {"Cache-Control": cache, "ETag": f'"{row["sha256"][:32]}"'}
        headers["Content-Disposition"] = "inline"
        return Response(row["content"], media_type=row["content_type"], headers=headers)
