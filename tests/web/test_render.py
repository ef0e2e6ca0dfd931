"""Rendering rules: full page vs named block, imports visible inside fragments."""

from __future__ import annotations

from tests.web.pages import varies_on


async def test_same_url_serves_full_page_and_fragment(demo_district, client):
    full = await client.get("/organizations")
    fragment = await client.get("/organizations", headers={"HX-Request": "true"})
    assert full.status_code == fragment.status_code == 200
    assert "<html" in full.text and "<html" not in fragment.text
    assert "HX-Request" in varies_on(fragment.headers)


async def test_history_restore_gets_the_full_page(client):
    response = await client.get(
        "/organizations", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.text


async def test_boosted_request_gets_the_full_page(client):
    response = await client.get(
        "/organizations", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in response.text


def test_names_imported_at_the_top_are_visible_inside_a_fragment():
    from jinja2 import ChoiceLoader, DictLoader

    from market.web.render import environment, render_block

    env = environment()
    original = env.loader
    env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "t/_m.html": "{% macro shout(x) %}{{ x|upper }}!{% endmacro %}",
                    "t/page.html": '{% extends "t/base.html" %}{% import "t/_m.html" as m %}'
                    "{% block body %}<p>{{ m.shout(word) }}</p>{% endblock %}",
                    "t/base.html": "<html>{% block body %}{% endblock %}</html>",
                }
            ),
            original,
        ]
    )
    try:
        assert render_block("t/page.html", "body", {"word": "hi"}) == "<p>HI!</p>"
    finally:
        env.loader = original
