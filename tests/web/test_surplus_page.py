"""A completed project's page says where its surplus went, in figures equal to the
settlement's return transfers, in English and Chinese; before settlement it says
nothing about a surplus."""

from __future__ import annotations

import re

from donors import settlement
from market.money import Money, format_money
from tests.settlement_builders import completed_project, moved


async def test_the_project_page_shows_the_settled_surplus(client, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    tender = await completed_project(frozen_clock)
    page = await client.get(f"/projects/{tender}", cookies={"pgm_lang": "en"})
    assert page.status_code == 200 and 'id="surplus"' not in page.text

    await settlement.settle_all()
    reference = f"tender:{tender}:completed"
    fund = await moved(credit="community_fund", reference=reference)
    assert fund > 0
    page = await client.get(f"/projects/{tender}", cookies={"pgm_lang": "en"})
    text = re.sub(r"\s+", " ", page.text)
    assert "Surplus settled on " in text
    assert f"{format_money(Money(fund, 'CNY'), 'en')} to the community fund" in text
    zh = await client.get(f"/projects/{tender}", cookies={"pgm_lang": "zh"})
    assert "结余已于" in zh.text and "转入社区基金" in zh.text
