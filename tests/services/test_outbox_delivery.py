"""The outbox delivers e-mails to a real SMTP server (tests/smtp.py): multipart text +
HTML in the recipient's language with a stable Message-ID and the unsubscribe headers;
retries with backoff while the server is down; dead letters after the last try or a
final refusal; a row claimed by a run that died is sent again when its lease ends;
each row is sent once however often or however many runs deliver."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from market import clock, outbox
from market.db import atomic
from market.outbox import delivery, rules
from market.outbox.marking import marker
from market.outbox.status import queue_status
from market.outbox.transport import Transport
from market.settings import get_settings, reset_settings
from market.sql import execute
from notify.send import notify_address, notify_users
from tests.builders import make_user
from tests.smtp import Mailbox, SmtpServer


def answered(params: Mapping[str, Any], lang: str) -> outbox.Rendered:
    """A renderer as the notify app registers one: subject, text, escaped HTML."""
    if lang == "zh_Hans":
        return outbox.Rendered(
            f"您的问题 #{params['q']} 已答复",
            "采购人答复了您的问题。",
            "<p>采购人答复了您的问题。</p>",
        )
    return outbox.Rendered(
        f"Your question #{params['q']} was answered",
        "The buyer answered your question.",
        "<p>The buyer answered <b>your</b> question.</p>",
    )


@pytest.fixture
def renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("question.answered", "contract.to_sign", "donation.receipt"):
        monkeypatch.setitem(outbox._RENDERERS, kind, answered)


@pytest.fixture
def down() -> Iterator[SmtpServer]:
    """An SMTP server the settings point at, not started yet (the test starts it)."""
    server = SmtpServer()
    before = get_settings()
    reset_settings(replace(before, smtp_url=server.url))
    yield server
    reset_settings(before)
    server.stop()


async def queue_mails(name: str, numbers: range) -> None:
    """Pre-written e-mails to `<name><n>@example.org`, keyed `<name>|<n>`."""
    for n in numbers:
        await outbox.enqueue_email(
            f"{name}{n}@example.org", f"Mail {n}", "Body\n", key=f"{name}|{n}"
        )


async def email_rows() -> list[dict[str, Any]]:
    return await execute(
        "SELECT id, key, attempts, due_at, sent_at, failed_at, last_error, claim"
        " FROM market_outbox WHERE channel = 'email' ORDER BY id"
    )


def header_lines(raw: bytes) -> dict[str, str]:
    """The top-level headers exactly as sent (unfolded), to see how they were encoded."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").decode()
    return dict(line.split(": ", 1) for line in head.split("\r\n"))


@pytest.mark.usefixtures("rollback", "renderers")
async def test_each_recipient_gets_a_multipart_email_in_their_language(mailbox: Mailbox) -> None:
    zh = await make_user("zh@example.org", locale="zh_Hans")
    en = await make_user("en@example.org", locale="en")
    await notify_users("tender.answer:4:2", "question.answered", [zh, en], {"q": 2}, "/tenders/4")
    assert await outbox.deliver_pending() == 2
    base = get_settings().base_url
    keys = {r["key"] for r in await email_rows()}
    for address, lang, subject, footer in (
        ("zh@example.org", "zh-Hans", "您的问题 #2 已答复", "退订这类邮件"),
        ("en@example.org", "en", "Your question #2 was answered", "Unsubscribe from these e-mails"),
    ):
        [mail] = mailbox.to(address)
        assert mail["Subject"] == subject and mail["Content-Language"] == lang
        assert mail.get_content_type() == "multipart/alternative"
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f"{base}/tenders/4" in text and f'href="{base}/tenders/4"' in html
        assert footer in text and footer in html and f'<html lang="{lang}">' in html
        assert f"{base}/notifications/preferences" in text  # an account holder's settings
        key = next(k for k in keys if k.endswith(f"|user:{zh if lang != 'en' else en}|email"))
        assert mail["Message-ID"] == rules.message_id(key, base)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<b>your</b>" in mailbox.to("en@example.org")[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    for raw in mailbox.raw:  # one line, no encoded words: what mail clients can read
        sent = header_lines(raw)
        assert sent["List-Unsubscribe"].startswith(f"<{base}/unsubscribe/"), sent
        assert sent["List-Unsubscribe"].endswith(">") and "=?" not in sent["List-Unsubscribe"]
        assert sent["Message-ID"].startswith("<") and sent["Auto-Submitted"] == "auto-generated"


