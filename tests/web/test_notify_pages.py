"""The notification pages as a person uses them: the inbox (newest first, a page at a
time, unread marked, mark one or all read — with htmx and without JavaScript), the
unread count in the header, the settings (kind × channel) and tender subscriptions."""

from __future__ import annotations

import re

import httpx
import pytest

from market.tables import Outbox
from notify import subscriptions
from notify.send import notify_users
from notify.tables import Preference, Subscription
from tests.builders import HTMX, login, make_user
from tests.web.forms import find_form

pytestmark = pytest.mark.usefixtures("rollback")
PARAMS = {"tender": 7, "title_zh": "社区养老服务", "title_en": "Elderly care at home"}


def badge(html: str) -> str:
    """The header's inbox link as text ("Inbox 3 unread messages")."""
    match = re.search(r'<a href="/inbox" id="inbox-link"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no inbox link in the header"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


async def signed_in(client: httpx.AsyncClient, locale: str = "en") -> int:
    email = f"reader-{locale}-{id(client)}@example.org"
    user = await make_user(email, locale=locale)
    await login(client, email)
    return user


async def submit(
    client: httpx.AsyncClient, page: str, action: str, **extra: object
) -> httpx.Response:
    form = find_form((await client.get(page)).text, action)
    data = form.defaults()
    return await client.post(action, data=data, **extra)  # type: ignore[arg-type]


async def test_the_inbox_pages_newest_first_and_marks_read_without_javascript(client) -> None:
    user = await signed_in(client)
    for n in range(23):
        await notify_users(
            f"e:{n}", "question.answered", [user], {**PARAMS, "tender": n}, f"/t/{n}"
        )
    page = await client.get("/inbox")
    assert page.status_code == 200
    assert badge(page.text) == "Inbox 23 unread messages"
    assert "23 unread messages" in page.text
    assert page.text.count('class="message unread"') == 20
    assert "Your question about “Elderly care at home” was answered" in page.text
    assert page.text.index('href="/t/22"') < page.text.index('href="/t/3"')  # newest first
    older = re.search(r'href="(/inbox\?before=\d+)" rel="next"', page.text)
    assert older
    rest = await client.get(older.group(1))
    assert rest.text.count('class="message unread"') == 3 and 'href="/t/0"' in rest.text
    first = re.search(r'action="(/inbox/(\d+)/read)"', page.text)
    assert first
    answer = await submit(client, "/inbox", first.group(1))
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    row = await Outbox.select(Outbox.read_at).where(Outbox.id == int(first.group(2))).first()
    assert row is not None and row["read_at"] is not None
    assert badge((await client.get("/inbox")).text) == "Inbox 22 unread messages"
    answer = await submit(client, "/inbox", "/inbox/read")
    assert answer.status_code == 303
    page = await client.get("/inbox")
    assert badge(page.text) == "Inbox" and "0 unread messages" in page.text
    assert 'class="message unread"' not in page.text


async def test_marking_read_over_htmx_swaps_the_item_and_the_headers_count(client) -> None:
    user = await signed_in(client, locale="zh_Hans")
    await notify_users("e:1", "question.answered", [user], PARAMS, "/tenders/7")
    await notify_users(
        "e:2", "bids.opened", [user], {**PARAMS, "qualified": 2}, "/tenders/7/results"
    )
    page = await client.get("/inbox")
    assert "您就“社区养老服务”提出的问题已获答复" in page.text  # in the reader's language
    ids = [int(i) for i in re.findall(r'action="/inbox/(\d+)/read"', page.text)]
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token and len(ids) == 2
    answer = await client.post(
        f"/inbox/{ids[0]}/read", data={"_csrf_token": token.group(1)}, headers=HTMX
    )
    assert answer.status_code == 200
    assert (
        f'id="message-{ids[0]}"' in answer.text and "/inbox/" not in answer.text.split("</li>")[0]
    )
    assert 'hx-swap-oob="true"' in answer.text and "1" in badge(answer.text)
    answer = await client.post("/inbox/read", data={"_csrf_token": token.group(1)}, headers=HTMX)
    assert answer.status_code == 200 and 'id="inbox"' in answer.text
    assert "<html" not in answer.text and badge(answer.text) == "收件箱"


async def test_another_users_message_cannot_be_marked(client) -> None:
    await signed_in(client)
    other = await make_user()
    await notify_users("e:1", "question.answered", [other], PARAMS, "/t")
    theirs = await Outbox.select(Outbox.id).where(Outbox.user_id == other).first()
    assert theirs is not None
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/inbox")).text)
    assert token
    answer = await client.post(f"/inbox/{theirs['id']}/read", data={"_csrf_token": token.group(1)})
    assert answer.status_code == 303
    row = await Outbox.select(Outbox.read_at).where(Outbox.id == theirs["id"]).first()
    assert row is not None and row["read_at"] is None


async def test_the_inbox_and_settings_ask_for_a_log_in(client) -> None:
    for path in ("/inbox", "/notifications/preferences", "/subscriptions"):
        answer = await client.get(path)
        assert answer.status_code in (302, 303, 401), path
    assert (await client.get("/inbox?before=abc")).status_code in (302, 303, 401)


async def test_a_cursor_the_inbox_did_not_hand_out_is_refused(client) -> None:
    await signed_in(client)
    assert (await client.get("/inbox?before=abc")).status_code == 400


async def test_settings_switch_a_kind_off_by_email_and_keep_mandatory_kinds_on(client) -> None:
    user = await signed_in(client)
    page = await client.get("/notifications/preferences")
    assert page.status_code == 200
    assert re.search(r'value="contract.to_sign\|email" checked disabled', page.text)
    assert "Always sent: you must act on it." in page.text
    form = find_form(page.text, "/notifications/preferences")
    data = form.defaults()
    data["on"] = [v for v in data["on"] if v != "tender.matching|email"]
    answer = await client.post("/notifications/preferences", data=data)  # type: ignore[arg-type]
    assert answer.status_code == 303
    stored = (
        await Preference.select(Preference.enabled)
        .where(
            (Preference.user == user)
            & (Preference.kind == "tender.matching")
            & (Preference.channel == "email")
        )
        .first()
    )
    assert stored == {"enabled": False}
    page = await client.get("/notifications/preferences")
    assert 'value="tender.matching|email">' in page.text.replace(" >", ">")
    assert "Your notification settings are saved." in page.text
    await notify_users("e:9", "tender.matching", [user], PARAMS, "/t")
    channels = await Outbox.select(Outbox.channel).where(Outbox.user_id == user)
    assert [r["channel"] for r in channels] == ["inbox"]
    data["on"] = ["tender.matching|sms"]
    answer = await client.post("/notifications/preferences", data=data)  # type: ignore[arg-type]
    assert (
        answer.status_code == 422 and "This choice of notifications is not offered." in answer.text
    )


async def test_a_subscription_from_the_tender_lists_filters(client) -> None:
    user = await signed_in(client)
    listing = await client.get("/tenders?category=charity&area=湖滨街道&budget_min=1000")
    link = re.search(
        r'href="(/subscriptions\?[^"]+)">Subscribe to new tenders like these', listing.text
    )
    assert link
    page = await client.get(link.group(1).replace("&amp;", "&"))
    form = find_form(page.text, "/subscriptions")
    answer = await client.post("/subscriptions", data=form.defaults())  # type: ignore[arg-type]
    assert answer.status_code == 303
    [saved] = await subscriptions.of_user(user)
    assert (saved.terms.category, saved.terms.area, saved.terms.budget_min) == (
        "charity",
        "湖滨街道",
        1000_00,
    )
    page = await client.get("/subscriptions")
    assert "Charity" in page.text and "Budget from ¥1000.00" in page.text
    again = await client.post("/subscriptions", data=form.defaults(), headers=HTMX)  # type: ignore[arg-type]
    assert again.status_code == 422 and "You already subscribe to these tenders." in again.text
    assert "<html" not in again.text  # the form's block, for htmx
    remove = find_form(page.text, f"/subscriptions/{saved.id}/delete")
    assert (await client.post(remove.action, data=remove.defaults())).status_code == 303  # type: ignore[arg-type]
    assert await Subscription.count().where(Subscription.user == user) == 0


async def test_a_bad_subscription_is_shown_again_with_its_errors(client) -> None:
    user = await signed_in(client)
    page = await client.get("/subscriptions")
    form = find_form(page.text, "/subscriptions")
    answer = await client.post(
        "/subscriptions",
        data=form.fill({"budget_min": "500", "budget_max": "abc"}),  # type: ignore[arg-type]
    )
    assert answer.status_code == 422
    assert "Enter an amount in yuan, e.g. 50000 or 50000.00." in answer.text
    assert 'value="500"' in answer.text
    answer = await client.post("/subscriptions", data=form.defaults())  # type: ignore[arg-type]
    assert "Choose at least a category, an area or a budget range." in answer.text
    assert await Subscription.count().where(Subscription.user == user) == 0
    other = await make_user()
    theirs = await subscriptions.subscribe(other, {"category": "charity"})
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = await client.post(
        f"/subscriptions/{theirs}/delete", data={"_csrf_token": token.group(1)}
    )
    assert answer.status_code == 404
