"""Each check of the page walk (tests/e2e/walk.py) fails on a page that breaks it,
and stays quiet on a page that keeps it."""

from __future__ import annotations

import pytest

from tests.conftest import ENGINE
from tests.e2e.walk import (
    MOBILE,
    check_page,
    chinese,
    raw_codes,
    text_problems,
    untranslated_msgids,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        ENGINE != "sqlite",
        reason="browser-only behaviour: runs once per make test, in the SQLite pass",
    ),
]

CLEAN = """<!doctype html><html lang="{lang}"><head><title>{title}</title></head>
<body><main><h1>公益市场</h1><p>{body}</p></main></body></html>"""


async def findings(
    browser, body: str, *, language: str = "zh_Hans", lang: str = "zh-Hans", title: str = "测试页面"
):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport=MOBILE)
    page = await context.new_page()
    await page.set_content(CLEAN.format(lang=lang, body=body, title=title))
    found: list[tuple[str, str]] = []
    await check_page(
        page, language=language, record=lambda check, detail: found.append((check, detail))
    )
    await context.close()
    return found


async def test_a_clean_page_passes_every_check(browser):
    assert (
        await findings(browser, "每一元都公开。<label>金额 <input name=amount value=''></label>")
        == []
    )


async def test_an_input_holding_none_fails(browser):
    found = await findings(browser, "<label>姓名 <input name=display_name value=None></label>")
    assert ("none", "input display_name holds 'None'") in found


async def test_a_textarea_holding_none_fails(browser):
    found = await findings(browser, "<label>说明 <textarea name=note>None</textarea></label>")
    assert ("none", "input note holds 'None'") in found


async def test_an_untranslated_msgid_on_a_chinese_page_fails(browser):
    assert "Open for bids" in untranslated_msgids()
    found = await findings(browser, "<span>Open for bids</span>")
    assert ("text", "untranslated msgid 'Open for bids'") in found


async def test_a_raw_status_code_on_a_chinese_page_fails(browser):
    found = await findings(browser, "状态：<span>submitted</span> · 已付款 paid")
    details = [detail for check, detail in found if check == "text"]
    assert details == ["raw code 'submitted' in 'submitted'", "raw code 'paid' in '· 已付款 paid'"]


async def test_a_raw_reference_and_a_capitalised_kind_fail(browser):
    found = await findings(browser, "<span>拨付 milestone:2</span> <b>Donation</b>")
    details = [detail for check, detail in found if check == "text"]
    assert details == [
        "raw reference 'milestone:2' in '拨付 milestone:2'",
        "untranslated msgid 'Donation'",
    ]
    # A kind that is no msgid at all still counts as a raw code.
    assert text_problems(["Donation"], raw_codes(), frozenset()) == ["raw code 'Donation'"]


async def test_english_marked_with_lang_is_not_a_raw_code(browser):
    found = await findings(browser, '<span lang="en">Bids submitted: 3</span>')
    assert found == []


async def test_a_too_wide_element_fails_at_390_px(browser):
    found = await findings(browser, '<span id="wide" style="display:block;width:900px">宽</span>')
    overflow = [detail for check, detail in found if check == "overflow"]
    assert len(overflow) == 1
    assert "span#wide right=908px" in overflow[0]


async def test_an_axe_violation_fails(browser):
    found = await findings(browser, '<img src="/nothing.png">')
    axe = [detail for check, detail in found if check == "axe"]
    assert len(axe) == 1 and "image-alt" in axe[0]


async def test_a_wrong_html_lang_fails(browser):
    found = await findings(browser, "Every yuan", language="en", lang="zh-Hans")
    assert ("lang", "<html lang='zh-Hans'>, expected 'en'") in found


def test_text_problems_ignore_emails_and_plain_chinese():
    codes, msgids = raw_codes(), untranslated_msgids()
    assert (
        text_problems(["operator@demo.example.org", "已提交", "陈敏 Chen Min"], codes, msgids) == []
    )


async def test_a_javascript_url_fails(browser):
    found = await findings(browser, '<a href="javascript:window.print()">打印</a>')
    assert [check for check, _ in found] == ["jsurl"]


async def test_a_page_without_its_own_title_fails(browser):
    brand = chinese()["Public Good Market"]
    found = await findings(browser, "每一元都公开。", title=f"{brand} · {brand}")
    assert [check for check, _ in found] == ["title"]


async def test_a_raw_code_on_an_english_page_fails(browser):
    found = await findings(
        browser, "Status: <span>needs_reconfirm</span>", language="en", lang="en", title="Bid"
    )
    assert found == [("text", "raw code 'needs_reconfirm' in 'needs_reconfirm'")]


async def test_a_chart_label_shrunk_below_12_px_fails(browser):
    chart = (
        '<svg viewBox="0 0 800 40" width="200" role="img" aria-label="图表">'
        '<text x="0" y="20" font-size="14">已拨付</text></svg>'
    )
    found = await findings(browser, chart)
    assert found == [("chart", "chart label shrinks below 12 px: 已拨付 at 3.5px")]
