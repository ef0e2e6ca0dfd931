"""Tender pages: full page vs fragment, the JSON API, the workspace forms, guards,
bad input shown beside its field with nothing saved, inert HTML."""

from __future__ import annotations

import pytest

from market.tables import Tender, TenderDocument
from tests.builders import csrf_token, htmx, login, make_org, make_user, post_form
from tests.tender_builders import make_department, make_tender, tender_form
from tests.unit.test_tender_documents import PDF
from tests.web.pages import varies_on

pytestmark = pytest.mark.usefixtures("frozen_clock", "english")


@pytest.fixture
def english(client) -> None:
    """Assertions below read English text; the default language is Chinese."""
    client.cookies.set("pgm_lang", "en")


async def test_the_list_is_a_full_page_or_a_fragment(client) -> None:
    department = await make_department()
    await make_tender(department, status="published", title_zh="青少年课后托管", title_en="")
    page = await client.get("/tenders")
    assert page.status_code == 200
    assert "<html" in page.text and 'id="results"' in page.text and "青少年课后托管" in page.text
    assert "HX-Request" in varies_on(page.headers)
    fragment = await client.get("/tenders?category=community_services", headers=htmx())
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.strip().startswith('<section id="results"')
    assert "青少年课后托管" in fragment.text
    empty = await client.get("/tenders?category=charity", headers=htmx())
    assert "青少年课后托管" not in empty.text


async def test_the_no_js_form_pages_with_a_cursor(client, frozen_clock) -> None:
    department = await make_department()
    for n in range(22):
        await make_tender(
            department, status="published", title_zh=f"Tender number {n:02d}", title_en=""
        )
        frozen_clock.advance(minutes=1)
    first = await client.get("/tenders?category=community_services")
    assert "Tender number 21" in first.text and "Tender number 01" not in first.text
    import re

    next_link = re.search(r'href="(/tenders\?[^"]*after=[^"]+)"', first.text)
    assert next_link
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert "Tender number 01" in second.text and "Tender number 21" not in second.text


async def test_the_detail_page_and_drafts(client) -> None:
    department = await make_department()
    published = await make_tender(department, status="published")
    draft = await make_tender(department)
    page = await client.get(f"/tenders/{published}")
    assert page.status_code == 200
    for text in (
        "Timeline",
        "Documents",
        "Questions and answers",
        "Funding by source",
        f"ocds-pgm001-{published}",
    ):
        assert text in page.text
    fragment = await client.get(f"/tenders/{published}", headers=htmx())
    assert fragment.text.strip().startswith('<article class="tender" id="tender">')
    assert "<html" not in fragment.text and "Timeline" in fragment.text
    assert (await client.get(f"/tenders/{draft}")).status_code == 404
    assert (await client.get(f"/api/v1/tenders/{draft}")).status_code == 404
    await login(client, department.email)
    assert (await client.get(f"/tenders/{draft}")).status_code == 200


