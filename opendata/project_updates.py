# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""A project's updates from the organization doing the work, for its page: read through
the notify app's read contract (`notify_v_project_update`, `notify_v_project_update_photo`
— no sandbox tender's, no poster's user id), newest first, a keyset page at a time
(`?updates_before=<id>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.cursor import decode_id
from market.sql import execute, marks
from market.timestamps import timestamp

PAGE = 5


@dataclass(frozen=True, slots=True)
class Photo:
    id: int
    alt: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Update:
    id: int
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    created_at: datetime
    photos: tuple[Photo, ...]


@dataclass(frozen=True, slots=True)
class UpdatesPage:
    updates: list[Update]
    next_cursor: int | None  # pass as `updates_before` for older updates
    cursor: int | None


async def updates_page(tender_id: int, before: str | None, limit: int = PAGE) -> UpdatesPage:
    after = decode_id(before, field="updates_before")
    older = "" if after is None else " AND id < {}"
    rows = await execute(
        "SELECT id, title_zh, body_zh, title_en, body_en, created_at FROM notify_v_project_update"
        f" WHERE tender = {{}}{older} ORDER BY id DESC LIMIT {{}}",
        *([tender_id] if after is None else [tender_id, after]),
        limit + 1,
    )
    page = rows[:limit]
    ids = [int(r["id"]) for r in page]
    photos: dict[int, list[Photo]] = {}
    if ids:
        for p in await execute(
            "SELECT id, project_update, alt, width, height FROM notify_v_project_update_photo"
            f" WHERE project_update IN ({marks(len(ids))}) ORDER BY project_update, position",
            *ids,
        ):
            photo = Photo(int(p["id"]), p["alt"], int(p["width"]), int(p["height"]))
            photos.setdefault(int(p["project_update"]), []).append(photo)
    updates = [
        Update(
            int(r["id"]),
            r["title_zh"],
            r["body_zh"],
            r["title_en"],
            r["body_en"],
            timestamp(r["created_at"]),
            tuple(photos.get(int(r["id"]), ())),
        )
        for r in page
    ]
    more = len(rows) > limit and bool(updates)
    return UpdatesPage(updates, updates[-1].id if more else None, after)
