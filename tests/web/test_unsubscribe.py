"""Unsubscribing from an e-mail without logging in (RFC 8058): the mail client's
one-click POST to the `List-Unsubscribe` URL, and a person who opens the link, reads
the page in the e-mail's language and presses its button. Either way the next
notification of that kind is not e-mailed; other kinds still are."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from market import outbox
from market.settings import get_settings
from market.sql import execute
from notify import unsubscribe
from notify.send import notify_address, notify_users
from tests.builders import make_user
from tests.smtp import Mailbox
from tests.web.forms import submit

pytestmark = pytest.mark.usefixtures("rollback")


def rendered(params: Mapping[str, Any], lang: str) -> outbox.Rendered:
    return outbox.Rendered(f"Update {params['n']} ({lang})", f"News number {params['n']}.")


@pytest.fixture(autouse=True)
def renderers(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test wording, set after the app's wiring registered the real renderers."""
    for kind in ("project.update", "question.answered", "organization.verification"):
        monkeypatch.setitem(outbox._RENDERERS, kind, rendered)


def site_path(url: str) -> str:
    """The path (and query) of one of our absolute links."""
    base = get_settings().base_url.rstrip("/")
    assert url.startswith(base + "/"), url
    return url[len(base) :]


def html_part(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()  # type: ignore[union-attr]


async def email_keys() -> set[str]:
    rows = await execute("SELECT key FROM market_outbox WHERE channel = 'email'")
    return {r["key"] for r in rows}


async def test_the_mail_clients_one_click_post_stops_that_kind_for_the_user(
    app: Any, mailbox: Mailbox
) -> None:
    uid = await make_user("donor@example.org", locale="en")
    await notify_users("project.update:1", "project.update", [uid], {"n": 1}, "/projects/1")
    await outbox.deliver_pending()
    [mail] = mailbox.to("donor@example.org")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(mail["List-Unsubscribe"]).strip("<>")
    # A mail client: no cookie, no CSRF token, just the RFC 8058 body.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post(site_path(url), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text
    assert "We will no longer e-mail donor@example.org" in answer.text
    [pref] = await execute(
        'SELECT kind, channel, enabled FROM notify_preference WHERE "user" = {}', uid
    )
    assert (pref["kind"], pref["channel"], bool(pref["enabled"])) == (
        "project.update",
        "email",
        False,
    )

    await notify_users("project.update:2", "project.update", [uid], {"n": 2}, "/projects/1")
    await notify_users("tender.answer:3:1", "question.answered", [uid], {"n": 3}, "/tenders/3")
    await outbox.deliver_pending()
    assert [m["Subject"] for m in mailbox.to("donor@example.org")] == [
        "Update 1 (en)",
        "Update 3 (en)",  # another kind still comes
    ]
    inbox = await outbox.inbox_page(uid)
    assert [item.params["n"] for item in inbox] == [3, 2, 1]  # the inbox still has them all


async def test_a_guest_opens_the_link_reads_the_page_in_chinese_and_presses_the_button(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await notify_address("project.update:7", "project.update", "Guest@Example.org", "zh_Hans",
                         {"n": 7}, "/projects/2")  # fmt: skip
    await outbox.deliver_pending()
    [mail] = mailbox.to("Guest@Example.org")
    link = re.search(r'<a href="([^"]+/unsubscribe/[^"]+)"', html_part(mail))
    assert link, html_part(mail)
    assert "/notifications/preferences" not in html_part(mail)  # no account, no settings
    page = await client.get(site_path(link.group(1).replace("&amp;", "&")))
    assert page.status_code == 200
    assert "停止向 guest@example.org 发送关于“我支持的项目有新进展”的邮件？" in page.text
    assert await execute("SELECT * FROM notify_suppression") == []  # opening changes nothing

    done = await submit(client, page, site_path(link.group(1).replace("&amp;", "&")))
    assert done.status_code == 200
    assert "我们将不再向 guest@example.org 发送关于“我支持的项目有新进展”的邮件。" in done.text
    [row] = await execute("SELECT address, kind FROM notify_suppression")
    assert (row["address"], row["kind"]) == ("guest@example.org", "project.update")

    assert await notify_address("project.update:8", "project.update", "GUEST@example.org",
                                "zh_Hans", {"n": 8}, "/projects/2") == 0  # fmt: skip
    assert await notify_address("organization.decided:5", "organization.verification",
                                "guest@example.org", "zh_Hans", {"n": 9}, "") == 1  # fmt: skip
    await outbox.deliver_pending()
    assert [m["Subject"] for m in mailbox.to("guest@example.org")] == ["Update 9 (zh_Hans)"]


async def test_a_second_click_changes_nothing_more(client: httpx.AsyncClient) -> None:
    uid = await make_user("twice@example.org")
    path = f"/unsubscribe/{unsubscribe.sign('project.update', user_id=uid)}?lang=en"
    for _ in range(2):
        assert (await client.post(path, data={"List-Unsubscribe": "One-Click"})).status_code == 200
    rows = await execute('SELECT enabled FROM notify_preference WHERE "user" = {}', uid)
    assert [bool(r["enabled"]) for r in rows] == [False]
    assert await email_keys() == set()


async def test_a_forged_or_mandatory_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    uid = await make_user("victim@example.org")
    good = unsubscribe.sign("project.update", user_id=uid)
    body, mac = good.split(".")
    other = unsubscribe.sign("project.update", user_id=uid + 1).split(".")[0]
    for token in (f"{other}.{mac}", f"{body}.{mac[:-2]}", "nonsense", f"{body}.", "a.b.c"):
        for method in ("GET", "POST"):
            answer = await client.request(method, f"/unsubscribe/{token}?lang=en")
            assert answer.status_code == 404, (token, method)
            assert "This unsubscribe link is not valid" in answer.text
    mandatory = unsubscribe.sign("organization.verification", user_id=uid)
    answer = await client.post(f"/unsubscribe/{mandatory}?lang=en")
    assert answer.status_code == 409 and "cannot be switched off" in answer.text
    assert await execute("SELECT * FROM notify_preference") == []
