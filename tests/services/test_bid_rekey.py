"""Rotating MARKET_BID_KEY (`market bids rekey`): every tender key is wrapped again
under the new master key, the bids sealed before open with it, a second run changes
nothing, and a wrong old key refuses the whole rotation."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import pytest

from bids import rekey, sealing
from market import clock
from market.settings import Settings, get_settings, reset_settings
from market.sql import execute
from tests.bid_builders import opened, tender_with_bids


@pytest.fixture
def settings() -> Iterator[Settings]:
    before = get_settings()
    yield before
    reset_settings(before)


def use_bid_key(settings: Settings, key: str) -> None:
    reset_settings(dataclasses.replace(settings, bid_key=key))


async def wrapped_keys() -> list[bytes]:
    rows = await execute("SELECT wrapped FROM bids_tender_key ORDER BY id")
    return [bytes(r["wrapped"]) for r in rows]


async def test_bids_sealed_under_the_old_key_open_under_the_new_one(
    frozen_clock: clock.FrozenClock, settings: Settings
) -> None:
    scenario = await tender_with_bids(frozen_clock)
    await tender_with_bids(frozen_clock)  # a second tender, still sealed
    new = secrets.token_hex(32)
    use_bid_key(settings, new)
    assert await rekey.rekey(settings.bid_key) == rekey.Rekeyed(rewrapped=2, already=0)
    again = await rekey.rekey(settings.bid_key)  # run twice: nothing left to do
    assert again == rekey.Rekeyed(rewrapped=0, already=2)
    result = await opened(frozen_clock, scenario)
    assert result.qualified == 2


async def test_a_wrong_old_key_changes_nothing(
    frozen_clock: clock.FrozenClock, settings: Settings
) -> None:
    await tender_with_bids(frozen_clock)
    before = await wrapped_keys()
    use_bid_key(settings, secrets.token_hex(32))
    with pytest.raises(sealing.SealingError):
        await rekey.rekey(secrets.token_hex(32))
    assert await wrapped_keys() == before
    with pytest.raises(rekey.SameKey):
        await rekey.rekey(get_settings().bid_key)  # the same key: nothing to rotate