@pytest.mark.usefixtures("rollback", "renderers")
async def test_mandatory_kinds_and_prewritten_emails_carry_no_unsubscribe(
    mailbox: Mailbox,
) -> None:
    uid = await make_user("signer@example.org", locale="en")
    await notify_users("contract.draft:9", "contract.to_sign", [uid], {"q": 9}, "/contracts/9")
    await outbox.enqueue_email("guest@example.org", "Your receipt", "Thank you.\n", key="r|1")
    assert await outbox.deliver_pending() == 2
    [contract] = mailbox.to("signer@example.org")
    assert contract["List-Unsubscribe"] is None and contract["List-Unsubscribe-Post"] is None
    text = contract.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "it concerns your account" in text and "unsubscribe" not in text.lower()
    [raw] = mailbox.to("guest@example.org")
    assert raw.get_content_type() == "text/plain" and raw["List-Unsubscribe"] is None
    assert raw.get_content().replace("\r\n", "\n") == "Thank you.\n"
    assert raw["Message-ID"] == rules.message_id("r|1", get_settings().base_url)


@pytest.mark.usefixtures("rollback")
async def test_a_server_that_is_down_is_tried_again_with_growing_delays(
    down: SmtpServer, frozen_clock: clock.FrozenClock
) -> None:
    await queue_mails("r", range(3))
    first = await outbox.deliver()
    assert first.counts() == {"sent": 0, "retrying": 3, "dead": 0}
    rows = await email_rows()
    assert [r["attempts"] for r in rows] == [1, 1, 1]
    assert all(r["due_at"] == frozen_clock.at + rules.retry_delay(1) for r in rows)
    assert all(r["last_error"] and r["claim"] == "" and r["sent_at"] is None for r in rows)
    status = await queue_status()  # what an operator sees meanwhile
    assert (status["waiting"], status["sending"], status["retrying"], status["dead"]) == (
        3,
        0,
        3,
        0,
    )
    assert [row["attempts"] for row in status["retrying_now"]] == [1, 1, 1]  # type: ignore[index]

    assert (await outbox.deliver()).counts() == {"sent": 0, "retrying": 0, "dead": 0}  # not due
    frozen_clock.advance(minutes=1)
    assert (await outbox.deliver()).retrying == 3
    assert {r["due_at"] - frozen_clock.at for r in await email_rows()} == {rules.retry_delay(2)}

    down.start()
    frozen_clock.advance(seconds=rules.retry_delay(2).total_seconds() - 1)
    assert await outbox.deliver_pending() == 0  # a second early
    frozen_clock.advance(seconds=1)
    assert await outbox.deliver_pending() == 3
    assert sorted(str(m["To"]) for m in down.mailbox.messages) == [
        "r0@example.org",
        "r1@example.org",
        "r2@example.org",
    ]
    assert all(r["attempts"] == 3 and r["last_error"] == "" for r in await email_rows())
    assert await outbox.deliver_pending() == 0 and len(down.mailbox.messages) == 3


@pytest.mark.usefixtures("rollback")
async def test_after_the_last_try_a_message_is_dead_lettered_for_operators(
    down: SmtpServer, frozen_clock: clock.FrozenClock
) -> None:
    await outbox.enqueue_email("lost@example.org", "Never arrives", "Body\n", key="dead|1")
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        done = await outbox.deliver()
        assert (done.retrying, done.dead) == ((0, 1) if attempt == rules.MAX_ATTEMPTS else (1, 0))
        frozen_clock.advance(seconds=rules.retry_delay(attempt).total_seconds())
    [row] = await email_rows()
    assert row["failed_at"] is not None and row["attempts"] == rules.MAX_ATTEMPTS
    down.start()
    frozen_clock.advance(days=1)
    assert await outbox.deliver_pending() == 0 and down.mailbox.messages == []
    status = await queue_status()
    assert (status["waiting"], status["dead"]) == (0, 1)
    [dead] = status["dead_letters"]  # type: ignore[index]
    assert dead["key"] == "dead|1" and dead["recipient"] == "lost@example.org"
    assert dead["attempts"] == rules.MAX_ATTEMPTS and dead["last_error"]


