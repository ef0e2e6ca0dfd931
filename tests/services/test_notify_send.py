"""Notifications written to the outbox: one row per (event, recipient, channel), the
channels the recipient's preferences allow, in the recipient's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from market import outbox
from market.tables import Outbox
from notify import kinds
from notify.send import notify_address, notify_users
from notify.tables import Preference
from tests.builders import make_user
from tests.smtp import Mailbox

pytestmark = pytest.mark.usefixtures("rollback")


async def _rows() -> list[dict[str, object]]:
    return await Outbox.select(
        Outbox.key, Outbox.channel, Outbox.recipient, Outbox.user_id, Outbox.lang, Outbox.sent_at
    ).order_by(Outbox.id)


async def test_each_user_gets_the_default_channels_in_their_language() -> None:
    zh = await make_user("zh@example.org", locale="zh_Hans")
    en = await make_user("en@example.org", locale="en")
    written = await notify_users("tender.publish:1", "tender.matching", [zh, en], {"t": 1}, "/t/1")
    rows = await _rows()
    assert written == 4 == len(rows)
    by_key = {r["key"]: r for r in rows}
    assert by_key[f"tender.publish:1|user:{en}|email"]["recipient"] == "en@example.org"
    assert by_key[f"tender.publish:1|user:{en}|email"]["lang"] == "en"
    assert by_key[f"tender.publish:1|user:{zh}|inbox"]["lang"] == "zh_Hans"
    inbox = [r for r in rows if r["channel"] == "inbox"]
    assert all(r["sent_at"] is not None and r["recipient"] == "" for r in inbox)
    assert all(r["sent_at"] is None for r in rows if r["channel"] == "email")


async def test_the_same_event_twice_writes_nothing_more() -> None:
    uid = await make_user()
    assert await notify_users("answer:9", "question.answered", [uid], {}, "/t/9") == 2
    assert await notify_users("answer:9", "question.answered", [uid], {}, "/t/9") == 0
    assert await notify_address("receipt:3", "donation.receipt", "g@example.org", "en", {}, "") == 1
    assert await notify_address("receipt:3", "donation.receipt", "G@example.org", "en", {}, "") == 0
    assert len(await _rows()) == 3


async def test_preferences_switch_a_channel_but_not_a_mandatory_kind() -> None:
    uid = await make_user()
    at = datetime(2026, 11, 2, tzinfo=UTC)
    for kind in ("tender.matching", "contract.to_sign"):
        await Preference.insert(
            Preference(user=uid, kind=kind, channel="email", enabled=False, updated_at=at)
        )
    await notify_users("e:1", "tender.matching", [uid], {}, "")
    await notify_users("e:2", "contract.to_sign", [uid], {}, "")
    keys = {r["key"] for r in await _rows()}
    assert keys == {f"e:1|user:{uid}|inbox", f"e:2|user:{uid}|inbox", f"e:2|user:{uid}|email"}


async def test_the_inbox_counts_unread_and_marks_only_its_owners_messages() -> None:
    me, other = await make_user(), await make_user()
    await notify_users("e:1", "question.answered", [me, other], {}, "/a")
    await notify_users("e:2", "question.answered", [me], {}, "/b")
    assert await outbox.unread_count(me) == 2
    page = await outbox.inbox_page(me)
    assert [item.link for item in page] == ["/b", "/a"]
    theirs = (await outbox.inbox_page(other))[0].id
    assert await outbox.mark_read(me, [page[0].id, theirs]) == 1
    assert await outbox.unread_count(me) == 1 and await outbox.unread_count(other) == 1
    assert await outbox.mark_read(me) == 1 and await outbox.unread_count(me) == 0


def test_every_kind_has_a_known_default_and_mandatory_kinds_always_go_out() -> None:
    for kind in kinds.KINDS.values():
        for channel in kinds.CHANNELS:
            assert kinds.enabled(kind, channel, None) == kinds.default_enabled(kind, channel)
            if kind.mandatory:
                assert kinds.enabled(kind, channel, False)
    with pytest.raises(ValueError, match="channel"):
        kinds.default_enabled(kinds.KINDS["bids.opened"], "sms")


async def test_a_queued_notification_reaches_a_real_smtp_server(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = await make_user("smtp@example.org", locale="en")
    monkeypatch.setitem(
        outbox._RENDERERS,
        "question.answered",
        lambda params, lang: outbox.Rendered(f"Answered ({lang})", f"Q{params['q']} answered"),
    )
    await notify_users("answer:1", "question.answered", [uid], {"q": 7}, "/tenders/1")
    assert await outbox.deliver_pending() == 1
    [mail] = mailbox.to("smtp@example.org")
    assert mail["Subject"] == "Answered (en)"
    assert "Q7 answered" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert await outbox.deliver_pending() == 0
