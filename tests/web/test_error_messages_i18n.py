"""Refusals, flash messages and field errors reach a Chinese reader in Chinese."""

from __future__ import annotations

import httpx

from market.web import i18n
from tests.builders import login, make_user


async def test_the_403_page_is_translated(client: httpx.AsyncClient) -> None:
    await make_user("plain@example.org")
    await login(client, "plain@example.org")
    client.cookies.set(i18n.COOKIE, "zh_Hans")
    page = await client.get("/operator/organizations")
    assert page.status_code == 403
    assert "您没有执行此操作的权限。" in page.text
    assert "You do not have permission" not in page.text


async def test_the_404_page_is_translated(client: httpx.AsyncClient) -> None:
    client.cookies.set(i18n.COOKIE, "zh_Hans")
    page = await client.get("/no-such-page")
    assert page.status_code == 404
    assert "找不到该页面。" in page.text


def test_refusal_parameters_are_shown_through_their_labels() -> None:
    from market import organization_rules
    from market.errors import InvalidTransition
    from market.web.errors import translated

    previous = i18n.current()
    i18n.activate("zh_Hans")
    try:
        try:
            organization_rules.decide("verified", "verify")
        except InvalidTransition as exc:
            text = translated(exc)
        else:
            raise AssertionError("verifying a verified organization must be refused")
    finally:
        i18n.activate(previous)
    assert "verified" not in text
    assert "已认证" in text or "已通过" in text, text


def test_money_field_errors_are_translated() -> None:
    from market.money import InvalidAmount, parse_money

    previous = i18n.current()
    i18n.activate("zh_Hans")
    try:
        try:
            parse_money("abc")
        except InvalidAmount as exc:
            text = i18n.gettext(exc.message)
    finally:
        i18n.activate(previous)
    assert text == "这不是有效的金额，请按 12.34 的格式填写。"


def test_an_english_refusal_quotes_the_status_label() -> None:
    from market import organization_rules
    from market.errors import InvalidTransition
    from market.web.errors import translated

    previous = i18n.current()
    i18n.activate("en")
    try:
        try:
            organization_rules.decide("verified", "verify")
        except InvalidTransition as exc:
            text = translated(exc)
        else:
            raise AssertionError("verifying a verified organization must be refused")
    finally:
        i18n.activate(previous)
    assert text == "Only an organization pending review can be verified; this one is “Verified”."
