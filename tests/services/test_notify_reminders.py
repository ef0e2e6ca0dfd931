"""The reminder job (notify/reminders.py): each time-driven notice once, at its moment,
to whoever is part of it, with the injected clock; a repeated or overlapping run
writes nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bids import evaluation
from market import clock
from market.sql import execute
from market.tenders import qa
from notify import reminders
from tests.bid_builders import DAY, appoint_and_score, contracted, opened, tender_with_bids
from tests.builders import make_member, make_org, make_user
from tests.donation_builders import make_pledge
from tests.notify_helpers import told
from tests.tender_builders import make_department, make_tender

pytestmark = pytest.mark.usefixtures("rollback")
HOUR = timedelta(hours=1)


async def run_at(fc: clock.FrozenClock, at: datetime) -> dict[str, int]:
    fc.set(at)
    return await reminders.run(at)


async def test_bidders_hear_of_the_bid_deadline_once_and_only_about_their_own_bid(
    frozen_clock,
) -> None:
    scenario = await tender_with_bids(frozen_clock)
    outsider = await make_user()
    await make_org(admin=outsider)
    deadline = scenario.deadline
    await run_at(frozen_clock, deadline - 30 * HOUR)  # the cursor starts here
    assert await told("deadline.soon") == {}
    counts = await run_at(frozen_clock, deadline - 23 * HOUR)
    told_once = await told("deadline.soon")
    assert set(told_once) == {b.user_id for b in scenario.bidders}
    assert counts == {"deadline.soon": 4}  # two bidders, inbox and e-mail
    assert all(p[0]["deadline"] == "bid" and p[0]["reconfirm"] is False for p in told_once.values())
    await run_at(frozen_clock, deadline - 22 * HOUR)
    await run_at(frozen_clock, deadline - 22 * HOUR)  # the same moment again
    await execute("DELETE FROM notify_reminder_cursor")  # a lost cursor: a day back
    await reminders.run(deadline - 21 * HOUR)
    assert await told("deadline.soon") == told_once


async def test_askers_hear_of_the_enquiry_end(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    asker = await make_user()
    org = await make_org(admin=asker)
    await make_member(await make_user(), org)  # a colleague who asked nothing
    await qa.ask_question(user_id=asker, org_id=org, tender_id=tender_id, text="可否联合投标?")
    rows = await execute("SELECT enquiry_end FROM market_tender WHERE id = {}", tender_id)
    end = rows[0]["enquiry_end"]
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    await run_at(frozen_clock, end - 25 * HOUR)
    await run_at(frozen_clock, end - 23 * HOUR)
    soon = await told("deadline.soon")
    assert list(soon) == [asker] and soon[asker][0]["deadline"] == "enquiry"


async def test_standstill_end_and_milestones_due_and_overdue(frozen_clock) -> None:
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    award = await evaluation.active_award(scenario.tender_id)
    assert award is not None
    ends = award["standstill_ends"]
    ends = datetime.fromisoformat(ends) if isinstance(ends, str) else ends
    await run_at(frozen_clock, ends - HOUR)
    assert await told("standstill.ended") == {}
    await run_at(frozen_clock, ends + HOUR)
    winner, loser = scenario.bidders
    assert set(await told("standstill.ended")) == {winner.user_id, scenario.department.user_id}
    assert loser.user_id not in await told("standstill.ended")
    # the contract: its first milestone is due 30 days after it starts
    scenario2 = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario2, parts=2)
    rows = await execute(
        "SELECT due FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    due = rows[0]["due"]
    due = datetime.fromisoformat(str(due)[:10]).date() if isinstance(due, str) else due
    late = datetime.combine(due + DAY, datetime.min.time(), tzinfo=frozen_clock.at.tzinfo)
    await run_at(frozen_clock, late - 30 * HOUR)
    await run_at(frozen_clock, late - 23 * HOUR)
    org = scenario2.bidders[0]
    assert set(await told("milestone.due")) == {org.user_id}
    await run_at(frozen_clock, late + HOUR)
    overdue = await told("milestone.overdue")
    assert set(overdue) == {org.user_id, scenario2.department.user_id}
    assert overdue[org.user_id][0]["position"] == 1
    await run_at(frozen_clock, late + 2 * HOUR)
    assert len((await told("milestone.overdue"))[org.user_id]) == 1


async def test_a_pledge_expiring_in_seven_days(frozen_clock) -> None:
    until = frozen_clock.at + 10 * DAY
    pledge = await make_pledge(valid_until=until)
    sponsor = int(
        (await execute("SELECT created_by FROM donors_pledge WHERE id = {}", pledge))[0][
            "created_by"
        ]
    )
    await run_at(frozen_clock, until - 8 * DAY)
    assert await told("pledge.expiring") == {}
    await run_at(frozen_clock, until - 7 * DAY + HOUR)
    [params] = (await told("pledge.expiring"))[sponsor]
    assert params["pledge"] == pledge and params["left"] == 10_000_00
