"""/audit and /api/v1/audit: the head and length equal the chain; anyone can check the
links of every row and recompute the hash of every full row from the JSON alone; the
public sees no withheld payloads; rows about bids stay sealed, for everyone, until the
tender's bids are opened."""

from __future__ import annotations

import hashlib
import json
import re

from market.audit import GENESIS, append_audit, chain_head, merkle_root, sequence_queued
from market.sql import execute
from tests.bid_builders import opened, tender_with_bids
from tests.builders import PASSWORD, login, make_operator, make_user

EN = {"pgm_lang": "en"}


def recompute(prev_hash: str, item: dict) -> str:  # type: ignore[type-arg]
    body = json.dumps(
        {
            "seq": item["seq"],
            "at": item["at"],
            "actor": item["actor"],
            "action": item["action"],
            "object_type": item["object_type"],
            "object_id": item["object_id"],
            "change": json.loads(item["change"]),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert body == item["canonical"]
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


async def all_events(client) -> tuple[dict, list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    head = (await client.get("/api/v1/audit")).json()
    items: list[dict] = []  # type: ignore[type-arg]
    path: str | None = "/api/v1/audit/events?limit=7"
    while path:
        body = (await client.get(path)).json()
        items += body["items"]
        path = body["next"]
    return head, items


def check_links(items: list[dict], head: str) -> int:  # type: ignore[type-arg]
    """Oldest first: every prev_hash is the previous hash; full rows recompute (pending
    rows are not links yet)."""
    prev, recomputed = GENESIS, 0
    for item in sorted((i for i in items if not i["pending"]), key=lambda i: i["seq"]):
        assert item["prev_hash"] == prev, item["seq"]
        if item["visibility"] == "full":
            assert recompute(prev, item) == item["hash"]
            recomputed += 1
        prev = item["hash"]
    assert prev == head
    return recomputed


async def some_history() -> None:
    """Fourteen rows, chained by the sequencer (as the worker does within a second)."""
    await append_audit("user:1", "tender.publish", "tender", 7, {"to": "published", "名": "值"})
    await append_audit("user:2", "donation.paid", "donation", 3, {"donor": "private@example"})
    for n in range(12):
        await append_audit("system", "escrow.release", "tender", 7, {"n": n})
    await sequence_queued()


async def test_audit_page_shows_the_head_length_and_how_to_verify(client):
    await some_history()
    length, head = await chain_head()
    page = await client.get("/audit", cookies=EN)
    assert page.status_code == 200
    assert f'data-field="length">{length}<' in page.text
    assert f'data-field="head">{head}<' in page.text
    assert GENESIS in page.text and "market audit verify" in page.text
    assert "Verify it yourself" in page.text
    seqs = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page.text)]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == length
    # The public does not see withheld details.
    assert "private@example" not in page.text


async def test_anyone_can_check_every_link_and_recompute_public_rows(client):
    await some_history()
    head, items = await all_events(client)
    length, chain = await chain_head()
    assert head["length"] == length == len(items) and head["head"] == chain
    assert check_links(items, head["head"]) >= 13
    private = next(i for i in items if i["action"] == "donation.paid")
    assert private["visibility"] == "public"
    assert private["actor"] is None and private["change"] is None
    assert "private@example" not in json.dumps(items)


async def test_an_auditor_sees_and_recomputes_every_row(client):
    await some_history()
    await make_user("auditor@example.org", platform_role="auditor")
    await login(client, "auditor@example.org", PASSWORD)
    head, items = await all_events(client)
    assert check_links(items, head["head"]) == len(items)
    assert "private@example" in json.dumps(items)


async def test_a_row_just_appended_is_shown_pending_until_it_is_chained(client):
    await some_history()
    await append_audit("user:1", "tender.publish", "tender", 8, {"to": "published"})
    length, head = await chain_head()
    page = await client.get("/audit", cookies=EN)
    assert f'data-field="length">{length}<' in page.text and length == 14
    assert 'data-field="pending">1<' in page.text
    first = page.text.index("<tbody>")
    assert 'class="visibility-full pending"' in page.text[first : first + 200]
    assert "Pending: gets its number and hash within a second" in page.text
    api = (await client.get("/api/v1/audit")).json()
    assert (api["length"], api["head"], api["pending"]) == (14, head, 1)
    events = (await client.get("/api/v1/audit/events?limit=5")).json()
    pending, *chained = events["items"]
    assert pending["pending"] and pending["seq"] is None and pending["hash"] is None
    assert pending["action"] == "tender.publish" and pending["canonical"] is None
    assert [i["seq"] for i in chained] == [14, 13, 12, 11, 10] and events["pending"] == 1
    older = (await client.get(events["next"])).json()
    assert not any(i["pending"] for i in older["items"])  # pending rows head the first page
    await sequence_queued()
    after = (await client.get("/api/v1/audit/events?limit=5")).json()
    assert after["pending"] == 0 and after["items"][0]["seq"] == 15
    assert after["items"][0]["prev_hash"] == head


async def test_audit_pages_walk_back_and_bad_cursors_are_400(client):
    await some_history()
    length, _ = await chain_head()
    seqs: list[int] = []
    url: str | None = "/audit"
    while url:
        page = await client.get(url, headers={"HX-Request": "true"}, cookies=EN)
        assert page.status_code == 200
        seqs += [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page.text)]
        more = re.search(r'href="(/audit\?before=\d+)#rows"', page.text)
        url = more.group(1) if more else None
    assert seqs == list(range(length, 0, -1))
    for query in ("before=x", "before=-5", "before=1e3"):
        assert (await client.get(f"/audit?{query}", cookies=EN)).status_code == 400
        api = await client.get(f"/api/v1/audit/events?{query}", cookies=EN)
        assert api.status_code == 400 and "cursor" in api.json()["error"]
    assert (await client.get("/api/v1/audit/events?limit=501")).status_code == 400
    empty = await client.get("/audit?before=1", cookies=EN)
    assert empty.status_code == 200 and "No rows on this page." in empty.text


