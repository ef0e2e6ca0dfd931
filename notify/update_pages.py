# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Reads of project updates: the organization's page where it posts them (every update
of the contract, sandbox tenders' too), the public project feed's (through the
`notify_v_*` views, so never a sandbox tender's), and a photo's bytes.

Pages are keyset pages on the update id, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.accounts import Principal
from market.cursor import decode_id, encode
from market.errors import NotFound
from market.sql import execute, marks
from market.timestamps import timestamp
from notify.updates import check_poster, contract_facts

PAGE = 20
_COLUMNS = "id, tender, contract, organization, title_zh, body_zh, title_en, body_en, created_at"
# (updates, photos) as their owner reads them, and as the public may
_TABLES = ("notify_project_update", "notify_project_update_photo")
_VIEWS = ("notify_v_project_update", "notify_v_project_update_photo")


@dataclass(frozen=True, slots=True)
class PhotoView:
    id: int
    position: int
    alt: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class UpdateView:
    id: int
    tender: int
    contract: int
    organization: int
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    created_at: datetime
    photos: tuple[PhotoView, ...]

    def text(self, lang: str) -> tuple[str, str, str]:
        """(title, body, language code) in `lang` ("zh_Hans" | "en"), or in the other
        language when it was not written in this one."""
        order = ("en", "zh") if lang == "en" else ("zh", "en")
        for code in order:
            title = getattr(self, f"title_{code}")
            if title:
                return title, getattr(self, f"body_{code}"), code
        return "", "", order[0]  # the table's check allows no update without a title


@dataclass(frozen=True, slots=True)
class UpdatePage:
    updates: list[UpdateView]
    next_cursor: str | None


async def _photos(ids: list[int], table: str) -> dict[int, list[PhotoView]]:
    if not ids:
        return {}
    rows = await execute(
        f"SELECT id, project_update, position, alt, width, height FROM {table}"
        f" WHERE project_update IN ({marks(len(ids))}) ORDER BY project_update, position",
        *ids,
    )
    found: dict[int, list[PhotoView]] = {}
    for r in rows:
        found.setdefault(int(r["project_update"]), []).append(
            PhotoView(int(r["id"]), int(r["position"]), r["alt"], int(r["width"]), int(r["height"]))
        )
    return found


async def updates_page(
    column: str, value: int, *, before: int | None, limit: int = PAGE, public: bool = True
) -> UpdatePage:
    """One page of the updates whose `column` ("tender" or "contract") is `value`,
    newest first; public: through the views (no sandbox tender's)."""
    updates, photos = _VIEWS if public else _TABLES
    where = "tender = {}" if column == "tender" else "contract = {}"
    args: list[Any] = [value]
    if before is not None:
        where += " AND id < {}"
        args.append(before)
    rows = await execute(
        f"SELECT {_COLUMNS} FROM {updates} WHERE {where} ORDER BY id DESC LIMIT {{}}",
        *args,
        limit + 1,
    )
    page = rows[:limit]
    pictures = await _photos([int(r["id"]) for r in page], photos)
    views = [
        UpdateView(
            **{k: r[k] for k in ("title_zh", "body_zh", "title_en", "body_en")},
            id=int(r["id"]),
            tender=int(r["tender"]),
            contract=int(r["contract"]),
            organization=int(r["organization"]),
            created_at=timestamp(r["created_at"]),
            photos=tuple(pictures.get(int(r["id"]), ())),
        )
        for r in page
    ]
    more = len(rows) > limit
    return UpdatePage(views, encode(views[-1].id) if more and views else None)


async def workspace(contract_id: int, viewer: Principal, before: str | None) -> dict[str, Any]:
    """The organization's updates page of a contract: for its members only."""
    contract = await contract_facts(contract_id)
    await check_poster(viewer.id, contract)
    page = await updates_page(
        "contract", contract_id, before=decode_id(before), public=False, limit=PAGE
    )
    return {"contract": contract, "page": page, "cursor": before or ""}


async def photo_file(photo_id: int, viewer: Principal | None) -> dict[str, Any]:
    """A photo's bytes: anyone's once its update is public; a sandbox tender's only
    for the organization that posted it."""
    rows = await execute(
        "SELECT p.content, p.content_type, p.sha256, u.organization, u.tender"
        " FROM notify_project_update_photo p"
        " JOIN notify_project_update u ON u.id = p.project_update WHERE p.id = {}",
        photo_id,
    )
    if not rows:
        raise NotFound("No such photo.")
    row = dict(rows[0])
    public = await execute("SELECT id FROM notify_v_project_update_photo WHERE id = {}", photo_id)
    row["public"] = bool(public)
    if not public and not (viewer and viewer.member_of(int(row["organization"]))):
        raise NotFound("No such photo.")
    row["content"] = bytes(row["content"])
    return row
