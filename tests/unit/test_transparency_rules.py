"""Pure transparency rules: cursors, account and reference names, tranche grouping and
what each viewer sees of an audit row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.ledger.rules import SOURCES
from opendata.transparency_rules import (
    PUBLIC_PAYLOAD_ACTIONS,
    CursorInvalid,
    audit_row_view,
    group_releases,
    is_sealed,
    parse_account,
    parse_cursor,
    parse_limit,
    parse_reference,
)


def test_cursor_accepts_positive_ids_and_refuses_everything_else():
    assert parse_cursor(None) is None and parse_cursor("") is None
    assert parse_cursor("42") == 42
    for bad in ("0", "-1", "abc", "1.5", "1e3", "٣", " 4", "9" * 20, str(2**62)):
        with pytest.raises(CursorInvalid):
            parse_cursor(bad)
    assert CursorInvalid.status_code == 400


def test_limit_is_bounded():
    assert parse_limit(None, 50, 500) == 50 and parse_limit("500", 50, 500) == 500
    for bad in ("0", "501", "x", "-3"):
        with pytest.raises(CursorInvalid):
            parse_limit(bad, 50, 500)


@pytest.mark.parametrize(
    ("code", "kind", "ident", "source"),
    [
        ("tender:7:escrow:public", "escrow", 7, "public"),
        ("tender:7:escrow:weird", "other", None, None),
        ("org:12:payable", "organization", 12, None),
        ("department:3:budget", "department_budget", 3, None),
        ("budget:line:5", "budget_line", 5, None),
        ("pledge:9", "pledge", 9, None),
        ("donor:d44:refund", "donor_refund", 44, None),
        ("community_fund", "community_fund", None, None),
        ("external:sandbox", "card_sandbox", None, None),
        ("external:bank", "bank", None, None),
        ("external:treasury", "treasury", None, None),
        ("something:else", "other", None, None),
    ],
)
def test_account_codes_name_what_they_stand_for(code, kind, ident, source):
    ref = parse_account(code)
    assert (ref.kind, ref.ident, ref.source) == (kind, ident, source)


def test_references():
    assert parse_reference("donation:42") == ("donation", 42)
    assert parse_reference("sponsorship:3") == ("sponsorship", 3)
    assert parse_reference("") is None and parse_reference("tender:4:x") is None


release = st.fixed_dictionaries(
    {
        "reference": st.sampled_from(["milestone:1", "milestone:2", ""]),
        "source": st.sampled_from(SOURCES),
        "amount": st.integers(min_value=1, max_value=10**12),
    }
)


@settings(deadline=None)  # pure arithmetic; a loaded CI machine must not fail it on time
@given(st.lists(release, max_size=40))
def test_tranches_add_up_to_their_transfers_in_source_order(rows):
    tranches = group_releases(rows)
    assert sum(t.total for t in tranches.values()) == sum(r["amount"] for r in rows)
    for reference, tranche in tranches.items():
        mine = [r for r in rows if r["reference"] == reference]
        assert (
            tranche.total == sum(p.amount for p in tranche.parts) == sum(r["amount"] for r in mine)
        )
        order = [SOURCES.index(p.source) for p in tranche.parts]
        assert order == sorted(order) and len(set(order)) == len(order)


ROW = {
    "seq": 5,
    "at": datetime(2026, 11, 2, tzinfo=UTC),
    "actor": "user:3",
    "action": "donation.paid",
    "object_type": "donation",
    "object_id": "8",
    "change": '{"a":1}',
    "prev_hash": "0" * 64,
    "hash": "f" * 64,
}


def test_public_rows_withhold_private_payloads_auditors_see_them():
    public = audit_row_view(ROW, sealed=False, auditor=False)
    assert public.visibility == "public" and public.actor is None and public.change is None
    assert public.action == "donation.paid"
    audited = audit_row_view(ROW, sealed=False, auditor=True)
    assert audited.visibility == "full" and audited.change == '{"a":1}'
    release_row = {**ROW, "action": "escrow.release"}
    assert "escrow.release" in PUBLIC_PAYLOAD_ACTIONS
    assert audit_row_view(release_row, sealed=False, auditor=False).visibility == "full"


def test_bid_rows_are_sealed_until_their_bid_is_opened():
    bid = {**ROW, "action": "bid.submit", "object_type": "bid", "object_id": "17"}
    assert is_sealed(bid, set()) and not is_sealed(bid, {17})
    assert not is_sealed(ROW, set())
    sealed = audit_row_view(bid, sealed=True, auditor=True)
    assert sealed.visibility == "sealed"
    assert (sealed.action, sealed.object_id, sealed.actor, sealed.at) == ("", "", None, None)
    assert sealed.hash == "f" * 64 and sealed.prev_hash == "0" * 64
