"""Rotating the master key of sealed bids, `MARKET_BID_KEY`: `market bids rekey`.

Every tender's data key is stored only wrapped under the master key
(`bids_tender_key.wrapped`, bids/sealing.py). Rotation wraps each of them again under
the new master key, in one transaction that locks them all; the tender keys
themselves, and so every sealed bid and its receipt, do not change. The new key is the
configured `MARKET_BID_KEY`; the old one comes from `MARKET_BID_KEY_OLD` in the
environment (never the command line, which `ps` shows). A key already wrapped under
the new master key is left as it is, so the command can run again after an
interruption; a key that opens under neither refuses the rotation and nothing changes.

Stop every web and worker process first and start them again with the new key
afterwards (deploy/RUNBOOK.md): a process still holding the old key would wrap a new
tender's key under it, and could not open the keys wrapped again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bids import sealing
from bids.submission import master
from market.db import atomic
from market.sql import execute, for_update

_KEYS = "SELECT id, tender, wrapped FROM bids_tender_key ORDER BY id"


class SameKey(ValueError):
    """The old key given is the configured one (an operator's slip, not a web refusal)."""


@dataclass(frozen=True, slots=True)
class Rekeyed:
    rewrapped: int  # tender keys now wrapped under the new master key
    already: int  # tender keys that already were


async def rekey(old_hex: str) -> Rekeyed:
    """Wrap every tender key under the configured master key instead of `old_hex`."""
    old, new = sealing.master_key(old_hex), master()
    if old == new:
        raise SameKey("MARKET_BID_KEY_OLD is the configured MARKET_BID_KEY: nothing to rotate")
    rewrapped = already = 0
    async with atomic():
        rows = await execute(_KEYS + for_update())
        for row in rows:
            wrapped = bytes(row["wrapped"])
            again = sealing.rewrap_tender_key(old, new, int(row["tender"]), wrapped)
            if again is None:
                already += 1
                continue
            await execute("UPDATE bids_tender_key SET wrapped = {} WHERE id = {}", again, row["id"])
            rewrapped += 1
    return Rekeyed(rewrapped, already)


async def command(args: object) -> int:
    """`market bids rekey`: exit 0 with the counts, 1 (nothing changed) on a refusal."""
    from market.db import close_pool, start_pool

    old = os.environ.get("MARKET_BID_KEY_OLD", "")
    if not old:
        print(
            "set MARKET_BID_KEY_OLD to the master key being replaced (MARKET_BID_KEY: the new one)"
        )
        return 2
    await start_pool()
    try:
        result = await rekey(old)
    except (sealing.SealingError, SameKey) as exc:
        print(f"nothing changed: {exc}")
        return 1
    finally:
        await close_pool()
    print(
        f"tender keys wrapped under the new MARKET_BID_KEY: {result.rewrapped};"
        f" already under it: {result.already}"
    )
    return 0
