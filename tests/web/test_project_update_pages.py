"""Posting a project update as the contracted organization does it — from its
workspace to the contract, to the updates page, the form filled and sent — and seeing
it on the public project page; bad input shown again beside its field with nothing
stored; and who may do what, route by route (the routes read from the app's table)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar.routes import HTTPRoute

from market.tables import Outbox
from notify import photos
from notify.tables import ProjectUpdate
from notify.update_rules import PhotoUpload
from notify.updates import post_update
from tests.builders import PASSWORD, login, make_member, make_operator, make_user
from tests.images import jpeg, png
from tests.transparency_builders import PDF
from tests.update_builders import Supported, make_sandbox, supported_project
from tests.web import pages
from tests.web.forms import csrf_token, error_problems, submit

Browser = Callable[[str | None], Awaitable[httpx.AsyncClient]]
TEXTS = {"title_en": "Week one: 12 homes", "body_en": "We visited twelve homes.\n\nMeals next."}


@pytest.fixture
async def project(frozen_clock) -> Supported:  # type: ignore[no-untyped-def]
    return await supported_project(frozen_clock)


@pytest.fixture
async def browser(app) -> AsyncIterator[Browser]:  # type: ignore[no-untyped-def]
    clients: list[httpx.AsyncClient] = []

    async def make(email: str | None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        client.cookies.set("pgm_lang", "en")
        clients.append(client)
        if email:
            await login(client, email, PASSWORD)
        return client

    yield make
    for c in clients:
        await c.aclose()


def updates_path(project: Supported) -> str:
    return f"/contracts/{project.contract_id}/updates"


async def follow(client: httpx.AsyncClient, start: str, pattern: str) -> httpx.Response:
    """Open `start`, then the first link on it matching `pattern`, as a person clicks."""
    page = await client.get(start)
    assert page.status_code == 200, (start, page.status_code)
    target = next(
        (link for link in pages.links(page.text, start) if re.fullmatch(pattern, link)), None
    )
    assert target, f"no link matching {pattern} on {start}"
    response = await client.get(target)
    assert response.status_code == 200, (target, response.status_code)
    return response


async def test_the_organization_posts_an_update_and_the_project_page_shows_it(
    project: Supported, browser: Browser
) -> None:
    winner = await browser(project.winner.email)
    contract = await follow(winner, "/workspace/bids", rf"/contracts/{project.contract_id}")
    assert f'href="{updates_path(project)}"' in contract.text
    form_page = await follow(
        winner, f"/contracts/{project.contract_id}", re.escape(updates_path(project))
    )
    assert "No update posted yet." in form_page.text
    sent = await submit(
        winner,
        form_page,
        updates_path(project),
        {**TEXTS, "alt-1": "A volunteer at a door"},
        files={"photo-1": ("door.jpg", jpeg(80, 60), "image/jpeg")},
    )
    assert sent.status_code == 303, sent.text
    update = await ProjectUpdate.select().first()
    assert (
        update is not None and update["title_en"] == TEXTS["title_en"] and update["title_zh"] == ""
    )
    then = f"{updates_path(project)}?posted={update['id']}#update-{update['id']}"
    assert sent.headers["location"] == then
    shown = await winner.get(then)
    assert "Your update is published" in shown.text and TEXTS["title_en"] in shown.text
    public = await (await browser(None)).get(f"/projects/{project.tender_id}")
    article = public.text.split(f'id="update-{update["id"]}"', 1)[1].split("</article>", 1)[0]
    assert TEXTS["title_en"] in article and "We visited twelve homes." in article
    assert 'alt="A volunteer at a door" width="80" height="60"' in article
    reader = await browser(None)
    reader.cookies.set("pgm_lang", "zh_Hans")
    zh = await reader.get(f"/projects/{project.tender_id}")
    assert f'<h3 lang="en">{TEXTS["title_en"]}</h3>' in zh.text  # written in English only


BAD = {
    "no text": ({"title_en": "", "body_en": ""}, {}, "title_zh"),
    "title without text": ({"body_en": ""}, {}, "body_en"),
    "photo without alt": ({}, {"photo-1": ("a.png", png(), "image/png")}, "alt-1"),
    "not a photo": (
        {"alt-2": "Sign-in sheet"},
        {"photo-2": ("sheet.png", PDF, "image/png")},
        "photo-2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("htmx", [False, True])
async def test_bad_input_shows_the_form_again_and_stores_nothing(
    project: Supported, browser: Browser, case: str, htmx: bool
) -> None:
    texts, files, field = BAD[case]
    winner = await browser(project.winner.email)
    outbox_before = await Outbox.count()
    response = await submit(
        winner,
        await winner.get(updates_path(project)),
        updates_path(project),
        {**TEXTS, **texts},
        files=files or {"photo-3": ("", b"", "application/octet-stream")},
        htmx=htmx,
    )
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and not error_problems(response.text)
    assert ("<html" in response.text) != htmx  # htmx swaps the form's block only
    if texts.get("title_en", "x"):
        assert f'value="{TEXTS["title_en"]}"' in response.text  # what was typed is kept
    assert await ProjectUpdate.count() == 0 and await Outbox.count() == outbox_before


async def test_a_photo_too_big_is_refused_with_the_limit_named(
    project: Supported, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photos, "MAX_BYTES", 1_000)
    winner = await browser(project.winner.email)
    response = await submit(
        winner,
        await winner.get(updates_path(project)),
        updates_path(project),
        {**TEXTS, "alt-1": "Big"},
        files={"photo-1": ("big.jpg", jpeg(400, 300), "image/jpeg")},
    )
    assert response.status_code == 422 and "The photo is larger than 5 MB." in response.text
    assert await ProjectUpdate.count() == 0


async def test_a_form_heavier_than_three_photos_is_refused_before_it_is_read(
    project: Supported, browser: Browser
) -> None:
    winner = await browser(project.winner.email)
    token = await csrf_token(winner, updates_path(project))
    heavy = b"\xff\xd8\xff" + b"\x00" * (16 * 1024 * 1024 + 10)
    response = await winner.post(
        updates_path(project),
        data={**TEXTS, "alt-1": "x", "_csrf_token": token},
        files={"photo-1": ("huge.jpg", heavy, "image/jpeg")},
    )
    assert response.status_code == 413
    assert await ProjectUpdate.count() == 0


def update_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path template) of every route of the updates controller."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.fn.__qualname__.startswith("ProjectUpdateController."):
                found += [(m, route.path) for m in sorted(handler.http_methods) if m != "OPTIONS"]
    return sorted(found)


async def test_who_may_open_the_page_post_and_see_the_photos(
    app, project: Supported, browser: Browser
) -> None:  # type: ignore[no-untyped-def]
    routes = update_routes(app)
    assert routes == [
        ("GET", "/contracts/{contract_id:int}/updates"),
        ("GET", "/updates/photos/{photo_id:int}"),
        ("POST", "/contracts/{contract_id:int}/updates"),
    ]
    first = await post_update(
        user_id=project.winner.user_id,
        contract_id=project.contract_id,
        texts=TEXTS,
        uploads=[PhotoUpload(1, "a.png", png(), "A public photo")],
    )
    photo_id = int((await ProjectUpdate.raw("SELECT id FROM notify_project_update_photo"))[0]["id"])
    colleague = await make_user("colleague@example.org")
    await make_member(colleague, project.winner.org_id)
    await make_operator("op@example.org")
    await make_user("auditor@example.org", platform_role="auditor")
    roles = {
        "anonymous": None,
        "donor": "donor-en@example.org",
        "other organization": project.outsider.email,
        "department": project.scenario.department.email,
        "operator": "op@example.org",
        "auditor": "auditor@example.org",
        "winner": project.winner.email,
        "winner's colleague": "colleague@example.org",
    }
    posters = {"winner", "winner's colleague"}
    for role, email in roles.items():
        client = await browser(email)
        for method, template in routes:
            path = template.replace("{contract_id:int}", str(project.contract_id))
            path = path.replace("{photo_id:int}", str(photo_id))
            if method == "GET":
                status = (await client.get(path)).status_code
                expected = (
                    200 if "photos" in path or role in posters else (303 if email is None else 403)
                )
            else:
                before = await ProjectUpdate.count()
                token = await csrf_token(client, "/login" if email is None else "/dashboard")
                response = await client.post(path, data={**TEXTS, "_csrf_token": token})
                status = response.status_code
                expected = 303 if role in posters else (401 if email is None else 403)
                grew = await ProjectUpdate.count() - before
                assert grew == (1 if role in posters else 0), (role, path)
            assert status == expected, (role, method, path, status)
    assert first


async def test_a_sandbox_projects_photo_is_only_for_its_organization(
    project: Supported, browser: Browser
) -> None:
    await make_sandbox(project.tender_id)
    await post_update(
        user_id=project.winner.user_id,
        contract_id=project.contract_id,
        texts=TEXTS,
        uploads=[PhotoUpload(1, "a.png", png(), "Training photo")],
    )
    photo_id = int((await ProjectUpdate.raw("SELECT id FROM notify_project_update_photo"))[0]["id"])
    path = f"/updates/photos/{photo_id}"
    assert (await (await browser(None)).get(path)).status_code == 404
    assert (await (await browser(project.outsider.email)).get(path)).status_code == 404
    own = await (await browser(project.winner.email)).get(path)
    assert own.status_code == 200 and "no-store" in own.headers["cache-control"]
    page = await (await browser(project.winner.email)).get(updates_path(project))
    assert "This is a sandbox tender" in page.text and "Training photo" in page.text
