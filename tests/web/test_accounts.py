"""Sign-up, log-in and profile through the web, with the errors a person would see."""

from __future__ import annotations

from market import accounts
from market.tables import User
from tests.web.forms import log_in, post_form

PASSWORD = "correct horse battery"


async def test_signup_creates_account_and_logs_in(client):
    response = await post_form(
        client,
        "/signup",
        {"email": "Lin.Fang@Example.org", "display_name": "林芳", "password": PASSWORD},
        token_from="/signup",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "林芳" in dashboard.text
    assert await User.exists().where(User.email == "lin.fang@example.org")


async def test_duplicate_email_is_refused_beside_the_field_and_nothing_changes(client):
    await accounts.sign_up(email="dup@example.org", display_name="First", password=PASSWORD)
    before = await User.count()
    response = await post_form(
        client,
        "/signup",
        {"email": "DUP@example.org", "display_name": "Second", "password": PASSWORD},
        token_from="/signup",
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "already exists" in response.text or "已" in response.text
    assert await User.count() == before


async def test_signup_errors_come_back_as_fragment_for_htmx(client):
    response = await post_form(
        client,
        "/signup",
        {"email": "not-an-email", "display_name": "", "password": "short"},
        htmx=True,
        token_from="/signup",
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    for field in ("email", "display_name", "password"):
        assert f'id="{field}-error"' in response.text
    assert await User.count() == 0


async def test_wrong_password_and_unknown_email_get_the_same_message(client):
    await accounts.sign_up(email="known@example.org", display_name="Known", password=PASSWORD)
    wrong = await post_form(
        client, "/login", {"email": "known@example.org", "password": "nope-nope-nope"}
    )
    unknown = await post_form(
        client, "/login", {"email": "nobody@example.org", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 422

    def message(text: str) -> str:
        start = text.index('id="login-error">') + len('id="login-error">')
        return text[start : text.index("</p>", start)]

    assert message(wrong.text) == message(unknown.text)
    assert "pgm_session" not in wrong.headers.get("set-cookie", "")


async def test_dashboard_needs_login_and_remembers_where_to_go(client):
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"


async def test_login_redirects_only_to_local_paths(client):
    await accounts.sign_up(email="nx@example.org", display_name="N", password=PASSWORD)
    response = await post_form(
        client,
        "/login",
        {"email": "nx@example.org", "password": PASSWORD, "next": "//evil.example/steal"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


async def test_profile_update_and_validation(client):
    await accounts.sign_up(email="p@example.org", display_name="Before", password=PASSWORD)
    await log_in(client, "p@example.org", PASSWORD)
    ok = await post_form(
        client, "/profile", {"display_name": "After", "locale": "en"}, token_from="/profile"
    )
    assert ok.status_code == 303
    assert (await User.select(User.display_name, User.locale).first()) == {
        "display_name": "After",
        "locale": "en",
    }
    bad = await post_form(
        client, "/profile", {"display_name": " ", "locale": "fr"}, token_from="/profile", htmx=True
    )
    assert bad.status_code == 422
    assert 'id="display_name-error"' in bad.text
    assert (await User.select(User.display_name).first())["display_name"] == "After"


async def test_password_change_requires_current_password(client):
    await accounts.sign_up(email="pw@example.org", display_name="P", password=PASSWORD)
    await log_in(client, "pw@example.org", PASSWORD)
    wrong = await post_form(
        client,
        "/profile/password",
        {"current": "not-it-at-all", "new": "a brand new secret"},
        token_from="/profile",
    )
    assert wrong.status_code == 422
    assert 'id="current-error"' in wrong.text
    ok = await post_form(
        client,
        "/profile/password",
        {"current": PASSWORD, "new": "a brand new secret"},
        token_from="/profile",
    )
    assert ok.status_code == 303
    assert await accounts.authenticate("pw@example.org", "a brand new secret")
