"""Set-up of the replica test's database, run as its own process against the throw-away
primary (DATABASE_URL is the caller's): a tender open for donations. Prints its id."""

from __future__ import annotations

import asyncio


async def prepare() -> int:
    from composition.wiring import wire
    from market.db import close_pool, start_pool
    from tests.donation_builders import make_tender
    from tests.passwords import use_cheap_hashing

    wire()
    use_cheap_hashing()
    await start_pool()
    try:
        return await make_tender()
    finally:
        await close_pool()


if __name__ == "__main__":
    print(asyncio.run(prepare()))
