"""Login throttling slows a guesser without locking the owner out, and X-Forwarded-For
counts only from a trusted proxy (MARKET_TRUSTED_PROXIES, none by default)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from composition.app import create_app
from market import accounts
from market.settings import get_settings, reset_settings
from market.web.proxies import forwarded_client
from tests.net import pass_redis_url
from tests.web.forms import post_form

PASSWORD = "correct horse battery"
EMAIL = "throttle@example.org"

Client = Callable[..., httpx.AsyncClient]


@pytest.fixture(autouse=True)
def fresh_counters() -> None:
    """The file store outlives a test (and the frozen clock repeats its window)."""
    for name in ("counters.json", "pairs.json"):
        (get_settings().var_dir / "ratelimit" / name).unlink(missing_ok=True)


@pytest.fixture
async def member() -> int:
    return await accounts.sign_up(email=EMAIL, display_name="T", password=PASSWORD)


@pytest.fixture(params=["file", "redis"])
async def clients(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """Clients of one app, each from its own peer address; the limiter's store is the
    file store or Redis (when it answers on 127.0.0.1:6379)."""
    settings = get_settings()
    if request.param == "redis":
        import redis

        settings = dataclasses.replace(settings, redis_url=pass_redis_url(14))
        try:
            redis.Redis.from_url(settings.redis_url, socket_timeout=0.5).flushdb()
        except redis.exceptions.ConnectionError:
            pytest.skip("Redis did not answer on 127.0.0.1:6379")
    app = create_app(settings)
    made: list[httpx.AsyncClient] = []

    def make(peer: str = "127.0.0.1", **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.aclose()


async def attempt(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await post_form(client, "/login", {"email": EMAIL, "password": password})


async def test_a_guesser_is_slowed_and_the_owner_elsewhere_is_not(
    clients, member, frozen_clock
) -> None:
    limit = get_settings().login_max_failures
    guesser, owner = clients("203.0.113.7"), clients("198.51.100.20")
    for _ in range(limit):
        assert (await attempt(guesser, "wrong guess!")).status_code == 422
    slowed = await attempt(guesser, PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) == 2
    # The owner, at another address, signs in at once.
    assert (await attempt(owner, PASSWORD)).status_code == 303
    # The delay doubles with each further failure.
    waits = []
    for _ in range(3):
        frozen_clock.advance(seconds=int(slowed.headers["retry-after"]))
        assert (await attempt(guesser, "wrong again!")).status_code == 422
        slowed = await attempt(guesser, "and again!")
        waits.append(int(slowed.headers["retry-after"]))
    assert waits == [4, 8, 16]


async def test_a_success_clears_the_delay(clients, member, frozen_clock) -> None:
    limit = get_settings().login_max_failures
    me = clients("192.0.2.44")
    for _ in range(limit - 1):
        await attempt(me, "typo typo!")
    assert (await attempt(me, PASSWORD)).status_code == 303
    other = clients("192.0.2.44")
    for _ in range(limit - 1):
        assert (await attempt(other, "typo again!")).status_code == 422


async def test_forwarded_for_does_not_count_without_a_trusted_proxy(
    clients, member, frozen_clock
) -> None:
    limit = get_settings().login_max_failures
    for n in range(limit):
        spoofing = clients("127.0.0.1", **{"X-Forwarded-For": f"10.9.8.{n}"})
        assert (await attempt(spoofing, "wrong guess!")).status_code == 422
    # A fresh forged address does not escape: the peer is what counts.
    fresh = clients("127.0.0.1", **{"X-Forwarded-For": "10.9.8.200"})
    assert (await attempt(fresh, PASSWORD)).status_code == 429


async def test_forwarded_for_counts_from_a_trusted_proxy(clients, member, frozen_clock) -> None:
    before = get_settings()
    reset_settings(dataclasses.replace(before, trusted_proxies=("127.0.0.1/32",)))
    try:
        limit = before.login_max_failures
        for _ in range(limit):
            behind = clients("127.0.0.1", **{"X-Forwarded-For": "10.9.8.1"})
            assert (await attempt(behind, "wrong guess!")).status_code == 422
        assert (await attempt(behind, PASSWORD)).status_code == 429
        # Another client behind the same proxy is another address.
        neighbour = clients("127.0.0.1", **{"X-Forwarded-For": "10.9.8.2"})
        assert (await attempt(neighbour, PASSWORD)).status_code == 303
    finally:
        reset_settings(before)


def test_only_the_right_most_untrusted_hop_is_believed() -> None:
    trusted = ("10.0.0.0/8",)
    assert forwarded_client("10.0.0.1", "1.2.3.4, 5.6.7.8", trusted) == "5.6.7.8"
    assert forwarded_client("10.0.0.1", "1.2.3.4, 10.0.0.9", trusted) == "1.2.3.4"
    assert forwarded_client("192.0.2.1", "1.2.3.4", trusted) == "192.0.2.1"  # untrusted peer
    assert forwarded_client("10.0.0.1", "1.2.3.4", ()) == "10.0.0.1"  # none trusted
    assert forwarded_client("10.0.0.1", "not-an-ip", trusted) == "10.0.0.1"
