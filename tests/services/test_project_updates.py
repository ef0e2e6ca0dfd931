"""Project updates (notify/updates.py): the contracted organization's member posts one;
it is stored with its photos, audited, and the project's supporters are told in the
same transaction — account donors and sponsors' members as their preferences say,
guest donors who left an address by e-mail, each once. Anyone else is refused, and a
refused update leaves nothing behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from market import outbox
from market.errors import DomainError, PermissionDenied, ValidationFailed
from market.sql import execute
from market.tables import Outbox
from notify import updates
from notify.tables import Preference, ProjectUpdate, ProjectUpdatePhoto
from notify.update_rules import PhotoUpload
from tests.images import jpeg, png
from tests.smtp import Mailbox
from tests.update_builders import GUEST, Supported, make_sandbox, supported_project

TEXTS = {
    "title_zh": "第一个月：走访了32户老人",
    "body_zh": "志愿者每周两次上门。\n\n下个月开始送餐。",
    "title_en": "Month one: 32 homes visited",
    "body_en": "Volunteers visit twice a week.",
}


@pytest.fixture
async def project(frozen_clock) -> Supported:  # type: ignore[no-untyped-def]
    return await supported_project(frozen_clock)


async def post(project: Supported, user: int | None = None, **changes: Any) -> int:
    return await updates.post_update(
        user_id=project.winner.user_id if user is None else user,
        contract_id=changes.pop("contract_id", project.contract_id),
        texts={**TEXTS, **changes.pop("texts", {})},
        uploads=changes.pop(
            "uploads", [PhotoUpload(1, "visit.jpg", jpeg(), "A volunteer at a door")]
        ),
    )


async def counts() -> tuple[int, int, int, int]:
    audit = await execute("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'project.update'")
    return (
        await ProjectUpdate.count(),
        await ProjectUpdatePhoto.count(),
        int(audit[0]["n"]),
        await Outbox.count(),
    )


async def test_an_update_is_stored_audited_and_told_to_every_supporter(project: Supported) -> None:
    update_id = await post(project)
    row = await ProjectUpdate.select().where(ProjectUpdate.id == update_id).first()
    assert (
        row is not None
        and row["tender"] == project.tender_id
        and row["title_en"] == TEXTS["title_en"]
    )
    photo = (
        await ProjectUpdatePhoto.select()
        .where(ProjectUpdatePhoto.project_update == update_id)
        .first()
    )
    assert photo is not None and photo["alt"] == "A volunteer at a door" and photo["kind"] == "jpeg"
    audit = await execute(
        "SELECT actor, change FROM audit_event WHERE action = 'project.update' AND object_id = {}",
        str(update_id),
    )
    change = json.loads(audit[0]["change"])
    assert audit[0]["actor"] == f"user:{project.winner.user_id}"
    assert change["photos"] == [photo["sha256"]] and change["languages"] == ["zh", "en"]
    assert TEXTS["body_zh"] not in audit[0]["change"]  # the chain carries a fingerprint

    rows = await Outbox.select().where(Outbox.key.like(f"project.update:{update_id}|%"))
    told = {(r["user_id"], r["channel"]) for r in rows if r["user_id"] is not None}
    people = [project.donor, *project.sponsor_members, *project.pledge_members]
    assert told == {(uid, channel) for uid in people for channel in ("inbox", "email")}
    guests = [r for r in rows if r["user_id"] is None]
    assert [(r["recipient"], r["lang"]) for r in guests] == [(GUEST, "en")]  # not the declined
    donor_mail = next(r for r in rows if r["user_id"] == project.donor and r["channel"] == "email")
    assert donor_mail["lang"] == "en" and donor_mail["kind"] == "project.update"
    assert donor_mail["link"] == f"/projects/{project.tender_id}#update-{update_id}"
    params = json.loads(donor_mail["params"])
    assert params["update_title_en"] == TEXTS["title_en"] and params["photos"] == 1
    assert params["title_en"].startswith("Community home-based elderly care")
    assert project.winner.user_id not in {r["user_id"] for r in rows}


async def test_telling_the_supporters_again_writes_nothing(project: Supported) -> None:
    update_id = await post(project)
    before = await Outbox.count()
    contract = await updates.contract_facts(project.contract_id)
    draft_texts = await ProjectUpdate.select().where(ProjectUpdate.id == update_id).first()
    assert draft_texts is not None
    from notify.update_rules import check_update

    draft = check_update(draft_texts, [])
    assert await updates.tell_supporters(update_id, contract, draft) == 0
    assert await Outbox.count() == before


async def test_a_supporter_who_switched_updates_off_by_email_keeps_the_inbox(
    project: Supported,
) -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    await Preference.insert(
        Preference(
            user=project.donor, kind="project.update", channel="email", enabled=False, updated_at=at
        )
    )
    update_id = await post(project)
    rows = await Outbox.select(Outbox.channel).where(
        Outbox.key.like(f"project.update:{update_id}|user:{project.donor}|%")
    )
    assert [r["channel"] for r in rows] == ["inbox"]


async def test_the_guest_donor_receives_the_update_by_mail_in_their_language(
    project: Supported, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def render(params: dict[str, Any], lang: str) -> outbox.Rendered:
        title = params["update_title_en"] if lang == "en" else params["update_title_zh"]
        return outbox.Rendered(
            f"[{lang}] {title}", params["excerpt_en"] if lang == "en" else params["excerpt_zh"]
        )

    monkeypatch.setitem(outbox._RENDERERS, "project.update", render)
    await outbox.deliver_pending(limit=100)  # what the project's history told people
    mailbox.messages.clear()
    await post(project)
    assert await outbox.deliver_pending(limit=100) == 5  # the guest and four account holders
    guest = mailbox.to(GUEST)
    assert len(guest) == 1
    assert guest[0]["Subject"] == "[en] Month one: 32 homes visited"
    assert "Volunteers visit twice a week." in guest[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("who", ["outsider", "department", "sponsor", "donor"])
async def test_only_the_contracted_organization_posts(project: Supported, who: str) -> None:
    user = {
        "outsider": project.outsider.user_id,
        "department": project.scenario.department.user_id,
        "sponsor": project.sponsor_members[0],
        "donor": project.donor,
    }[who]
    before = await counts()
    with pytest.raises(PermissionDenied):
        await post(project, user=user)
    assert await counts() == before


async def test_a_refused_update_leaves_nothing_behind(project: Supported) -> None:
    before = await counts()
    bad = [
        {"texts": {"title_zh": "", "body_zh": "", "title_en": "", "body_en": ""}},
        {"uploads": [PhotoUpload(1, "visit.png", png(), "")]},
        {
            "uploads": [
                PhotoUpload(1, "a.png", png(), "ok"),
                PhotoUpload(2, "b.pdf", b"%PDF-1.4", "x"),
            ]
        },
    ]
    for changes in bad:
        with pytest.raises(ValidationFailed):
            await post(project, **changes)
    assert await counts() == before


async def test_a_contract_not_signed_yet_takes_no_update(project: Supported) -> None:
    await execute("UPDATE bids_contract SET status = 'pending' WHERE id = {}", project.contract_id)
    with pytest.raises(DomainError, match="signed contract"):
        await post(project)
    assert await ProjectUpdate.count() == 0


async def test_a_sandbox_projects_update_is_kept_out_of_the_open_data_views(
    project: Supported,
) -> None:
    await make_sandbox(project.tender_id)
    update_id = await post(project)
    assert await execute("SELECT id FROM notify_v_project_update WHERE id = {}", update_id) == []
    assert await execute("SELECT id FROM notify_v_project_update_photo") == []
    mail = (
        await Outbox.select(Outbox.link)
        .where(Outbox.key.like(f"project.update:{update_id}|%"))
        .first()
    )
    assert mail is not None and mail["link"] == f"/tenders/{project.tender_id}"


async def test_the_views_show_a_real_projects_update_without_its_poster(project: Supported) -> None:
    update_id = await post(project)
    (row,) = await execute("SELECT * FROM notify_v_project_update WHERE id = {}", update_id)
    assert row["tender"] == project.tender_id and "author" not in dict(row)
    (photo,) = await execute("SELECT * FROM notify_v_project_update_photo")
    assert photo["project_update"] == update_id and "content" not in dict(photo)


async def test_the_update_reads_in_the_words_the_supporters_get(project: Supported) -> None:
    update_id = await post(project)
    row = (
        await Outbox.select(Outbox.params)
        .where(Outbox.key == f"project.update:{update_id}|user:{project.donor}|email")
        .first()
    )
    assert row is not None
    rendered = outbox.render("project.update", json.loads(row["params"]), "en")
    assert TEXTS["title_en"] in rendered.text and "Community home-based" in rendered.subject
