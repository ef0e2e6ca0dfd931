"""Tender lifecycle through the services: every transition, refusals by role, status
and time, the budget hold/post/void in the ledger, the audit chain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from market.ledger.codes import budget_code as budget_account
from market.ledger.services import get_account
from market.sql import execute
from market.tables import Tender, TenderRevision
from market.tenders import lifecycle, services
from tests.builders import chained_and_verified, make_member, make_org, make_user
from tests.tender_builders import DAY, bids_app, make_department, make_tender, tender_form

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def status_of(tender_id: int) -> str:
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    return str(row["status"])


async def actions_of(tender_id: int) -> list[str]:
    rows = (
        await TenderRevision.select(TenderRevision.action)
        .where(TenderRevision.tender == tender_id)
        .order_by(TenderRevision.id)
    )
    return [r["action"] for r in rows]


@pytest.mark.parametrize(
    "status",
    [
        "draft",
        "published",
        "tendering",
        "evaluation",
        "awarded",
        "contracted",
        "completed",
        "cancelled",
        "unsuccessful",
    ],
)
async def test_each_status_is_reachable_and_recorded(status: str) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status=status)
    assert await status_of(tender_id) == status
    actions = await actions_of(tender_id)
    assert actions[0] == "create"
    assert (await chained_and_verified()).ok


async def test_a_new_draft_gets_an_ocid_and_is_the_departments() -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["ocid"] == f"ocds-pgm001-{tender_id}"
    assert row["department"] == department.id
    assert row["published_at"] is None


async def test_publishing_holds_the_budget_and_cancelling_voids_it() -> None:
    department = await make_department(budget_yuan=1_000_000)
    tender_id = await make_tender(department, status="published")
    account = await get_account(budget_account(department.id))
    assert account.debits_pending == 20_000_000  # ¥200,000 held
    assert account.available.amount == 100_000_000 - 20_000_000
    escrow = await get_account(f"tender:{tender_id}:escrow:government")
    assert escrow.credits_pending == 20_000_000

    await services.cancel_tender(
        user_id=department.user_id, tender_id=tender_id, reason="The service was merged."
    )
    account = await get_account(budget_account(department.id))
    assert account.debits_pending == 0
    assert account.available.amount == 100_000_000
    voids = await execute(
        "SELECT kind, reason FROM ledger_transfer WHERE kind = 'void' AND key LIKE {}",
        f"tender:{tender_id}:%",
    )
    assert len(voids) == 1
    row = (
        await Tender.select(Tender.status, Tender.cancel_reason)
        .where(Tender.id == tender_id)
        .first()
    )
    assert row == {"status": "cancelled", "cancel_reason": "The service was merged."}


async def test_contract_signing_posts_the_held_budget_into_escrow() -> None:
    department = await make_department(budget_yuan=1_000_000)
    tender_id = await make_tender(department, status="contracted")
    escrow = await get_account(f"tender:{tender_id}:escrow:government")
    assert escrow.credits_posted == 20_000_000 and escrow.credits_pending == 0
    account = await get_account(budget_account(department.id))
    assert account.debits_posted == 20_000_000 and account.debits_pending == 0


async def test_an_unsuccessful_tender_returns_the_budget() -> None:
    department = await make_department(budget_yuan=1_000_000)
    await make_tender(department, status="unsuccessful")
    account = await get_account(budget_account(department.id))
    assert account.debits_pending == 0 and account.debits_posted == 0


async def test_publishing_beyond_the_budget_is_refused_and_nothing_changes() -> None:
    department = await make_department(budget_yuan=100_000)
    tender_id = await make_tender(department)  # asks for ¥200,000
    with pytest.raises(ValidationFailed) as caught:
        await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
    assert "budget" in caught.value.errors
    assert await status_of(tender_id) == "draft"
    account = await get_account(budget_account(department.id))
    assert account.debits_pending == 0
    # After a larger appropriation the same tender publishes.
    from market.money import Money

    await lifecycle.appropriate_budget(
        department.id, Money(50_000_000, "CNY"), key="top-up", actor="system:test"
    )
    await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
    assert await status_of(tender_id) == "published"


async def test_publishing_with_dates_already_passed_is_refused(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    frozen_clock.advance(days=8)  # enquiry end passed, 2 days left before the deadline
    with pytest.raises(ValidationFailed) as caught:
        await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
    assert set(caught.value.errors) == {"enquiry_end", "bid_deadline"}
    assert await status_of(tender_id) == "draft"


async def test_only_members_of_the_owning_department_act(frozen_clock) -> None:
    owner = await make_department()
    other = await make_department()
    tender_id = await make_tender(owner)
    stranger = await make_user()
    ngo_user = await make_user()
    await make_org(kind="social_org", admin=ngo_user)
    for user_id in (other.user_id, stranger, ngo_user):
        with pytest.raises(PermissionDenied):
            await services.publish_tender(user_id=user_id, tender_id=tender_id)
        with pytest.raises(PermissionDenied):
            await services.update_draft(user_id=user_id, tender_id=tender_id, form=tender_form())
        with pytest.raises(PermissionDenied):
            await services.cancel_tender(user_id=user_id, tender_id=tender_id, reason="x")
    with pytest.raises(PermissionDenied):
        await services.create_tender(
            user_id=other.user_id, department_id=owner.id, form=tender_form()
        )
    # A member of a department that is not verified cannot act either.
    suspended = await make_org(kind="department", status="suspended", category="")
    await make_member(owner.user_id, suspended)
    with pytest.raises(PermissionDenied):
        await services.create_tender(
            user_id=owner.user_id, department_id=suspended, form=tender_form()
        )
    assert await status_of(tender_id) == "draft"


async def test_a_second_member_of_the_department_may_act() -> None:
    owner = await make_department()
    colleague = await make_user()
    await make_member(colleague, owner.id)
    tender_id = await make_tender(owner)
    await services.publish_tender(user_id=colleague, tender_id=tender_id)
    assert await status_of(tender_id) == "published"


async def test_wrong_status_transitions_are_refused() -> None:
    department = await make_department()
    published = await make_tender(department, status="published")
    with pytest.raises(InvalidTransition):
        await services.publish_tender(user_id=department.user_id, tender_id=published)
    with pytest.raises(InvalidTransition):
        await services.update_draft(
            user_id=department.user_id, tender_id=published, form=tender_form()
        )
    with pytest.raises(InvalidTransition):
        await lifecycle.mark_tender_awarded(published, actor="bids:test")  # not evaluated yet
    with pytest.raises(InvalidTransition):
        await lifecycle.mark_tender_completed(published, actor="bids:test")
    completed = await make_tender(department, status="completed")
    with pytest.raises(InvalidTransition):
        await services.cancel_tender(user_id=department.user_id, tender_id=completed, reason="x")
    cancelled = await make_tender(department, status="cancelled")
    with pytest.raises(InvalidTransition):
        await services.publish_tender(user_id=department.user_id, tender_id=cancelled)
    contracted = await make_tender(department, status="contracted")
    with pytest.raises(InvalidTransition):
        await lifecycle.mark_tender_unsuccessful(contracted, actor="bids:test", reason="x")


async def test_awarded_can_reopen_evaluation_and_cancel() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="awarded")
    await lifecycle.reopen_evaluation(tender_id, actor="bids:test", note="Complaint upheld")
    assert await status_of(tender_id) == "evaluation"
    await lifecycle.mark_tender_awarded(tender_id, actor="bids:test")
    await services.cancel_tender(
        user_id=department.user_id, tender_id=tender_id, reason="Funds cut"
    )
    assert await status_of(tender_id) == "cancelled"


async def test_a_cancel_without_a_reason_is_refused() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    with pytest.raises(ValidationFailed) as caught:
        await services.cancel_tender(user_id=department.user_id, tender_id=tender_id, reason="  ")
    assert "reason" in caught.value.errors
    assert await status_of(tender_id) == "published"


async def test_a_draft_is_cancelled_without_touching_the_ledger() -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    await services.cancel_tender(
        user_id=department.user_id, tender_id=tender_id, reason="Duplicate"
    )
    assert await status_of(tender_id) == "cancelled"
    account = await get_account(budget_account(department.id))
    assert account.debits_pending == 0


async def test_the_bids_app_award_after_the_deadline_needs_no_tick(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    frozen_clock.advance(days=10, minutes=1)  # past the deadline; no tick has run
    with bids_app(live_bids=3):
        await lifecycle.mark_tender_awarded(tender_id, actor="bids:test")
    assert await status_of(tender_id) == "awarded"
    actions = await actions_of(tender_id)
    assert actions[-3:] == ["open_tendering", "close_tendering", "award"]


async def test_missing_tender_is_not_found() -> None:
    department = await make_department()
    with pytest.raises(NotFound):
        await services.publish_tender(user_id=department.user_id, tender_id=999_999)


async def test_editing_a_draft_replaces_its_fields() -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    await services.update_draft(
        user_id=department.user_id,
        tender_id=tender_id,
        form=tender_form(title_en="Evening meals for elders", budget="180000"),
    )
    row = await Tender.select(Tender.title_en, Tender.budget).where(Tender.id == tender_id).first()
    assert row == {"title_en": "Evening meals for elders", "budget": 18_000_000}


async def test_edit_with_bad_input_saves_nothing() -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    with pytest.raises(ValidationFailed):
        await services.update_draft(
            user_id=department.user_id,
            tender_id=tender_id,
            form=tender_form(title_en="Changed", criterion_weight_0="10"),
        )
    row = await Tender.select(Tender.title_en).where(Tender.id == tender_id).first()
    assert row["title_en"] == "Community home-based elderly care"


async def test_the_deadline_window_is_configurable() -> None:
    from market.settings import get_settings, load_settings, reset_settings

    assert services.min_window() == timedelta(days=3)
    saved = get_settings()
    try:
        reset_settings(load_settings({"MARKET_TENDER_MIN_WINDOW_DAYS": "5", "MARKET_ENV": "test"}))
        assert services.min_window() == 5 * DAY
    finally:
        reset_settings(saved)
