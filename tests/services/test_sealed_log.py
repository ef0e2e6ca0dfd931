"""Bid events out of the public chain's sight until the opening (DESIGN §6).

Before the opening, the public audit data (the chain itself, /api/v1/audit, its events
and the /audit page, for the public and for auditors) is identical whether a tender has
0, 1 or 5 bids; the bid events wait in the tender's sealed log, whose count and RFC 6962
Merkle root join the chain at the opening. `market audit verify` covers both.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from bids import submission
from bids.access import sealed_scope
from market.audit import ANCHOR, merkle_root
from market.db import engine
from market.sql import execute
from tests.bid_builders import CANARY, Bidder, make_bidder, opened, tender_with_bids
from tests.builders import PASSWORD, chained_and_verified, login, make_user

# RFC 6962 test vectors (as in certificate-transparency's reference tests).
LEAF_DATA = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
TOKEN = re.compile(r'(name="_csrf_token" value="|"x-csrftoken": ?")[^"]+"')


def test_merkle_roots_match_the_rfc_6962_test_vectors() -> None:
    leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(d)).hexdigest() for d in LEAF_DATA]
    for n, root in enumerate(ROOTS):
        assert merkle_root(leaves[:n]) == root, n


async def submit(tender_id: int, bidder: Bidder, price: str = "160000.00") -> str:
    receipt = await submission.submit_bid(
        user_id=bidder.user_id,
        organization_id=bidder.org_id,
        tender_id=tender_id,
        price=price,
        proposal=f"{CANARY} 方案",
    )
    return receipt.ref


async def public_audit_data(app: Any, tender_id: int) -> dict[str, Any]:
    """Everything the chain shows: its rows, and the API and page for anyone and auditors."""
    chain = [
        dict(r)
        for r in await execute(
            "SELECT seq, at, actor, action, object_type, object_id, change, prev_hash, hash"
            " FROM audit_event ORDER BY seq"
        )
    ]
    seen: dict[str, Any] = {"chain": chain}
    for viewer in (None, "sealed-auditor@example.org"):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"X-Request-ID": "same-in-every-run"},  # else each error body differs
        ) as client:
            if viewer:
                await login(client, viewer, PASSWORD)
            head = (await client.get("/api/v1/audit")).json()
            events = (await client.get("/api/v1/audit/events?limit=500")).json()
            page = (await client.get("/audit", headers={"Accept-Language": "en"})).text
            log = await client.get(f"/api/v1/audit/sealed/{tender_id}")
            seen[str(viewer)] = (head, events, TOKEN.sub("", page), log.status_code, log.json())
    return seen


async def test_the_public_audit_data_is_the_same_for_0_1_and_5_bids(app, frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ())  # published, no bid yet
    bidders = [await make_bidder() for _ in range(5)]
    await make_user("sealed-auditor@example.org", platform_role="auditor")
    transaction = engine().current_transaction.get()
    assert transaction is not None  # the test's own transaction (rolled back afterwards)
    snapshots = {}
    for n in (0, 1, 5):
        savepoint = await transaction.savepoint()
        for bidder in bidders[:n]:
            await submit(scenario.tender_id, bidder)
        sealed = await execute(
            "SELECT COUNT(*) AS n FROM audit_sealed_event WHERE scope = {}",
            sealed_scope(scenario.tender_id),
        )
        assert int(sealed[0]["n"]) == n  # the bids are recorded, in the sealed log
        snapshots[n] = await public_audit_data(app, scenario.tender_id)
        await savepoint.rollback_to()
    assert snapshots[1] == snapshots[0]
    assert snapshots[5] == snapshots[0]


async def test_the_opening_anchors_the_sealed_log_and_verify_covers_it(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)  # two bids
    scope = sealed_scope(scenario.tender_id)
    assert (await chained_and_verified()).ok
    await opened(frozen_clock, scenario)
    status = await chained_and_verified()
    assert status.ok and status.sealed_logs >= 1, status.summary()
    anchors = await execute(
        "SELECT change FROM audit_event WHERE action = {} AND object_id = {}", ANCHOR, scope
    )
    assert len(anchors) == 1 and '"count":2' in anchors[0]["change"]
    # A sealed event changed after the anchoring: verify names the sealed log.
    await execute(
        "UPDATE audit_sealed_event SET change = {} WHERE scope = {} AND position = 0",
        '{"receipt":"forged"}',
        scope,
    )
    broken = await chained_and_verified()
    assert not broken.ok and scope in broken.reason, broken.summary()


async def test_verify_catches_a_sealed_event_removed_after_the_anchor(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00", "160000.00", "170000.00"))
    scope = sealed_scope(scenario.tender_id)
    await opened(frozen_clock, scenario)
    await execute("DELETE FROM audit_sealed_event WHERE scope = {} AND position = 2", scope)
    broken = await chained_and_verified()
    assert not broken.ok and "anchored count 3" in broken.reason, broken.summary()


async def test_a_tender_without_bids_anchors_an_empty_log(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, (), min_bids="1")
    await opened(frozen_clock, scenario)
    anchors = await execute(
        "SELECT change FROM audit_event WHERE action = {} AND object_id = {}",
        ANCHOR,
        sealed_scope(scenario.tender_id),
    )
    assert len(anchors) == 1 and '"count":0' in anchors[0]["change"]
    assert merkle_root([]) in anchors[0]["change"]


@pytest.mark.parametrize("action", ["withdraw", "reconfirm"])
async def test_every_bid_event_before_the_opening_stays_out_of_the_chain(frozen_clock, action):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    before = await execute("SELECT COUNT(*) AS n FROM audit_event")
    bidder = scenario.bidders[0]
    if action == "withdraw":
        await submission.withdraw_bid(user_id=bidder.user_id, ref=scenario.refs[0])
    else:
        await submission.mark_for_reconfirmation(scenario.tender_id, frozen_clock.at)
        await submission.reconfirm_bid(user_id=bidder.user_id, ref=scenario.refs[0])
    after = await execute("SELECT COUNT(*) AS n FROM audit_event")
    assert after == before
    actions = await execute(
        "SELECT action FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        sealed_scope(scenario.tender_id),
    )
    assert [r["action"] for r in actions][1:] == (
        ["bid.withdraw"] if action == "withdraw" else ["bid.needs_reconfirm", "bid.reconfirm"]
    )


async def test_after_the_opening_anyone_can_recompute_the_anchored_root(client, frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    path = f"/api/v1/audit/sealed/{scenario.tender_id}"
    client.headers["X-Request-ID"] = "one-id"  # the two 404s must not differ by their ids
    sealed = await client.get(path)
    unknown = await client.get("/api/v1/audit/sealed/999999")
    assert sealed.status_code == unknown.status_code == 404
    assert sealed.json() == unknown.json()
    await opened(frozen_clock, scenario)
    body = (await client.get(path)).json()
    assert body["count"] == 2 and len(body["items"]) == 2
    assert body["root"] == merkle_root([i["leaf_hash"] for i in body["items"]])
    assert all(i["actor"] is None and i["canonical"] is None for i in body["items"])
    await make_user("root-auditor@example.org", platform_role="auditor")
    await login(client, "root-auditor@example.org", PASSWORD)
    full = (await client.get(path)).json()
    for item in full["items"]:
        leaf = hashlib.sha256(b"\x00" + item["canonical"].encode()).hexdigest()
        assert leaf == item["leaf_hash"] and item["action"] == "bid.submit"
