"""Account and organization forms, filled as a person fills them: open the page, type
only the required fields, submit the page's own form, check what was stored and shown.

No field may open with the text "None", and no stored text may become "None"."""

from __future__ import annotations

import httpx
import pytest

from market.sql import execute
from tests.builders import PASSWORD, login, make_operator, make_org, make_user, next_uscc
from tests.web.forms import none_texts, none_values, submit


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


async def user_row(email: str) -> dict:
    rows = await execute(
        "SELECT email, display_name, platform_role, locale FROM market_user WHERE email = {}",
        email,
    )
    return dict(rows[0])


async def test_sign_up_with_the_required_fields_stores_them_as_typed(client):
    page = await client.get("/signup")
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(
        client,
        page,
        "/signup",
        {"email": "li.na@example.org", "display_name": "李娜", "password": "long enough pw"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    row = await user_row("li.na@example.org")
    assert row["display_name"] == "李娜" and not none_texts(row)
    dashboard = await client.get("/dashboard")
    assert "Your account is ready" in dashboard.text


async def test_sign_up_errors_are_announced_and_tied_to_their_fields(client):
    page = await client.get("/signup")
    response = await submit(
        client,
        page,
        "/signup",
        {"email": "not-an-email", "display_name": "李娜", "password": "short"},
        htmx=True,
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true" aria-describedby="password-error"' in response.text
    assert 'id="password-error"' in response.text
    assert not none_values(response.text)


async def test_log_in_form_signs_in(client):
    await make_user("wang@example.org")
    page = await client.get("/login")
    response = await submit(
        client, page, "/login", {"email": "wang@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    wrong = await submit(
        client, await client.get("/login"), "/login", {"email": "x@example.org", "password": "no"}
    )
    assert wrong.status_code == 422
    assert 'aria-describedby="login-error"' in wrong.text and 'role="alert"' in wrong.text


async def test_profile_saved_untouched_keeps_name_and_an_empty_language(client):
    await make_user("zhao@example.org", display_name="赵六")
    await login(client, "zhao@example.org")
    page = await client.get("/profile")
    assert not none_values(page.text)
    response = await submit(client, page, "/profile")
    assert response.status_code == 303
    row = await user_row("zhao@example.org")
    assert row["display_name"] == "赵六" and row["locale"] == "" and not none_texts(row)


async def test_password_change_form(client):
    await make_user("qian@example.org")
    await login(client, "qian@example.org")
    page = await client.get("/profile")
    response = await submit(
        client, page, "/profile/password", {"current": PASSWORD, "new": "a brand new secret"}
    )
    assert response.status_code == 303
    assert "Password changed" in (await client.get("/profile")).text


async def test_language_switch_form(client):
    page = await client.get("/tenders")
    response = await submit(client, page, "/lang", button=("lang", "zh_Hans"))
    assert response.status_code == 303
    assert "pgm_lang=zh_Hans" in response.headers.get("set-cookie", "")


async def test_registering_with_only_the_required_fields_stores_empty_optionals(client):
    await make_user("founder@example.org")
    await login(client, "founder@example.org")
    page = await client.get("/organizations/register")
    assert page.status_code == 200 and not none_values(page.text)
    code = next_uscc()
    response = await submit(
        client,
        page,
        "/organizations/register",
        {"name_zh": "阳光社工服务中心", "uscc": code, "category": "community_services"},
    )
    assert response.status_code == 303, response.text
    rows = await execute("SELECT * FROM market_organization WHERE uscc = {}", code)
    row = dict(rows[0])
    assert row["status"] == "pending" and row["kind"] == "social_org"
    assert row["name_en"] == "" and row["area"] == "" and row["contact_email"] == ""
    assert row["description_zh"] == "" and row["registered_year"] is None
    assert not none_texts(row)
    shown = await client.get(response.headers["location"])
    assert "阳光社工服务中心" in shown.text and "None" not in shown.text


async def test_adding_a_member_by_email(client):
    admin = await make_user("admin@example.org")
    org = await make_org(admin=admin)
    await make_user("new.member@example.org")
    await login(client, "admin@example.org")
    page = await client.get(f"/organizations/{org}/members")
    assert not none_values(page.text)
    response = await submit(
        client, page, f"/organizations/{org}/members", {"email": "new.member@example.org"}
    )
    assert response.status_code == 303
    rows = await execute(
        'SELECT m.role FROM market_membership m JOIN market_user u ON u.id = m."user"'
        " WHERE u.email = {} AND m.organization = {}",
        "new.member@example.org",
        org,
    )
    assert rows[0]["role"] == "member"


async def test_operator_verifies_without_rating_and_rejects_with_a_reason(client):
    await make_operator("op@example.org")
    first = await make_org(status="pending", name_zh="待审组织甲")
    second = await make_org(status="pending", name_zh="待审组织乙")
    await login(client, "op@example.org")
    page = await client.get("/operator/organizations")
    assert not none_values(page.text)
    verified = await submit(
        client,
        page,
        f"/operator/organizations/{first}/decision",
        button=("action", "verify"),
    )
    assert verified.status_code == 303
    page = await client.get("/operator/organizations")
    refused = await submit(
        client,
        page,
        f"/operator/organizations/{second}/decision",
        button=("action", "reject"),
        htmx=True,
    )
    assert refused.status_code == 422  # a rejection needs a reason
    assert 'role="alert"' in refused.text
    assert 'aria-invalid="true" aria-describedby="reason-error"' in refused.text
    page = await client.get("/operator/organizations")
    rejected = await submit(
        client,
        page,
        f"/operator/organizations/{second}/decision",
        {"reason": "材料不全"},
        button=("action", "reject"),
    )
    assert rejected.status_code == 303
    rows = await execute(
        "SELECT id, status, rating, decision_reason FROM market_organization"
        " WHERE id IN ({}, {}) ORDER BY id",
        first,
        second,
    )
    assert [r["status"] for r in rows] == ["verified", "rejected"]
    assert rows[0]["rating"] == "" and rows[1]["decision_reason"] == "材料不全"
    assert not any(none_texts(dict(r)) for r in rows)


async def test_logging_out_from_the_header(client):
    await make_user("leaving@example.org")
    await login(client, "leaving@example.org")
    page = await client.get("/profile")
    response = await submit(client, page, "/logout")
    assert response.status_code == 303
    assert (await client.get("/profile")).status_code == 303  # back to the log-in page


async def test_the_organization_directory_filter_form(client):
    await make_org(name_zh="阳光社工", name_en="Sunshine Social Work", category="charity")
    await make_org(name_zh="彩虹调解", name_en="Rainbow Mediation", category="dispute_mediation")
    page = await client.get("/organizations")
    assert not none_values(page.text)
    found = await submit(client, page, "/organizations", {"category": "charity"})
    assert found.status_code == 200
    assert "Sunshine Social Work" in found.text and "Rainbow Mediation" not in found.text
    assert not none_values(found.text)
