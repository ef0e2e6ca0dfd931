"""The web security baseline: sessions, CSRF, guards on every route, login rate limit, headers."""

from __future__ import annotations

import dataclasses
import json
import secrets
import socket
import time

import httpx
import pytest
from litestar.routes import HTTPRoute

from composition.app import create_app
from market import accounts
from market.settings import get_settings
from market.tables import User
from market.web import auth as auth_guards
from market.web.sessions import COOKIE, _key
from market.web.stores import make_store
from tests.net import pass_redis_url
from tests.web.forms import csrf_token, log_in, post_form

PASSWORD = "correct horse battery"


@pytest.fixture
async def member():
    return await accounts.sign_up(email="s@example.org", display_name="S", password=PASSWORD)


def session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{COOKIE}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


async def test_session_id_changes_at_login_and_a_fixated_id_dies(client, member):
    store = make_store(get_settings(), "sessions")
    fixated = secrets.token_urlsafe(32)
    now = time.time()
    record = {"data": {"planted": True}, "created": now, "seen": now}
    await store.set(_key(fixated), json.dumps(record), expires_in=3600)
    client.cookies.set(COOKIE, fixated)
    response = await post_form(client, "/login", {"email": "s@example.org", "password": PASSWORD})
    assert response.status_code == 303
    new_id = session_cookie(response)
    assert new_id and new_id != fixated
    assert await store.get(_key(fixated)) is None
    assert (await client.get("/dashboard")).status_code == 200


async def test_old_session_is_dead_after_logout(app, member):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as first:
        login = await log_in(first, "s@example.org", PASSWORD)
        old = session_cookie(login)
        assert old
        logout = await post_form(first, "/logout", {}, token_from="/dashboard")
        assert logout.status_code == 303
        assert (
            f"{COOKIE}=;" in logout.headers["set-cookie"]
            or "Max-Age=0" in logout.headers["set-cookie"]
        )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as replay:
        replay.cookies.set(COOKIE, old)
        response = await replay.get("/dashboard")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


async def test_forged_session_id_is_anonymous(client, member):
    client.cookies.set(COOKIE, secrets.token_urlsafe(32))
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_idle_session_expires(client, member, frozen_clock):
    await log_in(client, "s@example.org", PASSWORD)
    assert (await client.get("/dashboard")).status_code == 200
    frozen_clock.advance(seconds=get_settings().session_idle_seconds + 1)
    assert (await client.get("/dashboard")).status_code == 303


async def test_active_session_still_ends_at_the_absolute_timeout(client, member, frozen_clock):
    settings = get_settings()
    await log_in(client, "s@example.org", PASSWORD)
    step = settings.session_idle_seconds - 60
    elapsed = 0
    while elapsed + step < settings.session_absolute_seconds:
        frozen_clock.advance(seconds=step)
        elapsed += step
        assert (await client.get("/dashboard")).status_code == 200
    frozen_clock.advance(seconds=settings.session_absolute_seconds - elapsed + 1)
    assert (await client.get("/dashboard")).status_code == 303


async def test_session_cookie_flags(client, member):
    response = await log_in(client, "s@example.org", PASSWORD)
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_session_cookie_is_secure_outside_dev():
    from market.web.sessions import SessionMiddleware

    settings = dataclasses.replace(get_settings(), env="prod")
    middleware = SessionMiddleware(app=None, store=None, settings=settings)  # type: ignore[arg-type]
    assert "Secure" in middleware._cookie("x", 10)


async def test_form_post_without_csrf_token_is_refused_and_changes_nothing(client):
    await client.get("/signup")
    response = await client.post(
        "/signup", data={"email": "x@example.org", "display_name": "X", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert await User.count() == 0


async def test_htmx_post_without_csrf_header_is_refused(client, member):
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": "s@example.org", "password": PASSWORD},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert "<html" not in response.text
    assert session_cookie(response) is None


async def test_htmx_post_with_csrf_header_is_accepted(client, member):
    token = await csrf_token(client, "/login")
    response = await client.post(
        "/login",
        data={"email": "s@example.org", "password": PASSWORD},
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    # htmx navigates the window on HX-Redirect instead of following a 303 in XHR.
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/dashboard"
    assert "location" not in response.headers


async def test_csrf_token_from_another_browser_is_refused(app, member):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
        stolen = await csrf_token(attacker, "/login")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as victim:
        await victim.get("/login")
        response = await victim.post(
            "/login", data={"email": "s@example.org", "password": PASSWORD, "_csrf_token": stolen}
        )
        assert response.status_code == 403


OUR_GUARDS = {name for name in dir(auth_guards) if name == "public" or name.startswith("requires_")}


def test_every_route_declares_its_guard(app):
    unguarded = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's automatic OPTIONS answer: no body, no data
            guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
            names = {getattr(g, "__name__", "") for g in guards}
            if not any(n == "public" or n.startswith("requires_") for n in names):
                unguarded.append(f"{sorted(handler.http_methods)} {route.path}")
    assert not unguarded, f"routes without an explicit guard: {unguarded}"
    assert len(app.routes) >= 8


def test_guards_come_from_one_module():
    assert {"public", "requires_login", "requires_operator"} <= OUR_GUARDS


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("backend", ["file", "redis"])
async def test_login_rate_limit_is_shared_by_two_app_instances(backend, member, frozen_clock):
    settings = get_settings()
    if backend == "redis":
        if not _redis_answers():
            pytest.skip("Redis did not answer on 127.0.0.1:6379: shared Redis limit not tested")
        settings = dataclasses.replace(settings, redis_url=pass_redis_url(15))
        import redis

        redis.Redis.from_url(settings.redis_url).flushdb()
    apps = [create_app(settings), create_app(settings)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://testserver")
        for a in apps
    ]
    try:
        for attempt in range(settings.login_max_failures):
            c = clients[attempt % 2]
            response = await post_form(
                c, "/login", {"email": "s@example.org", "password": "wrong!"}
            )
            assert response.status_code == 422, attempt
        for c in clients:
            blocked = await post_form(c, "/login", {"email": "s@example.org", "password": PASSWORD})
            assert blocked.status_code == 429
            assert session_cookie(blocked) is None
        frozen_clock.advance(seconds=settings.login_window_seconds)
        allowed = await post_form(
            clients[1], "/login", {"email": "s@example.org", "password": PASSWORD}
        )
        assert allowed.status_code == 303
    finally:
        for c in clients:
            await c.aclose()
        if backend == "redis":
            redis.Redis.from_url(settings.redis_url).flushdb()


async def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/no-such-page"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/no-such-page")).status_code == 404


async def test_templates_escape_user_text(client):
    await accounts.sign_up(
        email="xss@example.org", display_name="<script>alert(1)</script>", password=PASSWORD
    )
    await log_in(client, "xss@example.org", PASSWORD)
    page = await client.get("/dashboard")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
