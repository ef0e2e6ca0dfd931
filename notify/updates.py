"""Project updates: the contracted organization reports from its project, and the
project's supporters hear of it.

`post_update` checks everything about the input first (`notify.update_rules`: texts,
photos and their alt text), then in one transaction checks who posts (a member of the
contract's verified organization, on a signed contract), writes the update and its
photos, appends the audit event `project.update`, and writes the notifications of
kind "project.update" under the event key `project.update:<id>` (`notify.send`): to
the project's donors with an account and the members of its sponsors, as each one's
preferences say, and by e-mail to guest donors who left an address
(`notify.audience`). A refusal leaves nothing behind.

The notification's params (what the "project.update" renderer, notify/render.py,
reads): `update`, `tender`, `title_zh`, `title_en` (the project's titles, as in every
kind's params), `organization_zh`, `organization_en`, `update_title_zh`,
`update_title_en` (the update's titles; "" for a language it was not written in),
`excerpt_zh`, `excerpt_en` (the first `EXCERPT` characters), `photos` (how many).
The link is the update on the project page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from bids.access import is_member
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.directory import organization_names
from market.errors import DomainError, NotFound, PermissionDenied
from market.sql import execute
from market.tenders.readmodels import tender_for_bidding
from notify.audience import project_audience
from notify.send import notify_address, notify_users
from notify.tables import ProjectUpdate, ProjectUpdatePhoto
from notify.update_rules import PhotoUpload, UpdateDraft, check_update

KIND = "project.update"
EXCERPT = 280
# A contract's organization reports while the work runs and once it is done.
POSTING_STATUSES = ("active", "completed")


async def contract_facts(contract_id: int) -> dict[str, Any]:
    """The contract as updates need it: its tender (titles, sandbox factor) and
    organization (names), read through the bids app's view and the kernel."""
    rows = await execute(
        "SELECT id, tender, organization, status FROM bids_v_contract WHERE id = {}",
        contract_id,
    )
    if not rows:
        raise NotFound("No such contract.")
    contract = dict(rows[0])
    tender = await tender_for_bidding(int(contract["tender"]))
    if tender is None:  # a contract always has its tender (foreign key)
        raise NotFound("No such contract.")
    names = await organization_names([int(contract["organization"])])
    name_zh, name_en = names.get(int(contract["organization"]), ("", ""))
    return {
        **contract,
        "title_zh": tender["title_zh"],
        "title_en": tender["title_en"] or "",
        "acceleration": int(tender["acceleration"]),
        "organization_zh": name_zh,
        "organization_en": name_en or "",
        "can_post": contract["status"] in POSTING_STATUSES,
    }


async def check_poster(user_id: int, contract: Mapping[str, Any]) -> None:
    if not await is_member(user_id, int(contract["organization"]), "social_org"):
        raise PermissionDenied("Only members of the contracted organization post its updates.")


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _params(update_id: int, contract: Mapping[str, Any], draft: UpdateDraft) -> dict[str, Any]:
    return {
        "update": update_id,
        "tender": int(contract["tender"]),
        "title_zh": contract["title_zh"],
        "title_en": contract["title_en"],
        "organization_zh": contract["organization_zh"],
        "organization_en": contract["organization_en"],
        "update_title_zh": draft.title_zh,
        "update_title_en": draft.title_en,
        "excerpt_zh": _excerpt(draft.body_zh),
        "excerpt_en": _excerpt(draft.body_en),
        "photos": len(draft.photos),
    }


def update_link(contract: Mapping[str, Any], update_id: int) -> str:
    """Where an update is read: its project page (a sandbox tender has none: its page)."""
    if int(contract["acceleration"]) > 1:
        return f"/tenders/{contract['tender']}"
    return f"/projects/{contract['tender']}#update-{update_id}"


async def _write(user_id: int, contract: Mapping[str, Any], draft: UpdateDraft) -> int:
    rows = await ProjectUpdate.insert(
        ProjectUpdate(
            tender=int(contract["tender"]),
            contract=int(contract["id"]),
            organization=int(contract["organization"]),
            author=user_id,
            title_zh=draft.title_zh,
            body_zh=draft.body_zh,
            title_en=draft.title_en,
            body_en=draft.body_en,
            created_at=clock.now(),
        )
    ).returning(ProjectUpdate.id)
    update_id = int(rows[0]["id"])
    if draft.photos:
        await ProjectUpdatePhoto.insert(
            *(
                ProjectUpdatePhoto(
                    project_update=update_id,
                    position=p.position,
                    alt=p.alt,
                    filename=p.photo.filename,
                    kind=p.photo.kind,
                    content_type=p.photo.content_type,
                    width=p.photo.width,
                    height=p.photo.height,
                    size=p.photo.size,
                    sha256=p.photo.sha256,
                    content=p.photo.data,
                )
                for p in draft.photos
            )
        )
    return update_id


def _fingerprint(draft: UpdateDraft) -> str:
    """The texts' SHA-256 for the public audit chain (which carries no free text)."""
    text = "\x1f".join((draft.title_zh, draft.body_zh, draft.title_en, draft.body_en))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def tell_supporters(update_id: int, contract: Mapping[str, Any], draft: UpdateDraft) -> int:
    """The notifications of one update, in the caller's transaction; how many rows."""
    audience = await project_audience(int(contract["tender"]))
    event, params = f"{KIND}:{update_id}", _params(update_id, contract, draft)
    link = update_link(contract, update_id)
    written = await notify_users(event, KIND, audience.user_ids, params, link)
    for address, lang in audience.guests:
        written += await notify_address(event, KIND, address, lang, params, link)
    return written


async def _contract_for(user_id: int, contract_id: int) -> dict[str, Any]:
    """The contract, when this user may post on it now."""
    contract = await contract_facts(contract_id)
    await check_poster(user_id, contract)
    if not contract["can_post"]:
        raise DomainError(
            "Updates are posted on a signed contract, while its work runs or once it is done."
        )
    return contract


async def post_update(
    *, user_id: int, contract_id: int, texts: Mapping[str, str], uploads: Sequence[PhotoUpload]
) -> int:
    """Post an update on the contract's project; returns its id. Who may post is
    checked before the input is read, and again in the transaction that writes."""
    await _contract_for(user_id, contract_id)
    draft = check_update(texts, uploads)
    async with atomic():
        contract = await _contract_for(user_id, contract_id)
        update_id = await _write(user_id, contract, draft)
        await append_audit(
            actor_of(user_id),
            "project.update",
            "project_update",
            update_id,
            {
                "tender": int(contract["tender"]),
                "contract": contract_id,
                "languages": list(draft.langs),
                "text": _fingerprint(draft),
                "photos": [p.photo.sha256 for p in draft.photos],
            },
        )
        await tell_supporters(update_id, contract, draft)
    return update_id
