# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The tenders' read contract for other apps: the rows of `market_tender` that `bids`
and `donors` need, so that no other app names the kernel's tables in its SQL
(tests/unit/test_architecture.py). Rows come back as the database returns them
(timestamps as stored); callers parse what they use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from market.errors import NotFound
from market.sql import Row, execute, for_key_share, for_update, marks

_FACTS = (
    "id, title_zh, title_en, category, area, currency, status, department, acceleration,"
    " place, community_fund, budget_line"
)


async def tender_for_bidding(tender_id: int) -> Row | None:
    """The tender row the bids app works from (None when there is no such tender)."""
    rows = await execute(
        "SELECT id, department, status, title_zh, title_en, currency, budget, min_bids,"
        " criteria, enquiry_end, bid_deadline, opening_at, acceleration, community_fund"
        " FROM market_tender WHERE id = {}",
        tender_id,
    )
    return rows[0] if rows else None


async def lock_tender_funding(tender_id: int, *, exclusive: bool) -> Row:
    """The funding gate of one tender, inside the caller's transaction: the tender row
    locked shared (money arriving: many confirmations at once) or exclusive (settling
    its escrow: waits for every confirmation in flight, and holds off new ones until
    it commits). Step 1 of the lock order (ARCHITECTURE.md). Returns the tender's
    facts, read under the lock (id, titles, category, area, currency, status,
    department, acceleration, place, community_fund, budget_line: `lifecycle.budget_account`
    names where its government money goes back to)."""
    lock = for_update() if exclusive else for_key_share()
    rows = await execute(f"SELECT {_FACTS} FROM market_tender WHERE id = {{}}" + lock, tender_id)
    if not rows:
        raise NotFound("No such project.")
    return rows[0]


async def lock_tenders_funding(tender_ids: Iterable[int]) -> dict[int, Row]:
    """The funding gates of several tenders taken shared, in id order (money arriving
    for them together: `donors.confirm_many`), with their facts as `lock_tender_funding`
    reads them; a tender that does not exist is missing from the result."""
    wanted = sorted(set(tender_ids))
    if not wanted:
        return {}
    rows = await execute(
        f"SELECT {_FACTS} FROM market_tender WHERE id IN ({marks(len(wanted))}) ORDER BY id"
        + for_key_share(),
        *wanted,
    )
    return {int(row["id"]): row for row in rows}


async def tenders_in_status(
    statuses: Iterable[str], *, deadline_before: datetime | None = None
) -> list[tuple[int, str]]:
    """(id, status) of the tenders in one of `statuses` (and, when given, whose bid
    deadline is before `deadline_before`), by id."""
    wanted = sorted(set(statuses))
    if not wanted:
        return []
    sql = f"SELECT id, status FROM market_tender WHERE status IN ({marks(len(wanted))})"
    args: list[object] = list(wanted)
    if deadline_before is not None:
        sql += " AND bid_deadline < {}"
        args.append(deadline_before)
    rows = await execute(sql + " ORDER BY id", *args)
    return [(int(row["id"]), str(row["status"])) for row in rows]


async def tender_facts(tender_ids: Iterable[int]) -> list[Row]:
    """id, titles, category, area, currency, status, department and acceleration (> 1: a
    sandbox tender) of these tenders."""
    ids = sorted(set(tender_ids))
    if not ids:
        return []
    return await execute(
        f"SELECT {_FACTS} FROM market_tender WHERE id IN ({marks(len(ids))})", *ids
    )


async def tender_titles(tender_ids: Iterable[int]) -> dict[int, Row]:
    """Tender id → id, titles, status, bid deadline (as stored), currency and department."""
    ids = sorted(set(tender_ids))
    if not ids:
        return {}
    rows = await execute(
        "SELECT id, title_zh, title_en, status, bid_deadline, currency, department"
        f" FROM market_tender WHERE id IN ({marks(len(ids))})",
        *ids,
    )
    return {int(row["id"]): row for row in rows}


async def department_tenders(
    department_ids: list[int], statuses: Iterable[str], *, limit: int = 200
) -> list[Row]:
    """id, titles, status, bid deadline and acceleration (> 1: sandbox) of the
    departments' tenders in one of `statuses`, soonest deadline first."""
    wanted = sorted(set(statuses))
    if not department_ids or not wanted:
        return []
    return await execute(
        "SELECT id, title_zh, title_en, status, bid_deadline, acceleration FROM market_tender"
        f" WHERE department IN ({marks(len(department_ids))})"
        f" AND status IN ({marks(len(wanted))}) ORDER BY bid_deadline, id LIMIT {{}}",
        *department_ids,
        *wanted,
        limit,
    )


_NOTICE = (
    "id, title_zh, title_en, category, area, currency, budget, status, department,"
    " acceleration, enquiry_end, bid_deadline, opening_at, amendment_count"
)


async def tender_notices(tender_ids: Iterable[int]) -> dict[int, Row]:
    """Tender id → what a notification about it says and needs: id, titles, category,
    area, currency, budget, status, department, acceleration (> 1: sandbox), enquiry
    end, bid deadline, opening (as stored) and the number of amendments."""
    ids = sorted(set(tender_ids))
    if not ids:
        return {}
    rows = await execute(
        f"SELECT {_NOTICE} FROM market_tender WHERE id IN ({marks(len(ids))})", *ids
    )
    return {int(row["id"]): row for row in rows}


async def question_askers(question_ids: Iterable[int]) -> dict[int, int]:
    """Question id → the user who asked it (never shown: questions are anonymous)."""
    ids = sorted(set(question_ids))
    if not ids:
        return {}
    rows = await execute(
        f"SELECT id, asker_user FROM market_tender_question WHERE id IN ({marks(len(ids))})",
        *ids,
    )
    return {int(row["id"]): int(row["asker_user"]) for row in rows}


async def tender_askers(tender_ids: Iterable[int]) -> dict[int, set[int]]:
    """Tender id → the users who asked a question about it."""
    ids = sorted(set(tender_ids))
    if not ids:
        return {}
    rows = await execute(
        "SELECT DISTINCT tender, asker_user FROM market_tender_question"
        f" WHERE tender IN ({marks(len(ids))})",
        *ids,
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(int(row["tender"]), set()).add(int(row["asker_user"]))
    return found
