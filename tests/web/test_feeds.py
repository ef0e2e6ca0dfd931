"""The public Atom feeds, read as a feed reader reads them: discovered from the pages'
<link rel="alternate">, fetched without logging in, parsed by feedparser with no error
and checked against RFC 4287's required elements (tests/atom_check.py). New tenders,
awards and project updates appear; filters filter; sandbox tenders never do; older
entries are a `next` link away (RFC 5005); ETag and Last-Modified answer 304."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from bids import evaluation
from market.sql import execute
from market.timestamps import timestamp
from notify import feeds
from notify.update_rules import PhotoUpload
from notify.updates import post_update
from tests.atom_check import problems
from tests.bid_builders import appoint_and_score, opened, tender_with_bids
from tests.donation_builders import make_tender
from tests.images import jpeg
from tests.update_builders import make_sandbox, supported_project
from tests.web import pages

ATOM = "application/atom+xml"


async def read_feed(client: httpx.AsyncClient, url: str, **headers: str) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(ATOM)
    assert problems(response.content) == []
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    parsed["response"] = response
    return parsed


async def discover(client: httpx.AsyncClient, page: str) -> list[tuple[str, str]]:
    response = await client.get(page)
    assert response.status_code == 200
    return pages.feeds(response.text, f"http://testserver{page}")


def cursor(at: Any, row_id: int) -> str:
    """A feed page cursor as the feeds hand them out: (microseconds since 1970, id)."""
    micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micros}.{row_id}"


def tender_ids(parsed: Any) -> list[int]:
    return [int(urlsplit(e.link).path.rsplit("/", 1)[1]) for e in parsed.entries]


@pytest.fixture
async def tenders(frozen_clock) -> dict[str, int]:  # type: ignore[no-untyped-def]
    made = {}
    for name, fields in {
        "care": {"category": "community_services", "area": "湖滨街道"},
        "charity": {"category": "charity", "area": "湖滨街道"},
        "elsewhere": {"category": "community_services", "area": "北山社区"},
        "draft": {"status": "draft"},
        "sandbox": {"category": "charity", "area": "湖滨街道"},
    }.items():
        frozen_clock.advance(minutes=5)
        made[name] = await make_tender(**fields)  # type: ignore[arg-type]
    await make_sandbox(made["sandbox"])
    return made


async def test_the_tender_feed_lists_published_tenders_newest_first_never_a_sandbox_one(
    client: httpx.AsyncClient, tenders: dict[str, int]
) -> None:
    parsed = await read_feed(client, "/feeds/tenders.atom?lang=en")
    assert tender_ids(parsed) == [tenders["elsewhere"], tenders["charity"], tenders["care"]]
    entry = parsed.entries[0]
    assert entry.title.startswith("Home care for elderly residents")
    assert entry.link == f"http://testserver/tenders/{tenders['elsewhere']}"
    assert entry.author == "Test Social Organization"  # the department, by its English name
    assert entry.tags[0].term == "community_services"
    assert "Budget CN¥500,000.00" in entry.summary and "北山社区" in entry.summary
    assert parsed.feed.language == "en"


async def test_the_feeds_filter_by_category_and_by_street_or_community(
    client: httpx.AsyncClient, tenders: dict[str, int]
) -> None:
    by_category = await read_feed(client, "/feeds/tenders.atom?category=charity")
    assert tender_ids(by_category) == [tenders["charity"]]
    by_area = await read_feed(client, "/feeds/tenders.atom?area=北山社区")
    assert tender_ids(by_area) == [tenders["elsewhere"]]
    both = await read_feed(client, "/feeds/tenders.atom?category=community_services&area=湖滨街道")
    assert tender_ids(both) == [tenders["care"]]
    assert len({by_category.feed.id, by_area.feed.id, both.feed.id}) == 3
    assert "社区服务" in both.feed.title and "湖滨街道" in both.feed.title


async def test_a_reader_finds_the_feed_of_the_filtered_list_and_of_the_home_page(
    client: httpx.AsyncClient, tenders: dict[str, int]
) -> None:
    found = await discover(client, "/tenders?category=charity&area=湖滨街道&status=tendering")
    (title, url), *_ = found
    assert urlsplit(url).path == "/feeds/tenders.atom" and "charity" in url
    assert "湖滨街道" in title
    parsed = await read_feed(client, url)
    assert tender_ids(parsed) == [tenders["charity"]]
    home = dict(await discover(client, "/"))
    assert {urlsplit(u).path for u in home.values()} == {
        "/feeds/awards.atom",
        "/feeds/tenders.atom",
    }
    page = await client.get("/tenders?category=charity")
    assert 'href="/feeds/tenders.atom?category=charity' in page.text  # a visible link too


async def test_a_new_tender_appears_and_an_unchanged_feed_answers_304(
    client: httpx.AsyncClient, tenders: dict[str, int], frozen_clock
) -> None:  # type: ignore[no-untyped-def]
    first = await read_feed(client, "/feeds/tenders.atom?lang=zh_Hans")
    response = first["response"]
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    assert "public" in response.headers["cache-control"]
    again = await client.get("/feeds/tenders.atom?lang=zh_Hans", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = await client.get(
        "/feeds/tenders.atom?lang=zh_Hans", headers={"If-Modified-Since": modified}
    )
    assert since.status_code == 304
    frozen_clock.advance(minutes=5)
    new = await make_tender(category="charity")
    changed = await read_feed(client, "/feeds/tenders.atom?lang=zh_Hans", **{"If-None-Match": etag})
    assert tender_ids(changed)[0] == new and changed["response"].headers["etag"] != etag
    stale = await client.get(
        "/feeds/tenders.atom?lang=zh_Hans", headers={"If-Modified-Since": modified}
    )
    assert stale.status_code == 200


async def test_older_entries_are_a_next_link_away(
    client: httpx.AsyncClient, tenders: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "PAGE", 2)
    url: str | None = "/feeds/tenders.atom"
    seen: list[int] = []
    while url:
        parsed = await read_feed(client, url)
        seen += tender_ids(parsed)
        links = {link.rel: link.href for link in parsed.feed.links}
        assert urlsplit(links["first"]).query == "lang=zh_Hans"
        url = links.get("next")
    assert seen == [tenders["elsewhere"], tenders["charity"], tenders["care"]]
    refused = await client.get("/feeds/tenders.atom?before=１２.3")
    assert refused.status_code == 400


async def test_links_follow_the_request_and_ids_do_not(
    client: httpx.AsyncClient, tenders: dict[str, int]
) -> None:
    here = await read_feed(client, "/feeds/tenders.atom")
    there = await read_feed(client, "/feeds/tenders.atom", Host="feeds.example.org:8443")
    assert there.entries[0].link.startswith("http://feeds.example.org:8443/tenders/")
    assert [e.id for e in here.entries] == [e.id for e in there.entries]
    assert here.feed.id == there.feed.id and here.feed.id.startswith("tag:")


async def test_an_award_appears_in_the_awards_feed_until_its_tender_is_a_sandbox(
    client: httpx.AsyncClient, frozen_clock
) -> None:  # type: ignore[no-untyped-def]
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    parsed = await read_feed(client, "/feeds/awards.atom?lang=en")
    (entry,) = parsed.entries
    assert entry.title.startswith("Awarded: Community home-based elderly care → Service Centre")
    assert entry.link == f"http://testserver/tenders/{scenario.tender_id}/results"
    assert "CN¥150,000.00" in entry.summary
    (award,) = await execute("SELECT id, awarded_at FROM bids_award")
    at, award_id = timestamp(award["awarded_at"]), int(award["id"])
    assert (
        await read_feed(client, f"/feeds/awards.atom?before={cursor(at, award_id)}")
    ).entries == []
    newer = await read_feed(client, f"/feeds/awards.atom?before={cursor(at, award_id + 1)}")
    assert len(newer.entries) == 1
    await make_sandbox(scenario.tender_id)
    assert (await read_feed(client, "/feeds/awards.atom")).entries == []


async def test_a_project_update_is_in_the_feed_the_project_page_advertises(
    client: httpx.AsyncClient, frozen_clock
) -> None:  # type: ignore[no-untyped-def]
    project = await supported_project(frozen_clock)
    empty = await read_feed(client, f"/feeds/projects/{project.tender_id}/updates.atom")
    assert empty.entries == []
    frozen_clock.advance(days=1)
    update_id = await post_update(
        user_id=project.winner.user_id,
        contract_id=project.contract_id,
        texts={
            "title_zh": "第一周",
            "body_zh": "走访了12户。\n\n下周送餐。",
            "title_en": "",
            "body_en": "",
        },
        uploads=[PhotoUpload(1, "door.jpg", jpeg(), "A volunteer knocks on a door")],
    )
    (title, url), *_ = await discover(client, f"/projects/{project.tender_id}")
    assert "社区居家养老服务项目" in title
    parsed = await read_feed(client, url.replace("lang=zh_Hans", "lang=en"))
    (entry,) = parsed.entries
    assert entry.title == "第一周" and entry.title_detail.language == "zh-Hans"
    assert entry.link == f"http://testserver/projects/{project.tender_id}#update-{update_id}"
    content = entry.content[0].value
    assert "走访了12户。" in content and 'alt="A volunteer knocks on a door"' in content
    src = content.split('src="', 1)[1].split('"', 1)[0]
    photo = await client.get(src)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8") and "immutable" in photo.headers["cache-control"]
    older = await read_feed(
        client, f"/feeds/projects/{project.tender_id}/updates.atom?before={update_id}"
    )
    assert older.entries == []
    bad = await client.get(f"/feeds/projects/{project.tender_id}/updates.atom?before=x")
    assert bad.status_code == 400
    await make_sandbox(project.tender_id)
    assert (await client.get(url)).status_code == 404
    assert (await client.get(src)).status_code == 404


async def test_a_feed_of_no_project_is_404(
    client: httpx.AsyncClient, tenders: dict[str, int]
) -> None:
    assert (await client.get("/feeds/projects/999999/updates.atom")).status_code == 404
    draft = await client.get(f"/feeds/projects/{tenders['draft']}/updates.atom")
    assert draft.status_code == 404
