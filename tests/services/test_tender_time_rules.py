"""Time rules at write time, the chronograph, amendments, and Q&A."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from market.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from market.tables import Tender, TenderQuestion, TenderRevision
from market.tenders import hooks, qa, services
from market.tenders.tick import tick
from tests.builders import make_org, make_user
from tests.tender_builders import DAY, bids_app, local, make_department, make_tender, tender_form

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def status_of(tender_id: int) -> str:
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    return str(row["status"])


async def social_org_member(name: str = "互助社") -> tuple[int, int]:
    user_id = await make_user()
    org_id = await make_org(kind="social_org", name_zh=name, admin=user_id)
    return user_id, org_id


# --- the chronograph ----------------------------------------------------------------


async def test_tick_moves_tenders_when_their_periods_end(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    assert await tick() == {}
    frozen_clock.advance(days=5)
    assert await tick() == {"tendering": 1}
    assert await status_of(tender_id) == "tendering"
    assert await tick() == {}  # idempotent
    frozen_clock.advance(days=5)
    with bids_app(live_bids=2):
        assert await tick() == {"evaluation": 1}
    assert await status_of(tender_id) == "evaluation"


async def test_tick_catches_up_both_periods_in_one_run(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    frozen_clock.advance(days=30)
    with bids_app(live_bids=5):
        assert await tick() == {"evaluation": 1}
    rows = await TenderRevision.select(TenderRevision.action).where(
        TenderRevision.tender == tender_id
    )
    actions = [r["action"] for r in rows]
    assert actions.count("open_tendering") == 1 and actions.count("close_tendering") == 1


async def test_too_few_live_bids_at_the_deadline_make_the_tender_unsuccessful(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="tendering")  # min_bids = 2
    frozen_clock.advance(days=10)
    with bids_app(live_bids=1):
        await tick()
    assert await status_of(tender_id) == "unsuccessful"
    row = await Tender.select(Tender.cancel_reason).where(Tender.id == tender_id).first()
    assert row["cancel_reason"] == "Fewer valid bids than the tender's minimum."


async def test_without_a_bids_app_the_deadline_leads_to_evaluation(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="tendering")
    frozen_clock.advance(days=10)
    with bids_app(live_bids=None):
        await tick()
    assert await status_of(tender_id) == "evaluation"


async def test_two_ticks_at_once_move_each_tender_once(frozen_clock, fresh_db) -> None:
    """Real commits on separate connections: the conditional update lets one win."""
    department = await make_department()
    ids = [await make_tender(department, status="published") for _ in range(3)]
    frozen_clock.advance(days=6)
    first, second = await asyncio.gather(tick(), tick())
    assert first.get("tendering", 0) + second.get("tendering", 0) == 3
    for tender_id in ids:
        rows = await TenderRevision.select().where(
            (TenderRevision.tender == tender_id) & (TenderRevision.action == "open_tendering")
        )
        assert len(rows) == 1


# --- amendments -----------------------------------------------------------------------


async def test_an_amendment_marks_bids_and_extends_a_close_deadline(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    seen: list[hooks.TenderAmended] = []

    async def mark(event: hooks.TenderAmended) -> int:
        seen.append(event)
        return 4

    frozen_clock.advance(days=9)  # one day before the deadline, stored status stale
    with bids_app(live_bids=4, on_amended=mark):
        result = await services.amend_tender(
            user_id=department.user_id,
            tender_id=tender_id,
            form=tender_form(frozen_clock.at - 9 * DAY, description_en="Add weekend visits."),
            note="Weekend visits added at residents' request.",
        )
    assert result.bids_marked == 4 and result.extended
    assert result.bid_deadline == frozen_clock.at + timedelta(days=3)
    assert seen[0].tender_id == tender_id and "description_en" in seen[0].changes
    row = (
        await Tender.select(
            Tender.bid_deadline, Tender.amended_at, Tender.amendment_count, Tender.status
        )
        .where(Tender.id == tender_id)
        .first()
    )
    assert row["bid_deadline"] == frozen_clock.at + timedelta(days=3)
    assert row["amended_at"] == frozen_clock.at
    assert row["amendment_count"] == 1
    assert row["status"] == "tendering"  # caught up on the way


async def test_an_amendment_after_the_deadline_is_refused_without_tick(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    frozen_clock.advance(days=10, seconds=1)
    with pytest.raises(InvalidTransition):
        await services.amend_tender(
            user_id=department.user_id,
            tender_id=tender_id,
            form=tender_form(frozen_clock.at - 10 * DAY, description_en="Late change"),
            note="Too late",
        )
    assert await status_of(tender_id) == "published"  # nothing written


async def test_an_amendment_needs_a_note_and_a_change() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    with pytest.raises(ValidationFailed) as caught:
        await services.amend_tender(
            user_id=department.user_id, tender_id=tender_id, form=tender_form(), note=""
        )
    assert "note" in caught.value.errors
    with pytest.raises(ValidationFailed):
        await services.amend_tender(
            user_id=department.user_id, tender_id=tender_id, form=tender_form(), note="Nothing"
        )


async def test_amending_the_budget_moves_the_hold() -> None:
    from market.ledger.services import get_account

    department = await make_department(budget_yuan=1_000_000)
    tender_id = await make_tender(department, status="published")
    await services.amend_tender(
        user_id=department.user_id,
        tender_id=tender_id,
        form=tender_form(budget="300000"),
        note="Budget increased by the district.",
    )
    account = await get_account(f"department:{department.id}:budget")
    assert account.debits_pending == 30_000_000


# --- questions and answers ------------------------------------------------------------


async def test_questions_are_linkable_within_a_tender_but_anonymous(frozen_clock) -> None:
    department = await make_department()
    first = await make_tender(department, status="published")
    second = await make_tender(department, status="published")
    user_a, org_a = await social_org_member("甲社")
    user_b, org_b = await social_org_member("乙社")
    q1 = await qa.ask_question(
        user_id=user_a, org_id=org_a, tender_id=first, text="Is transport paid?"
    )
    q2 = await qa.ask_question(user_id=user_a, org_id=org_a, tender_id=first, text="And meals?")
    q3 = await qa.ask_question(
        user_id=user_b, org_id=org_b, tender_id=first, text="How many visits?"
    )
    q4 = await qa.ask_question(user_id=user_a, org_id=org_a, tender_id=second, text="Same team?")
    tags = {
        r["id"]: r["asker_tag"]
        for r in await TenderQuestion.select(TenderQuestion.id, TenderQuestion.asker_tag)
    }
    assert tags[q1] == tags[q2] != tags[q3]
    assert tags[q4] != tags[q1]
    await qa.answer_question(
        user_id=department.user_id, tender_id=first, question_id=q1, text="Yes, up to ¥20 a trip."
    )
    row = await TenderQuestion.select().where(TenderQuestion.id == q1).first()
    assert row["answer"] == "Yes, up to ¥20 a trip." and row["answered_at"] == frozen_clock.at


async def test_questions_after_the_enquiry_end_are_refused_without_tick(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    user_id, org_id = await social_org_member()
    frozen_clock.advance(days=5)
    with pytest.raises(InvalidTransition):
        await qa.ask_question(user_id=user_id, org_id=org_id, tender_id=tender_id, text="Late?")
    assert await TenderQuestion.count() == 0


async def test_only_social_organizations_ask_and_only_the_department_answers() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    draft = await make_tender(department)
    user_id, org_id = await social_org_member()
    company_user = await make_user()
    company = await make_org(kind="company", category="", admin=company_user)
    with pytest.raises(PermissionDenied):
        await qa.ask_question(user_id=company_user, org_id=company, tender_id=tender_id, text="?")
    with pytest.raises(PermissionDenied):  # asking for an org one is not a member of
        await qa.ask_question(user_id=company_user, org_id=org_id, tender_id=tender_id, text="?")
    with pytest.raises(NotFound):
        await qa.ask_question(user_id=user_id, org_id=org_id, tender_id=draft, text="?")
    question = await qa.ask_question(user_id=user_id, org_id=org_id, tender_id=tender_id, text="?")
    with pytest.raises(PermissionDenied):
        await qa.answer_question(
            user_id=user_id, tender_id=tender_id, question_id=question, text="!"
        )
    with pytest.raises(ValidationFailed):
        await qa.answer_question(
            user_id=department.user_id, tender_id=tender_id, question_id=question, text="  "
        )


async def test_answers_stop_at_the_bid_deadline(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    user_id, org_id = await social_org_member()
    question = await qa.ask_question(user_id=user_id, org_id=org_id, tender_id=tender_id, text="?")
    frozen_clock.advance(days=10)
    with pytest.raises(InvalidTransition):
        await qa.answer_question(
            user_id=department.user_id, tender_id=tender_id, question_id=question, text="Late"
        )


async def test_documents_on_a_published_tender_are_amendments(frozen_clock) -> None:
    from tests.unit.test_tender_documents import PDF

    department = await make_department()
    tender_id = await make_tender(department, status="published")
    with pytest.raises(ValidationFailed) as caught:
        await services.add_document(
            user_id=department.user_id, tender_id=tender_id, filename="a.pdf", data=PDF
        )
    assert "note" in caught.value.errors
    await services.add_document(
        user_id=department.user_id,
        tender_id=tender_id,
        filename="a.pdf",
        data=PDF,
        note="Service standards attached.",
    )
    row = await Tender.select(Tender.amendment_count).where(Tender.id == tender_id).first()
    assert row["amendment_count"] == 1
    with pytest.raises(InvalidTransition):
        await services.remove_document(
            user_id=department.user_id, tender_id=tender_id, document_id=1
        )
    assert local(frozen_clock.at)
