"""The demo district loads into an empty database, correctly and only once.

`market demo` itself runs here (the command, twice); the tests of what the district
holds read the session's build of it (the `demo_district` fixture, tests/demo_snapshot.py)."""

from __future__ import annotations

import argparse

from composition import demo
from market import accounts, uscc
from market import organization_rules as rules
from market.tables import Membership, Organization, User


def args(**flags: bool) -> argparse.Namespace:
    return argparse.Namespace(
        if_empty=flags.get("if_empty", False), logins=flags.get("logins", False)
    )


async def kinds_count() -> dict[tuple[str, str], int]:
    rows = await Organization.select(Organization.kind, Organization.status)
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["kind"], row["status"])
        counts[key] = counts.get(key, 0) + 1
    return counts


async def test_demo_loads_the_district(capsys):
    assert await demo.command(args(if_empty=True)) == 0
    assert await kinds_count() == {
        ("operator", "verified"): 1,
        ("department", "verified"): 5,
        ("social_org", "verified"): 12,
        ("social_org", "pending"): 2,
        ("company", "verified"): 3,
        ("foundation", "verified"): 2,
        ("community_fund", "verified"): 12,  # every community's fund
    }
    assert await User.count() == len(demo.USERS)
    out = capsys.readouterr().out
    assert demo.DEMO_PASSWORD in out and demo.email("operator") in out


async def test_demo_organizations_are_realistic(demo_district: demo.DemoDistrict):
    # a community fund is no legal person: it has no USCC (organization_rules.fund_identifier)
    orgs = await Organization.select().where(Organization.kind != "community_fund")
    assert all(uscc.is_valid(org["uscc"]) for org in orgs)  # GB 32100 and GB 11714 checks
    assert all(uscc.organization_check_char(o["uscc"][8:16]) == o["uscc"][16] for o in orgs)
    social = [o for o in orgs if o["kind"] == "social_org" and o["status"] == "verified"]
    assert {o["category"] for o in social} == set(rules.CATEGORIES)
    assert {o["rating"] for o in social} == set(rules.RATINGS)
    assert {o["area"] for o in social} == set(demo.STREETS)
    years = {o["registered_year"] for o in orgs if o["registered_year"]}
    assert min(years) == 2015 and max(years) == 2026
    assert all(o["name_zh"] and o["name_en"] and o["description_en"] for o in orgs)
    assert any(o["name_zh"].endswith("街道办事处") for o in orgs if o["kind"] == "department")


async def test_each_role_can_log_in_with_the_demo_password(demo_district: demo.DemoDistrict):
    for slug in demo.USERS:
        user_id = await accounts.authenticate(demo.email(slug), demo.DEMO_PASSWORD)
        assert user_id == demo_district.users[slug]
    roles = {
        slug: (await accounts.load_principal(demo_district.users[slug])).roles
        for slug in ("operator", "auditor", "civil_affairs", "org", "sponsor", "foundation")
    }
    assert "operator" in roles["operator"]
    assert "auditor" in roles["auditor"]
    assert "department" in roles["civil_affairs"]
    assert "organization" in roles["org"]
    assert "sponsor" in roles["sponsor"] and "sponsor" in roles["foundation"]


async def test_pending_registrations_wait_in_the_operator_queue_one_overdue(
    demo_district: demo.DemoDistrict,
):
    from market import organizations

    queue = await organizations.operator_queue()
    assert [row["id"] for row in queue["pending"]] == [
        demo_district.pending["rehab"],
        demo_district.pending["green_home"],
    ]
    assert queue["overdue_count"] == 1
    assert await Membership.count().where(Membership.user == demo_district.users["applicant"]) == 2


async def test_demo_is_idempotent(capsys):
    await demo.command(args(if_empty=True))
    before = (await User.count(), await Organization.count())
    assert await demo.command(args(if_empty=True)) == 0
    assert await demo.command(args()) == 0
    assert (await User.count(), await Organization.count()) == before
    assert "nothing loaded" in capsys.readouterr().out


async def test_if_empty_leaves_a_database_with_users_alone():
    await accounts.sign_up(
        email="real@example.org", display_name="Real", password="a real password"
    )
    await demo.command(args(if_empty=True))
    assert await Organization.count() == 0


async def test_logins_prints_and_touches_nothing(capsys):
    assert await demo.command(args(logins=True)) == 0
    out = capsys.readouterr().out
    assert all(demo.email(slug) in out for slug in demo.USERS)
    assert await User.count() == 0
