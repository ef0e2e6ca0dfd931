"""Sessions after a password change or reset, and the e-mailed one-time reset link.

A change ends every other session of the user (the one that changed it continues); a
reset ends them all. The link's token is stored hashed, works once, expires after 30
minutes, and an unknown address gets the same answer as a known one (and no e-mail).
The e-mail goes through the outbox (a row in the request's transaction) and, with no
SMTP server configured, lands as an .eml file under var/mail/.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from market import accounts
from market.settings import get_settings
from market.sql import execute
from tests.web.forms import log_in, post_form

PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"
EMAIL = "sessions@example.org"


@pytest.fixture(autouse=True)
def empty_mailbox() -> None:
    for path in (get_settings().var_dir / "mail").glob("*.eml"):
        path.unlink()


@pytest.fixture
async def member() -> int:
    return await accounts.sign_up(email=EMAIL, display_name="S", password=PASSWORD)


@pytest.fixture
async def other(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A second browser of the same person."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/profile")
    return response.status_code == 200


def mails_to(address: str) -> list[Path]:
    folder = get_settings().var_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(path)
    return found


def link_in(path: Path) -> str:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"https?://[^/\s]+(/password-reset/[A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


async def ask_for_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/password-reset", {"email": email}, token_from="/login")


async def test_a_password_change_ends_every_other_session(client, other, member) -> None:
    await log_in(client, EMAIL, PASSWORD)
    await log_in(other, EMAIL, PASSWORD)
    assert await signed_in(client) and await signed_in(other)
    response = await post_form(
        client, "/profile/password", {"current": PASSWORD, "new": NEW}, token_from="/profile"
    )
    assert response.status_code == 303, response.text
    assert await signed_in(client)  # the session that changed it continues
    assert not await signed_in(other)  # the other browser is signed out
    await log_in(other, EMAIL, NEW)
    assert await signed_in(other)


async def test_a_reset_link_is_mailed_through_the_outbox_and_works_once(
    client, other, member
) -> None:
    await log_in(other, EMAIL, PASSWORD)
    response = await ask_for_link(client, EMAIL)
    assert response.status_code == 200
    assert 'id="reset-sent"' in response.text
    rows = await execute("SELECT recipient, sent_at FROM market_outbox WHERE recipient = {}", EMAIL)
    assert len(rows) == 1 and rows[0]["sent_at"] is not None
    [mail] = mails_to(EMAIL)
    path = link_in(mail)
    token = path.rsplit("/", 1)[1]
    stored = await execute("SELECT token_hash FROM market_password_reset")
    assert [r["token_hash"] for r in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(stored)

    page = await client.get(path)
    assert page.status_code == 200 and 'name="new"' in page.text
    done = await post_form(client, path, {"new": NEW}, token_from="/login")
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=done"
    assert not await signed_in(other)  # every session of the user ends
    # The person is told, although the session that would have carried the message ended.
    landed = await client.get(done.headers["location"])
    assert "密码已修改，请使用新密码登录。" in landed.text  # the visitor's language: zh-Hans
    await log_in(client, EMAIL, NEW)

    again = await post_form(client, path, {"new": "yet another passphrase"}, token_from="/login")
    assert again.status_code == 422 and 'id="reset-invalid"' in again.text
    assert 'id="reset-invalid"' in (await client.get(path)).text


async def test_a_reset_link_expires_after_30_minutes(client, member, frozen_clock) -> None:
    await ask_for_link(client, EMAIL)
    path = link_in(mails_to(EMAIL)[-1])
    frozen_clock.advance(minutes=29)
    assert 'name="new"' in (await client.get(path)).text  # still valid at 29 minutes
    frozen_clock.advance(minutes=2)
    expired = await post_form(client, path, {"new": NEW}, token_from="/login")
    assert expired.status_code == 422 and 'id="reset-invalid"' in expired.text
    await log_in(client, EMAIL, PASSWORD)  # the old password still works


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, member) -> None:
    known = await ask_for_link(client, EMAIL)
    unknown = await ask_for_link(client, "nobody-here@example.org")
    strip = re.compile(r'name="_csrf_token" value="[^"]+"')
    assert unknown.status_code == known.status_code == 200
    assert strip.sub("", unknown.text) == strip.sub("", known.text)
    rows = await execute("SELECT recipient FROM market_outbox")
    assert [r["recipient"] for r in rows] == [EMAIL]


async def test_a_short_new_password_is_refused_beside_the_field(client, member) -> None:
    await ask_for_link(client, EMAIL)
    path = link_in(mails_to(EMAIL)[-1])
    response = await post_form(client, path, {"new": "short"}, token_from="/login")
    assert response.status_code == 422 and 'id="new-error"' in response.text
    # The link was not used up by the refused attempt.
    assert (await post_form(client, path, {"new": NEW}, token_from="/login")).status_code == 303


async def test_the_csrf_token_is_bound_to_the_session_at_sign_in(client, member) -> None:
    from tests.web.forms import csrf_token

    planted = await csrf_token(client, "/login")  # a token known before signing in
    planted_cookie = client.cookies.get("pgm_csrf")
    await log_in(client, EMAIL, PASSWORD)
    assert client.cookies.get("pgm_csrf") != planted_cookie  # a fresh one was issued
    fresh = await post_form(
        client, "/profile", {"display_name": "Fresh", "locale": ""}, token_from="/profile"
    )
    assert fresh.status_code == 303
    # The planted pair (cookie + token) is valid for Litestar's double submit, but not
    # bound to this session: refused.
    client.cookies.set("pgm_csrf", planted_cookie)
    stale = await client.post(
        "/profile", data={"display_name": "Stale", "locale": "", "_csrf_token": planted}
    )
    assert stale.status_code == 403
    assert (await accounts.load_principal(member)).display_name == "Fresh"  # type: ignore[union-attr]


async def test_reset_mails_to_one_account_are_capped(client, member, frozen_clock) -> None:
    for _ in range(accounts.RESETS_PER_WINDOW + 2):
        response = await ask_for_link(client, EMAIL)
        assert response.status_code == 200 and 'id="reset-sent"' in response.text
    assert len(mails_to(EMAIL)) == accounts.RESETS_PER_WINDOW
    frozen_clock.advance(minutes=31)
    await ask_for_link(client, EMAIL)
    assert len(mails_to(EMAIL)) == accounts.RESETS_PER_WINDOW + 1