async def test_bid_rows_are_sealed_for_everyone_until_the_bids_are_opened(client, frozen_clock):
    """Bid events wait in the tender's sealed log: before the opening the public chain
    holds no row about a bid, for anyone (auditors included); at the opening one public
    row anchors the log's count and Merkle root, which recompute from the log."""
    scenario = await tender_with_bids(frozen_clock)
    await make_operator("audit-operator@example.org")
    await make_user("audit-auditor@example.org", platform_role="auditor")
    assert await execute("SELECT seq FROM audit_event WHERE object_type = 'bid'") == []
    sealed = await execute(
        "SELECT action, leaf_hash FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        f"tender:{scenario.tender_id}",
    )
    assert [r["action"] for r in sealed] == ["bid.submit", "bid.submit"]
    for email in (None, "audit-operator@example.org", "audit-auditor@example.org"):
        client.cookies.clear()
        if email:
            await login(client, email, PASSWORD)
        page = await client.get("/audit", cookies=EN)
        assert "bid.submit" not in page.text and "bid:" not in page.text, email
        head, items = await all_events(client)
        check_links(items, head["head"])
        assert "bid.submit" not in json.dumps(items)
        assert "sealed_log" not in json.dumps(items)
    # Opened: one public row carries the count and the RFC 6962 root of the sealed log.
    await opened(frozen_clock, scenario)
    client.cookies.clear()
    _, items = await all_events(client)
    [anchor] = [i for i in items if i["action"] == "sealed_log.anchor"]
    assert anchor["visibility"] == "full"
    change = json.loads(anchor["change"])
    assert change["count"] == 2
    assert change["root"] == merkle_root([r["leaf_hash"] for r in sealed])