class RefusesOne(Mailbox):
    """A server with no mailbox for nobody@example.org (550), and a full one for
    busy@example.org (452, try later)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == "nobody@example.org":
            return "550 5.1.1 No such user"
        if address == "busy@example.org":
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.usefixtures("rollback")
async def test_a_final_refusal_is_dead_lettered_at_once_a_temporary_one_retried(
    down: SmtpServer,
) -> None:
    refusing = SmtpServer(down.port, RefusesOne()).start()
    try:
        for n, to in enumerate(("nobody@example.org", "busy@example.org", "ok@example.org")):
            await outbox.enqueue_email(to, "Hello", "Body\n", key=f"refuse|{n}")
        assert (await outbox.deliver()).counts() == {"sent": 1, "retrying": 1, "dead": 1}
    finally:
        refusing.stop()
    nobody, busy, ok = await email_rows()
    assert nobody["failed_at"] is not None and "550" in nobody["last_error"]
    assert busy["failed_at"] is None and "452" in busy["last_error"] and busy["sent_at"] is None
    assert ok["sent_at"] is not None
    assert [str(m["To"]) for m in refusing.mailbox.messages] == ["ok@example.org"]


@pytest.mark.usefixtures("rollback")
async def test_rows_held_by_a_run_that_died_are_sent_when_the_lease_ends(
    mailbox: Mailbox, frozen_clock: clock.FrozenClock
) -> None:
    await queue_mails("lease", range(3))
    lease = get_settings().outbox_lease_seconds
    held = await delivery._claim("dead-run", 2, lease)  # a run claims two, then dies
    assert [q.key for q in held] == ["lease|0", "lease|1"]
    assert await outbox.deliver_pending() == 1  # only the unclaimed one
    frozen_clock.advance(seconds=lease - 1)
    assert await outbox.deliver_pending() == 0
    frozen_clock.advance(seconds=1)
    assert await outbox.deliver_pending() == 2
    rows = {r["key"]: r for r in await email_rows()}
    assert rows["lease|0"]["attempts"] == 2 and rows["lease|2"]["attempts"] == 1
    assert Counter(str(m["To"]) for m in mailbox.messages) == Counter(
        {"lease0@example.org": 1, "lease1@example.org": 1, "lease2@example.org": 1}
    )


@pytest.mark.usefixtures("rollback")
async def test_a_message_whose_every_try_died_with_its_worker_is_given_up(
    mailbox: Mailbox, frozen_clock: clock.FrozenClock
) -> None:
    await queue_mails("poison", range(1))
    lease = get_settings().outbox_lease_seconds
    for _ in range(rules.MAX_ATTEMPTS):
        assert len(await delivery._claim("dying-run", 10, lease)) == 1  # and the run dies
        frozen_clock.advance(seconds=lease)
    assert await outbox.deliver_pending() == 0 and mailbox.messages == []
    [row] = await email_rows()
    assert row["failed_at"] == frozen_clock.at and row["claim"] == ""
    assert (row["attempts"], row["last_error"]) == (
        rules.MAX_ATTEMPTS,
        "no delivery attempt finished",
    )


@pytest.mark.usefixtures("rollback")
async def test_a_run_hands_back_the_rows_its_lease_no_longer_covers(
    mailbox: Mailbox, frozen_clock: clock.FrozenClock
) -> None:
    await queue_mails("back", range(3))
    batch = await delivery._claim("slow-run", 10, 120)
    async with marker() as mark:
        run = delivery._Run(Transport(get_settings()), mark, delivery.Delivered())
        # the lease's safe end has passed before the first send: none is sent, all go back
        assert await delivery._send_batch(batch, "slow-run", time.monotonic() - 1, run)
    rows = await email_rows()
    assert [(r["attempts"], r["claim"], r["due_at"]) for r in rows] == [
        (0, "", frozen_clock.at)
    ] * 3
    assert mailbox.messages == []
    assert await outbox.deliver_pending() == 3


@pytest.mark.usefixtures("rollback", "renderers")
async def test_an_event_told_twice_and_delivered_twice_is_one_email(mailbox: Mailbox) -> None:
    uid = await make_user("once@example.org", locale="en")
    for _ in range(2):
        await notify_users("tender.answer:5:1", "question.answered", [uid], {"q": 1}, "/t/5")
        await notify_address(
            "donation.paid:3", "donation.receipt", "g@example.org", "en", {"q": 3}, ""
        )
        await outbox.deliver_pending()
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["g@example.org", "once@example.org"]


@pytest.mark.usefixtures("fresh_db")
async def test_three_runs_at_once_send_every_message_exactly_once(mailbox: Mailbox) -> None:
    for start in range(0, 150, 50):
        async with atomic():
            await queue_mails("c", range(start, start + 50))
    runs = await asyncio.gather(*(outbox.deliver(limit=1000) for _ in range(3)))
    assert sum(run.sent for run in runs) == 150
    ids = Counter(str(m["Message-ID"]) for m in mailbox.messages)
    assert len(ids) == 150 and set(ids.values()) == {1}
    rows = await email_rows()
    assert all(r["sent_at"] is not None and r["attempts"] == 1 for r in rows)
