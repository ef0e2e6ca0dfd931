"""The public read models: drafts hidden, filters combined, keyset pages stable."""

from __future__ import annotations

import pytest

from market.errors import NotFound
from market.tenders import queries
from market.tenders.queries import TenderFilters
from tests.tender_builders import make_department, make_tender

pytestmark = pytest.mark.usefixtures("frozen_clock")


def ids(page: queries.TenderPage) -> list[int]:
    return [row["id"] for row in page.rows]


async def test_drafts_are_invisible_to_the_public() -> None:
    department = await make_department()
    draft = await make_tender(department)
    published = await make_tender(department, status="published")
    page = await queries.list_tenders(TenderFilters())
    assert ids(page) == [published]
    with pytest.raises(NotFound):
        await queries.tender_detail(draft, None)
    assert (await queries.tender_detail(published, None)).tender["id"] == published


async def test_filters_combine(frozen_clock) -> None:
    department = await make_department()
    wanted = await make_tender(
        department,
        status="published",
        category="charity",
        area="柳岸社区",
        budget="300000",
        title_en="Food bank volunteers",
    )
    await make_tender(
        department,
        status="published",
        category="charity",
        area="柳岸社区",
        budget="50000",
        title_en="Food bank small",
    )
    await make_tender(
        department,
        status="published",
        category="charity",
        area="湖滨街道",
        budget="300000",
        title_en="Food bank elsewhere",
    )
    await make_tender(
        department,
        status="published",
        category="dispute_mediation",
        area="柳岸社区",
        budget="300000",
        title_en="Food bank mediation",
    )
    await make_tender(
        department,
        status="cancelled",
        category="charity",
        area="柳岸社区",
        budget="300000",
        title_en="Food bank cancelled",
    )
    filters = TenderFilters.parse(
        {
            "status": "published",
            "category": "charity",
            "area": "柳岸社区",
            "budget_min": "100000",
            "budget_max": "400000",
            "q": "food BANK",
        }
    )
    assert ids(await queries.list_tenders(filters)) == [wanted]
    assert ids(await queries.list_tenders(TenderFilters.parse({"q": "志愿"}))) == []
    everything = await queries.list_tenders(TenderFilters.parse({"status": "nonsense"}))
    assert len(everything.rows) == 5


async def test_pagination_is_stable_while_new_tenders_appear(frozen_clock) -> None:
    department = await make_department()
    created = []
    for _ in range(7):
        created.append(await make_tender(department, status="published"))
        frozen_clock.advance(minutes=1)
    newest_first = list(reversed(created))
    first = await queries.list_tenders(TenderFilters(), limit=3)
    assert ids(first) == newest_first[:3]
    # Two tenders are published between page 1 and page 2.
    await make_tender(department, status="published")
    frozen_clock.advance(minutes=1)
    await make_tender(department, status="published")
    second = await queries.list_tenders(TenderFilters(), cursor=first.next_cursor, limit=3)
    third = await queries.list_tenders(TenderFilters(), cursor=second.next_cursor, limit=3)
    assert ids(second) == newest_first[3:6]
    assert ids(third) == newest_first[6:]
    assert third.next_cursor is None


async def test_ties_on_publication_time_page_by_id(frozen_clock) -> None:
    department = await make_department()
    same_time = [await make_tender(department, status="published") for _ in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        page = await queries.list_tenders(TenderFilters(), cursor=cursor, limit=2)
        seen += ids(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == sorted(same_time, reverse=True)


async def test_a_bad_cursor_starts_from_the_beginning() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    for cursor in ("", "garbage", "1.2.3", "99999999999999999999999.1"):
        assert ids(await queries.list_tenders(TenderFilters(), cursor=cursor)) == [tender_id]


async def test_the_detail_shows_funding_goals_per_source() -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    detail = await queries.tender_detail(tender_id, None)
    lines = {line.source: line for line in detail.funding}
    assert lines["government"].committed.amount == 20_000_000 and lines["government"].percent == 100
    assert lines["corporate"].goal.amount == 5_000_000 and lines["corporate"].percent == 0
    assert "foundation" not in lines  # no goal, nothing received
    assert [e["action"] for e in detail.timeline if not e["future"]] == ["publish"]
    assert [e["action"] for e in detail.timeline if e["future"]] == [
        "enquiry_end",
        "bid_deadline",
        "opening",
    ]
