"""Tender forms filled as a department official and a social organization fill them:
new tender, edit draft, amend, publish, cancel, documents, questions and answers.

Only required fields are typed; an empty optional date (the opening time) stays
empty — derived from the deadline of the same form, never copied from an old one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from market.sql import execute
from market.tenders.queries import tender_for_edit
from tests.builders import login, make_org, make_user
from tests.tender_builders import local, make_department, make_tender
from tests.unit.test_tender_documents import PDF
from tests.web.forms import find_form, none_texts, none_values, submit

pytestmark = pytest.mark.usefixtures("frozen_clock", "english")
DAY = timedelta(days=1)


@pytest.fixture
def english(client) -> None:
    client.cookies.set("pgm_lang", "en")


def required_tender_fields(now, **overrides: str) -> dict[str, str]:
    """What a department official must type: one title, the service, the budget, one
    criterion and the two dates. Everything else is left as the form offers it."""
    return {
        "title_zh": "社区居家养老服务项目",
        "category": "community_services",
        "area_level": "street",
        "area": "湖滨街道",
        "budget": "200000",
        "criterion_name_0": "服务方案",
        "criterion_weight_0": "100",
        "enquiry_end": local(now + 5 * DAY),
        "bid_deadline": local(now + 10 * DAY),
        **overrides,
    }


async def tender_row(tender_id: int) -> dict:
    return await tender_for_edit(tender_id)


async def create_through_the_form(client, frozen_clock, **overrides: str) -> int:
    page = await client.get("/workspace/tenders/new")
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(
        client,
        page,
        "/workspace/tenders/",
        required_tender_fields(frozen_clock.at, **overrides),
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_a_new_tender_with_only_the_required_fields(client, frozen_clock) -> None:
    department = await make_department()
    await login(client, department.email)
    tender_id = await create_through_the_form(client, frozen_clock)
    row = await tender_row(tender_id)
    assert row["status"] == "draft" and row["department"] == department.id
    assert row["title_en"] == "" and row["description_zh"] == "" and row["description_en"] == ""
    assert row["goal_public"] == 0 and row["min_bids"] == 1
    assert row["opening_at"] == row["bid_deadline"]  # empty: at the deadline
    assert not none_texts(row)
    manage = await client.get(f"/workspace/tenders/{tender_id}")
    assert "Draft saved" in manage.text and "社区居家养老服务项目" in manage.text


async def test_moving_a_drafts_deadline_moves_an_empty_opening_time_with_it(
    client, frozen_clock
) -> None:
    department = await make_department()
    await login(client, department.email)
    tender_id = await create_through_the_form(client, frozen_clock)
    page = await client.get(f"/workspace/tenders/{tender_id}/edit")
    form = find_form(page.text, f"/workspace/tenders/{tender_id}/edit")
    assert form.defaults()["opening_at"] == [""]  # shown empty again, not as the old deadline
    later = frozen_clock.at + 14 * DAY
    response = await submit(
        client, page, f"/workspace/tenders/{tender_id}/edit", {"bid_deadline": local(later)}
    )
    assert response.status_code == 303, response.text
    row = await tender_row(tender_id)
    assert local(row["bid_deadline"]) == local(later)
    assert row["opening_at"] == row["bid_deadline"]
    assert not none_texts(row)


async def test_an_opening_time_that_was_typed_is_kept_on_edit(client, frozen_clock) -> None:
    department = await make_department()
    await login(client, department.email)
    opening = local(frozen_clock.at + 12 * DAY)
    tender_id = await create_through_the_form(client, frozen_clock, opening_at=opening)
    page = await client.get(f"/workspace/tenders/{tender_id}/edit")
    assert find_form(page.text, f"/workspace/tenders/{tender_id}/edit").defaults()[
        "opening_at"
    ] == [opening]
    response = await submit(
        client, page, f"/workspace/tenders/{tender_id}/edit", {"area": "西湖街道"}
    )
    assert response.status_code == 303, response.text
    row = await tender_row(tender_id)
    assert local(row["opening_at"]) == opening and row["area"] == "西湖街道"


async def test_publish_upload_and_cancel_from_the_manage_page(client, frozen_clock) -> None:
    department = await make_department()
    await login(client, department.email)
    tender_id = await create_through_the_form(client, frozen_clock)
    base = f"/workspace/tenders/{tender_id}"
    page = await client.get(base)
    uploaded = await submit(
        client,
        page,
        f"{base}/documents",
        files={"document": ("terms.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    docs = await execute(
        "SELECT title, filename FROM market_tender_document WHERE tender = {}", tender_id
    )
    assert docs[0]["filename"] == "terms.pdf" and not none_texts(dict(docs[0]))
    published = await submit(client, await client.get(base), f"{base}/publish")
    assert published.status_code == 303
    assert (await tender_row(tender_id))["status"] == "published"
    page = await client.get(base)
    refused = await submit(client, page, f"{base}/cancel", htmx=True, complete=False)
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert 'aria-invalid="true" aria-describedby="reason-error"' in refused.text
    cancelled = await submit(client, page, f"{base}/cancel", {"reason": "与另一项目合并"})
    assert cancelled.status_code == 303
    row = await tender_row(tender_id)
    assert row["status"] == "cancelled" and row["cancel_reason"] == "与另一项目合并"


async def test_an_amendment_with_only_its_explanation_and_one_change(client, frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published", opening_at="")
    await login(client, department.email)
    page = await client.get(f"/workspace/tenders/{tender_id}/amend")
    assert page.status_code == 200 and not none_values(page.text)
    before = await tender_row(tender_id)
    later = before["bid_deadline"] + 2 * DAY
    response = await submit(
        client,
        page,
        f"/workspace/tenders/{tender_id}/amend",
        {"bid_deadline": local(later), "note": "延长投标期"},
    )
    assert response.status_code == 303, response.text
    row = await tender_row(tender_id)
    assert local(row["bid_deadline"]) == local(later)
    assert row["opening_at"] == row["bid_deadline"]
    assert row["amendment_count"] == 1 and not none_texts(row)
    notes = await execute(
        "SELECT note FROM market_tender_revision WHERE tender = {} AND action = 'amend'",
        tender_id,
    )
    assert notes[0]["note"] == "延长投标期"


async def asker(client, tender_id: int) -> None:
    user = await make_user("asker@example.org")
    await make_org(kind="social_org", admin=user)
    await login(client, "asker@example.org")


async def test_a_question_asked_without_javascript_is_shown_as_submitted(client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await asker(client, tender_id)
    page = await client.get(f"/tenders/{tender_id}")
    response = await submit(
        client, page, f"/tenders/{tender_id}/questions", {"question": "每周上门几次？"}
    )
    assert response.status_code == 303
    question = (await execute("SELECT * FROM market_tender_question WHERE tender = {}", tender_id))[
        0
    ]
    assert question["question"] == "每周上门几次？" and question["answer"] == ""
    assert response.headers["location"] == f"/tenders/{tender_id}#question-{question['id']}"
    shown = await client.get(response.headers["location"])
    assert "Your question was submitted and published" in shown.text
    assert f'id="question-{question["id"]}"' in shown.text and "Not answered yet" in shown.text
    again = await client.get(f"/tenders/{tender_id}")
    assert "Your question was submitted" not in again.text  # said once


async def test_a_question_asked_with_htmx_comes_back_in_the_questions_section(client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await asker(client, tender_id)
    page = await client.get(f"/tenders/{tender_id}")
    response = await submit(
        client,
        page,
        f"/tenders/{tender_id}/questions",
        {"question": "是否需要提供交通？"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="questions"')
    assert "是否需要提供交通？" in response.text
    assert 'role="status"' in response.text and "Your question was submitted" in response.text
    form = find_form(response.text, f"/tenders/{tender_id}/questions")
    assert form.defaults()["question"] == [""]  # ready for the next question


async def test_the_department_answers_from_the_manage_page(client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await asker(client, tender_id)
    await submit(
        client,
        await client.get(f"/tenders/{tender_id}"),
        f"/tenders/{tender_id}/questions",
        {"question": "预算含税吗？"},
    )
    question = (
        await execute("SELECT id FROM market_tender_question WHERE tender = {}", tender_id)
    )[0]
    client.cookies.clear()
    client.cookies.set("pgm_lang", "en")
    await login(client, department.email)
    base = f"/workspace/tenders/{tender_id}"
    page = await client.get(base)
    assert not none_values(page.text)
    action = f"{base}/questions/{question['id']}/answer"
    response = await submit(client, page, action, {f"answer-{question['id']}": "含税。"})
    assert response.status_code == 303
    row = (
        await execute("SELECT answer FROM market_tender_question WHERE id = {}", question["id"])
    )[0]
    assert row["answer"] == "含税。"
    public = await client.get(f"/tenders/{tender_id}")
    assert re.search(r"含税。", public.text)


async def test_the_tender_filter_form(client) -> None:
    department = await make_department()
    await make_tender(department, status="published", title_zh="青少年课后托管", title_en="")
    page = await client.get("/tenders")
    assert not none_values(page.text)
    found = await submit(client, page, "/tenders", {"category": "community_services"})
    assert found.status_code == 200 and "青少年课后托管" in found.text
    assert not none_values(found.text)
    none_found = await submit(client, page, "/tenders", {"category": "charity"})
    assert "青少年课后托管" not in none_found.text


async def test_a_draft_document_is_removed_from_the_manage_page(client, frozen_clock) -> None:
    department = await make_department()
    await login(client, department.email)
    tender_id = await create_through_the_form(client, frozen_clock)
    base = f"/workspace/tenders/{tender_id}"
    await submit(
        client,
        await client.get(base),
        f"{base}/documents",
        {"title": "招标文件"},
        files={"document": ("terms.pdf", PDF, "application/pdf")},
    )
    doc = (
        await execute("SELECT id, title FROM market_tender_document WHERE tender = {}", tender_id)
    )[0]
    assert doc["title"] == "招标文件"
    removed = await submit(client, await client.get(base), f"{base}/documents/{doc['id']}/delete")
    assert removed.status_code == 303
    assert not await execute("SELECT id FROM market_tender_document WHERE tender = {}", tender_id)
