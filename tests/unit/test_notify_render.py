"""Every kind of notification reads in both languages: a subject, a plain text and an
escaped HTML fragment, names in the reader's language, money as the site shows it, no
code and no unfilled placeholder."""

from __future__ import annotations

import re

import pytest

from composition.wiring import wire
from market import outbox
from notify import render
from notify.kinds import KINDS

TENDER = {"tender": 7, "title_zh": "社区居家养老服务", "title_en": "Home care for the elderly"}
PARAMS: dict[str, dict[str, object]] = {
    "tender.matching": {
        **TENDER,
        "category": "community_services",
        "area": "湖滨街道",
        "budget": 200_000_00,
        "currency": "CNY",
        "bid_deadline": "2026-12-10T02:00:00+00:00",
    },
    "question.answered": TENDER,
    "deadline.soon": {**TENDER, "deadline": "bid", "at": "2026-12-10T02:00:00+00:00"},
    "bid.reconfirm": {**TENDER, "bid_deadline": "2026-12-12T02:00:00+00:00"},
    "bids.opened": {**TENDER, "qualified": 2},
    "award.decided": {
        **TENDER,
        "winner_zh": "阳光社工",
        "winner_en": "Sunshine Social Work",
        "price": 150_000_00,
        "currency": "CNY",
        "standstill_ends": "2026-12-15T02:00:00+00:00",
        "won": False,
    },
    "standstill.ended": {**TENDER, "winner_zh": "阳光社工", "winner_en": "Sunshine Social Work"},
    "complaint.filed": TENDER,
    "complaint.decided": {**TENDER, "outcome": "upheld"},
    "contract.to_sign": {**TENDER, "amount": 150_000_00, "currency": "CNY"},
    "milestone.due": {
        **TENDER,
        "position": 1,
        "deliverable": "<b>Visits</b> & logs",
        "due": "2026-12-31",
        "amount": 75_000_00,
        "currency": "CNY",
    },
    "donation.receipt": {
        **TENDER,
        "amount": 100_00,
        "currency": "CNY",
        "match": 100_00,
        "receipt_no": "D2026-000042",
    },
    "project.update": {
        **TENDER,
        "update_title_zh": "第一次上门",
        "update_title_en": "First visits",
        "excerpt_zh": "我们走访了 12 户。",
        "excerpt_en": "We visited 12 homes.",
    },
    "pledge.matched": {**TENDER, "match": 100_00, "left": 900_00, "currency": "CNY"},
    "pledge.nearly_exhausted": {"left": 50_00, "total": 1000_00, "currency": "CNY"},
    "pledge.expiring": {"left": 50_00, "currency": "CNY", "valid_until": "2026-12-31T15:59:00Z"},
    "organization.verification": {
        "name_zh": "阳光社工",
        "name_en": "Sunshine Social Work",
        "decision": "reject",
        "reason": "统一社会信用代码无法辨认",
    },
}
for _kind in ("milestone.overdue", "milestone.submitted", "milestone.approved"):
    PARAMS[_kind] = PARAMS["milestone.due"]
PARAMS["milestone.rejected"] = {**PARAMS["milestone.due"], "reason": "缺签名"}


def test_every_kind_has_a_renderer_and_example_params() -> None:
    assert render.KINDS == set(KINDS) == set(PARAMS)
    wire()
    assert all(kind in outbox._RENDERERS for kind in KINDS)
    with pytest.raises(KeyError):
        render.renderer("no.such.kind")


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_each_kind_reads_in_each_language(kind: str, lang: str) -> None:
    message = render.compose(kind, PARAMS[kind], lang)
    whole = message.subject + message.text + message.html
    assert message.subject and "\n" not in message.subject
    assert "%(" not in whole and "%s" not in whole
    assert not re.search(r"\b[a-z]+[._][a-z_]+\b", message.subject + message.text), whole
    if "title_en" in PARAMS[kind]:
        title = PARAMS[kind]["title_en" if lang == "en" else "title_zh"]
        assert str(title) in message.subject + message.text
    if lang == "zh_Hans":
        assert re.search(r"[\u4e00-\u9fff]", message.subject)
        assert not re.search(r"\b(the|your|was)\b", message.subject + message.text, re.I), whole
    assert message.html.startswith("<p>") and "<b>" not in message.html


def test_money_dates_and_user_text_as_the_reader_sees_them() -> None:
    zh = render.compose("milestone.due", PARAMS["milestone.due"], "zh_Hans")
    en = render.compose("milestone.due", PARAMS["milestone.due"], "en")
    assert "¥75,000.00" in zh.text and "CN¥75,000.00" in en.text
    assert "2026年12月31日" in zh.text and "Dec 31, 2026" in en.text
    assert "&lt;b&gt;Visits&lt;/b&gt; &amp; logs" in en.html  # escaped, never markup
    award = render.compose("award.decided", PARAMS["award.decided"], "en")
    assert "Sunshine Social Work" in award.text and "Dec 15, 2026" in award.text
    zh_award = render.compose("award.decided", PARAMS["award.decided"], "zh_Hans")
    assert "阳光社工" in zh_award.text and "10:00" in zh_award.text  # Beijing time
    rejected = render.compose(
        "organization.verification", PARAMS["organization.verification"], "en"
    )
    assert rejected.subject == "The registration of Sunshine Social Work was rejected"
    assert rejected.html.count("<p>") == 2 and "reason:<br>统一" in rejected.html
    won = render.compose("award.decided", {**PARAMS["award.decided"], "won": True}, "en")
    assert won.subject == "Your bid won: “Home care for the elderly”"


def test_an_unknown_language_reads_as_the_default_one() -> None:
    assert render.compose("question.answered", TENDER, "fr") == render.compose(
        "question.answered", TENDER, "zh_Hans"
    )
