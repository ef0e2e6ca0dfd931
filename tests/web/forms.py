"""Helpers for driving the HTML forms in tests: CSRF tokens and log-in."""

from __future__ import annotations

import re

import httpx

TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """GET a page that carries a form and return the token rendered in it."""
    response = await client.get(path)
    match = TOKEN_RE.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, str],
    *,
    htmx: bool = False,
    token_from: str = "/login",
) -> httpx.Response:
    token = await csrf_token(client, token_from)
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(path, data={**data, "_csrf_token": token}, headers=headers)


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response
