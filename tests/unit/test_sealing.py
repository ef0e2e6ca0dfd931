"""Sealed bids: envelope encryption, time-gated unwrapping, receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bids import sealing

MASTER = sealing.master_key("11" * 32)
DEADLINE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_round_trip_after_deadline():
    key = sealing.new_tender_key()
    wrapped = sealing.wrap_tender_key(MASTER, 7, key)
    envelope = sealing.seal(
        key, {"price": 123_400, "plan": "方案"}, tender_id=7, org_id=3, bid_id=9
    )
    unwrapped = sealing.unwrap_tender_key(
        MASTER, 7, wrapped, deadline=DEADLINE, now=DEADLINE + timedelta(seconds=1)
    )
    assert sealing.unseal(unwrapped, envelope, tender_id=7, org_id=3, bid_id=9) == {
        "price": 123_400,
        "plan": "方案",
    }


@pytest.mark.parametrize("offset", [timedelta(seconds=-1), timedelta(0)])
def test_tender_key_does_not_unwrap_until_the_deadline_has_passed(offset):
    wrapped = sealing.wrap_tender_key(MASTER, 7, sealing.new_tender_key())
    with pytest.raises(sealing.SealedTooEarly):
        sealing.unwrap_tender_key(MASTER, 7, wrapped, deadline=DEADLINE, now=DEADLINE + offset)


def test_wrapped_key_is_bound_to_its_tender_and_master():
    wrapped = sealing.wrap_tender_key(MASTER, 7, sealing.new_tender_key())
    later = DEADLINE + timedelta(days=1)
    with pytest.raises(sealing.SealingError):
        sealing.unwrap_tender_key(MASTER, 8, wrapped, deadline=DEADLINE, now=later)
    with pytest.raises(sealing.SealingError):
        sealing.unwrap_tender_key(
            sealing.master_key("22" * 32), 7, wrapped, deadline=DEADLINE, now=later
        )


def test_ciphertext_moved_to_another_bid_does_not_open():
    key = sealing.new_tender_key()
    envelope = sealing.seal(key, {"price": 1}, tender_id=1, org_id=2, bid_id=3)
    with pytest.raises(sealing.SealingError):
        sealing.unseal(key, envelope, tender_id=1, org_id=2, bid_id=4)
    with pytest.raises(sealing.SealingError):
        sealing.unseal(key, envelope, tender_id=1, org_id=5, bid_id=3)


def test_ciphertext_hides_the_content():
    key = sealing.new_tender_key()
    envelope = sealing.seal(key, {"plan": "CANARY-7f3a"}, tender_id=1, org_id=2, bid_id=3)
    assert b"CANARY" not in envelope.to_bytes()


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_detected(position, bit):
    key = bytes(32)
    envelope = sealing.seal(key, {"price": 42}, tender_id=1, org_id=1, bid_id=1)
    raw = bytearray(envelope.to_bytes())
    raw[position % len(raw)] ^= 1 << bit
    with pytest.raises(sealing.SealingError):
        sealing.unseal(
            key, sealing.Envelope.from_bytes(bytes(raw)), tender_id=1, org_id=1, bid_id=1
        )


def test_receipt_binds_content_and_time():
    key = sealing.new_tender_key()
    envelope = sealing.seal(key, {"price": 1}, tender_id=1, org_id=1, bid_id=1)
    at = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    digest = sealing.receipt(envelope, at)
    assert len(digest) == 64
    assert sealing.receipt_matches(envelope, at, digest)
    assert not sealing.receipt_matches(envelope, at + timedelta(microseconds=1), digest)
    other = sealing.seal(key, {"price": 1}, tender_id=1, org_id=1, bid_id=1)
    assert not sealing.receipt_matches(other, at, digest)


@pytest.mark.parametrize("bad", ["zz" * 32, "11" * 16, ""])
def test_master_key_must_be_32_hex_bytes(bad):
    with pytest.raises(sealing.SealingError):
        sealing.master_key(bad)


def test_a_rewrapped_tender_key_opens_under_the_new_master_only():
    old, new, other = (sealing.new_tender_key() for _ in range(3))
    tender_key = sealing.new_tender_key()
    wrapped = sealing.wrap_tender_key(old, 7, tender_key)
    again = sealing.rewrap_tender_key(old, new, 7, wrapped)
    assert again is not None
    assert sealing.key_for_sealing(new, 7, again) == tender_key
    with pytest.raises(sealing.SealingError):
        sealing.key_for_sealing(old, 7, again)
    assert sealing.rewrap_tender_key(old, new, 7, again) is None  # already under `new`
    with pytest.raises(sealing.SealingError):
        sealing.rewrap_tender_key(other, new, 7, wrapped)  # opens under neither
