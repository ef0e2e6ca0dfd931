"""Passwords: argon2id with RFC 9106's parameters, hashed and verified in worker threads
so a sign-up or log-in never stalls the other requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from market import accounts
from market.tables import User
from tests.builders import make_user
from tests.passwords import PRODUCTION_HASHER
from tests.web.forms import post_form

PASSWORD = "correct horse battery"


def test_production_parameters_are_rfc_9106_low_memory() -> None:
    # t=3 passes, 64 MiB, 4 lanes, argon2id: RFC 9106 section 4, second recommended option.
    # The suite hashes with a cheap profile (tests/passwords.py); PRODUCTION_HASHER is
    # the hasher market.accounts set up at import, as a server runs it.
    assert accounts.PASSWORD_PROFILE == RFC_9106_LOW_MEMORY
    assert (RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost) == (3, 64 * 1024)
    assert RFC_9106_LOW_MEMORY.parallelism == 4
    for hasher in (PRODUCTION_HASHER, accounts.production_hasher()):
        stored = hasher.hash(PASSWORD)
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert extract_parameters(stored) == RFC_9106_LOW_MEMORY
    # Unknown e-mails cost what wrong passwords cost.
    assert extract_parameters(accounts._DUMMY_HASH) == extract_parameters(
        accounts._hasher.hash(PASSWORD)
    )


async def test_hashes_made_with_production_parameters_still_log_in(
    client: httpx.AsyncClient,
) -> None:
    # Users created by a server (production cost) log in while the suite hashes cheaply.
    user = await make_user(email="prod-hash@example.org", password=PASSWORD)
    await User.update({User.password_hash: PRODUCTION_HASHER.hash(PASSWORD)}).where(User.id == user)
    assert await accounts.authenticate("prod-hash@example.org", PASSWORD) == user


async def test_a_stored_hash_is_argon2id_and_verifies(client: httpx.AsyncClient) -> None:
    user = await make_user(email="hash@example.org", password=PASSWORD)
    stored = (await User.select(User.password_hash).where(User.id == user).first())["password_hash"]
    params = extract_parameters(stored)
    assert params.type.name == "ID"
    assert not accounts._hasher.check_needs_rehash(stored)  # the parameters in use
    assert PasswordHasher.from_parameters(params).verify(stored, PASSWORD)
    assert PASSWORD not in stored


class HeldHasher:
    """Argon2 that waits (as a slow hash would) until the test has made another request.
    If hashing ran on the event loop, nothing else could run and the wait would time out."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.started, self.release, self.finished = (threading.Event() for _ in range(3))

    def _hold(self) -> None:
        self.started.set()
        self.release.wait(timeout=5)

    def hash(self, password: str) -> str:
        self._hold()
        try:
            return self.real.hash(password)
        finally:
            self.finished.set()

    def verify(self, stored: str, password: str) -> bool:
        self._hold()
        try:
            return self.real.verify(stored, password)
        finally:
            self.finished.set()

    def check_needs_rehash(self, stored: str) -> bool:
        return self.real.check_needs_rehash(stored)


async def _other_requests_run_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
    client: httpx.AsyncClient,
    request: Callable[[], Awaitable[httpx.Response]],
) -> httpx.Response:
    held = HeldHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", held)
    pending = asyncio.create_task(request())
    for _ in range(500):
        if held.started.is_set():
            break
        await asyncio.sleep(0.01)
    assert held.started.is_set()
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert not held.finished.is_set(), "the trivial request waited for argon2"
    held.release.set()
    return await pending


async def test_sign_up_hashes_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.forms import csrf_token

    token = await csrf_token(client, "/signup")
    data = {"email": "off-loop@example.org", "display_name": "Off Loop", "password": PASSWORD,
            "_csrf_token": token}  # fmt: skip
    response = await _other_requests_run_meanwhile(
        monkeypatch, client, lambda: client.post("/signup", data=data)
    )
    assert response.status_code == 303, response.text
    assert await User.exists().where(User.email == "off-loop@example.org")


async def test_log_in_verifies_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user(email="verify@example.org", password=PASSWORD)
    from tests.web.forms import csrf_token

    token = await csrf_token(client, "/login")
    data = {"email": "verify@example.org", "password": PASSWORD, "_csrf_token": token}
    response = await _other_requests_run_meanwhile(
        monkeypatch, client, lambda: client.post("/login", data=data)
    )
    assert response.status_code == 303, response.text


async def test_password_change_hashes_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user(email="change@example.org", password=PASSWORD)
    new = "another long passphrase"

    async def change() -> httpx.Response:
        await accounts.change_password(user, current=PASSWORD, new=new)
        return httpx.Response(204)

    await _other_requests_run_meanwhile(monkeypatch, client, change)
    assert await accounts.authenticate("change@example.org", new) == user
    with pytest.raises(Exception, match="Wrong"):
        await accounts.authenticate("change@example.org", PASSWORD)


async def test_wrong_passwords_still_fail_through_the_worker_thread(
    client: httpx.AsyncClient,
) -> None:
    await make_user(email="wrong@example.org", password=PASSWORD)
    response = await post_form(
        client, "/login", {"email": "wrong@example.org", "password": "not the password"}
    )
    assert response.status_code == 422
