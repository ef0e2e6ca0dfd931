"""What people see of the outbox besides their mail: a developer reads the mails written
to var/mail/ at /dev/mail (linked from the footer in development; absent in
production), and operators see the queue and its dead letters at /api/v1/system/outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from market import clock, outbox
from market.outbox import rules
from market.settings import get_settings, reset_settings
from notify.controllers.devmail import HTML_PART_POLICY
from notify.send import notify_users
from tests.builders import login, make_operator, make_user
from tests.smtp import SmtpServer
from tests.web import pages

pytestmark = pytest.mark.usefixtures("rollback")


def follow(html: str, base: str, pattern: str) -> str:
    """The first link on the page whose path matches `pattern`."""
    found = [link for link in pages.links(html, base) if re.fullmatch(pattern, link)]
    assert found, f"no link matching {pattern} on {base}"
    return found[0]


async def test_a_developer_reads_each_written_mail_from_the_footer_link(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert get_settings().smtp_url == ""  # no SMTP server: mails are written to var/mail
    monkeypatch.setitem(
        outbox._RENDERERS, "question.answered",
        lambda params, lang: outbox.Rendered("Dev mail 41 answered", "The answer is here."),
    )  # fmt: skip
    uid = await make_user("dev-reader@example.org", locale="en")
    await notify_users("tender.answer:41:1", "question.answered", [uid], {}, "/tenders/41")
    assert await outbox.deliver_pending() == 1

    home = await client.get("/", headers={"Accept-Language": "en"})
    listing = await client.get(follow(home.text, "/", "/dev/mail"))
    assert listing.status_code == 200 and "dev-reader@example.org" in listing.text
    mail_path = next(
        link for link in pages.links(listing.text, "/dev/mail")
        if re.fullmatch(r"/dev/mail/[0-9T]+-[0-9]+\.eml", link)
        and "Dev mail 41 answered" in listing.text.split(f'href="{link}"', 1)[1][:200]
    )  # fmt: skip
    page = await client.get(mail_path)
    assert page.status_code == 200
    for shown in ("Dev mail 41 answered", "dev-reader@example.org", "The answer is here.",
                  "List-Unsubscribe", "Message-ID", f'src="{mail_path}/html"'):  # fmt: skip
        assert shown in page.text, shown

    html = await client.get(follow(page.text, mail_path, re.escape(mail_path) + "/html"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-security-policy"] == HTML_PART_POLICY
    assert html.headers["x-frame-options"] == "SAMEORIGIN"
    assert "Open on Public Good Market" in html.text and 'href="http' in html.text
    # every other page keeps the site's strict policy
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_no_file_outside_the_mail_folder_can_be_named(client: httpx.AsyncClient) -> None:
    for path in ("/dev/mail/..%2F..%2Fmarket.sqlite3", "/dev/mail/20260101T000000-1.eml",
                 "/dev/mail/x.eml/html", "/dev/mail/20260101T000000-1.eml/html"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path


@pytest.fixture
def production() -> Iterator[None]:
    before = get_settings()
    reset_settings(replace(before, env="prod"))
    yield
    reset_settings(before)


@pytest.mark.usefixtures("production")
async def test_the_dev_mail_pages_do_not_exist_in_production(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dev/mail")).status_code == 404
    assert "/dev/mail" not in (await client.get("/")).text


async def test_operators_see_the_queue_and_its_dead_letters(
    client: httpx.AsyncClient, frozen_clock: clock.FrozenClock
) -> None:
    server = SmtpServer()  # never started: every try fails
    before = get_settings()
    reset_settings(replace(before, smtp_url=server.url))
    try:
        await outbox.enqueue_email("gone@example.org", "Lost", "Body\n", key="op|dead")
        for attempt in range(1, rules.MAX_ATTEMPTS + 1):
            await outbox.deliver()
            frozen_clock.advance(seconds=rules.retry_delay(attempt).total_seconds())
        await outbox.enqueue_email("later@example.org", "Waits", "Body\n", key="op|waiting")
    finally:
        reset_settings(before)
    assert (await client.get("/api/v1/system/outbox")).status_code == 401
    await make_user("plain-outbox@example.org")
    await login(client, "plain-outbox@example.org")
    assert (await client.get("/api/v1/system/outbox")).status_code == 403
    await make_operator("operator-outbox@example.org")
    await login(client, "operator-outbox@example.org")
    shown = (await client.get("/api/v1/system/outbox")).json()
    assert (shown["waiting"], shown["sending"], shown["retrying"], shown["dead"]) == (1, 0, 0, 1)
    assert shown["retrying_now"] == []
    [dead] = shown["dead_letters"]
    assert (dead["key"], dead["recipient"]) == ("op|dead", "gone@example.org")
    assert dead["attempts"] == rules.MAX_ATTEMPTS and dead["failed_at"] and dead["last_error"]