async def test_html_in_text_fields_is_rendered_inert(client) -> None:
    department = await make_department()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    tender_id = await make_tender(
        department, status="published", title_en=payload, description_zh=payload, area=payload
    )
    page = await client.get(f"/tenders/{tender_id}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    listing = await client.get("/tenders")
    assert "<script>alert" not in listing.text


async def test_the_json_api_lists_filters_and_pages(client, frozen_clock) -> None:
    department = await make_department()
    ids = []
    for _ in range(3):
        ids.append(await make_tender(department, status="published", category="charity"))
        frozen_clock.advance(minutes=1)
    await make_tender(department, status="published", category="dispute_mediation")
    await make_tender(department)  # a draft: never listed
    first = (await client.get("/api/v1/tenders?category=charity&limit=2")).json()
    assert [item["id"] for item in first["items"]] == [ids[2], ids[1]]
    assert first["items"][0]["budget"] == {"amount": 20_000_000, "currency": "CNY"}
    second = (await client.get(first["next"])).json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None
    detail = (await client.get(f"/api/v1/tenders/{ids[0]}")).json()
    assert detail["tender"]["ocid"] == f"ocds-pgm001-{ids[0]}"
    assert sum(c["weight"] for c in detail["criteria"]) == 100
    assert {f["source"] for f in detail["funding"]} == {"government", "corporate", "public"}
    assert (await client.get("/api/v1/tenders?limit=0")).status_code == 400


async def test_the_api_is_in_the_openapi_schema(client) -> None:
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/v1/tenders" in schema["paths"]
    assert "/api/v1/tenders/{tender_id}" in schema["paths"]
    listing = schema["paths"]["/api/v1/tenders"]["get"]
    assert {"status", "category", "area", "q", "budget_min", "budget_max", "after", "limit"} <= {
        p["name"] for p in listing["parameters"]
    }
    assert "TenderDetailOut" in schema["components"]["schemas"]


async def test_the_workspace_is_for_department_members_only(client) -> None:
    owner = await make_department()
    other = await make_department()
    tender_id = await make_tender(owner)
    anonymous = await client.get("/workspace/tenders")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    ngo = await make_user("ngo-staff@example.org")
    await make_org(kind="social_org", admin=ngo)
    await login(client, "ngo-staff@example.org")
    assert (await client.get("/workspace/tenders")).status_code == 403
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/tenders")})
    client.cookies.clear()
    await login(client, other.email)
    assert (await client.get(f"/workspace/tenders/{tender_id}")).status_code == 404  # a draft
    published = await make_tender(owner, status="published")
    assert (await client.get(f"/workspace/tenders/{published}")).status_code == 403
    assert (await client.get(f"/workspace/tenders/{published}/amend")).status_code == 403
    response = await post_form(
        client, f"/workspace/tenders/{tender_id}/publish", {}, token_from="/workspace/tenders"
    )
    assert response.status_code == 403
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    assert row["status"] == "draft"


async def test_draft_publish_and_cancel_through_the_forms(client) -> None:
    department = await make_department()
    await login(client, department.email)
    form = {**tender_form(), "department_id": str(department.id)}
    created = await post_form(
        client, "/workspace/tenders/", form, token_from="/workspace/tenders/new"
    )
    assert created.status_code == 303
    tender_id = int(created.headers["location"].rsplit("/", 1)[1])
    published = await post_form(
        client, f"/workspace/tenders/{tender_id}/publish", {}, token_from="/workspace/tenders"
    )
    assert published.status_code == 303
    cancel = await post_form(
        client,
        f"/workspace/tenders/{tender_id}/cancel",
        {"reason": ""},
        htmx=True,
        token_from="/workspace/tenders",
    )
    assert cancel.status_code == 422
    assert 'id="reason-error"' in cancel.text and "<html" not in cancel.text
    cancel = await post_form(
        client,
        f"/workspace/tenders/{tender_id}/cancel",
        {"reason": "Merged with another"},
        token_from="/workspace/tenders",
    )
    assert cancel.status_code == 303
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    assert row["status"] == "cancelled"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid_deadline": "2026-11-03T10:00"}, "bid_deadline"),  # before enquiry end
        ({"criterion_weight_0": "40"}, "criteria"),  # 40 + 20 + 30 = 90
        ({"budget": "0"}, "budget"),
        ({"budget": "-5"}, "budget"),
        ({"title_zh": "", "title_en": ""}, "title_zh"),
    ],
)
async def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
    client, overrides: dict[str, str], field: str
) -> None:
    department = await make_department()
    await login(client, department.email)
    before = await Tender.count()
    form = {**tender_form(**overrides), "department_id": str(department.id)}
    fragment = await post_form(
        client, "/workspace/tenders/", form, htmx=True, token_from="/workspace/tenders/new"
    )
    assert fragment.status_code == 422
    assert f'id="{field}-error"' in fragment.text
    assert "<html" not in fragment.text and 'id="tender-form"' in fragment.text
    page = await post_form(client, "/workspace/tenders/", form, token_from="/workspace/tenders/new")
    assert page.status_code == 422 and "<html" in page.text and f'id="{field}-error"' in page.text
    assert await Tender.count() == before


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("notice.pdf", b"<html><script>alert(1)</script></html>"),
        ("notice.docx", PDF),
        ("big.pdf", PDF + b"0" * (5 * 1024 * 1024)),
    ],
)
async def test_disguised_or_oversized_documents_are_refused(client, filename, data) -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    await login(client, department.email)
    token = await csrf_token(client, f"/workspace/tenders/{tender_id}")
    response = await client.post(
        f"/workspace/tenders/{tender_id}/documents",
        data={"_csrf_token": token, "title": "Notice"},
        files={"document": (filename, data, "application/pdf")},
    )
    assert response.status_code == 422
    assert 'id="document-error"' in response.text
    assert await TenderDocument.count() == 0


async def test_a_document_is_uploaded_and_downloaded(client) -> None:
    department = await make_department()
    tender_id = await make_tender(department)
    await login(client, department.email)
    token = await csrf_token(client, f"/workspace/tenders/{tender_id}")
    response = await client.post(
        f"/workspace/tenders/{tender_id}/documents",
        data={"_csrf_token": token, "title": "招标公告"},
        files={"document": ("公告.pdf", PDF, "application/octet-stream")},
    )
    assert response.status_code == 303
    document = await TenderDocument.select(TenderDocument.id).first()
    download = await client.get(f"/tenders/{tender_id}/documents/{document['id']}")
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]
    client.cookies.clear()  # a draft's documents are not public
    hidden = await client.get(f"/tenders/{tender_id}/documents/{document['id']}")
    assert hidden.status_code == 404


async def test_a_social_organization_asks_and_the_department_answers(client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    ngo = await make_user("asker@example.org")
    await make_org(kind="social_org", admin=ngo)
    await login(client, "asker@example.org")
    page = await client.get(f"/tenders/{tender_id}")
    assert 'name="question"' in page.text
    empty = await post_form(
        client,
        f"/tenders/{tender_id}/questions",
        {"question": " "},
        htmx=True,
        token_from=f"/tenders/{tender_id}",
    )
    assert empty.status_code == 422 and 'id="question-error"' in empty.text
    asked = await post_form(
        client,
        f"/tenders/{tender_id}/questions",
        {"question": "Are home visits weekly?"},
        token_from=f"/tenders/{tender_id}",
    )
    assert asked.status_code == 303
    client.cookies.clear()
    public = await client.get(f"/tenders/{tender_id}")
    assert "Are home visits weekly?" in public.text and "测试社会组织" not in public.text
