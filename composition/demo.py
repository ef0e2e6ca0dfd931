"""`market demo`: load the demo district (明湖区, Minghu District — fictional) across
the apps, in one transaction: the kernel's people and the organizations established
before the history begins (market.demo), then about two years of the district's life
lived through every app's real services (composition/demo_history.py).
"""

from __future__ import annotations

import argparse
import time

from composition.demo_cast import history_start
from composition.demo_history import live_history
from market import clock
from market import demo as kernel_demo
from market.demo import DEMO_PASSWORD, STREETS, USERS, DemoDistrict, email, logins_table
from market.tables import User

__all__ = [
    "DEMO_PASSWORD",
    "STREETS",
    "USERS",
    "DemoDistrict",
    "command",
    "email",
    "load_demo",
    "logins_table",
]


async def load_demo() -> DemoDistrict:
    start = history_start(clock.now().replace(second=0, microsecond=0))
    return await kernel_demo.load_demo(sections=(live_history,), history_starts=start)


async def command(args: argparse.Namespace) -> int:
    if getattr(args, "logins", False):
        print(logins_table())
        return 0
    if getattr(args, "if_empty", False) and await User.count() > 0:
        print("demo: the database already has users; nothing loaded")
        return 0
    if await User.exists().where(User.email == email("operator")):
        print("demo: the demo district is already loaded")
        return 0
    started = time.monotonic()
    demo = await load_demo()
    organizations = (
        1
        + len(demo.departments)
        + len(demo.social_orgs)
        + len(demo.companies)
        + len(demo.foundations)
        + len(demo.pending)
    )
    print(
        f"demo: loaded {len(demo.users)} users and {organizations} organizations "
        f"in {time.monotonic() - started:.1f} s"
    )
    print(logins_table())
    return 0
