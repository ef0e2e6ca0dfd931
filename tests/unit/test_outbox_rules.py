"""The outbox's pure rules (market/outbox/rules.py) and the unsubscribe token
(notify/unsubscribe.py): backoff, giving up, final SMTP answers, the stable
Message-ID, the lease margin; a token reads back what it signed and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from market.errors import NotFound
from market.outbox import rules
from notify import unsubscribe


def test_retries_wait_a_minute_then_twice_as_long_each_time_up_to_four_hours() -> None:
    delays = [rules.retry_delay(n) for n in range(1, 12)]
    minutes = [int(d.total_seconds() // 60) for d in delays]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 240, 240, 240]
    assert rules.retry_delay(10_000) == rules.LONGEST_RETRY
    total = sum((rules.retry_delay(n) for n in range(1, rules.MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=7) < total < timedelta(hours=9)  # ~8 h before a message is given up
    with pytest.raises(ValueError, match="at least 1"):
        rules.retry_delay(0)


def test_a_message_is_given_up_after_the_last_try_or_a_final_refusal() -> None:
    assert not rules.gives_up(1, permanent=False)
    assert not rules.gives_up(rules.MAX_ATTEMPTS - 1, permanent=False)
    assert rules.gives_up(rules.MAX_ATTEMPTS, permanent=False)
    assert rules.gives_up(1, permanent=True)
    assert [rules.permanent_code(c) for c in (None, 250, 421, 452, 500, 550, 554, 600)] == [
        False, False, False, False, True, True, True, False,
    ]  # fmt: skip


def test_the_message_id_is_the_same_for_every_send_of_a_row_and_differs_between_rows() -> None:
    first = rules.message_id("tender.answer:4:2|user:7|email", "https://market.example.org")
    assert re.fullmatch(r"<[0-9a-f]{32}@market\.example\.org>", first)
    assert first == rules.message_id(
        "tender.answer:4:2|user:7|email", "https://market.example.org/"
    )
    assert first != rules.message_id("tender.answer:4:2|user:8|email", "https://market.example.org")
    assert rules.message_id("k", "not a url").endswith("@localhost>")


def test_a_run_stops_sending_well_before_its_lease_ends() -> None:
    assert rules.lease_margin(120) == rules.SMTP_TIMEOUT + 5
    assert rules.lease_margin(1) == 0.5


def test_a_token_reads_back_its_user_or_address_and_kind() -> None:
    user = unsubscribe.read(unsubscribe.sign("project.update", user_id=42))
    assert (user.kind.name, user.user_id, user.address) == ("project.update", 42, None)
    guest = unsubscribe.read(unsubscribe.sign("donation.receipt", address="Guest@Example.org"))
    assert (guest.kind.name, guest.user_id, guest.address) == (
        "donation.receipt",
        None,
        "guest@example.org",
    )
    token = unsubscribe.sign("project.update", user_id=42)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)  # safe in a URL path


def test_a_token_cannot_be_altered_or_made_for_an_unknown_kind() -> None:
    body, mac = unsubscribe.sign("project.update", user_id=42).split(".")
    other = unsubscribe.sign("project.update", user_id=43).split(".")[0]
    unknown = unsubscribe.sign("no.such.kind", user_id=42)
    longest = unsubscribe.sign("pledge.nearly_exhausted", address=("a" * 64 + "@" + "b" * 189))
    assert len(longest) <= unsubscribe.MAX_TOKEN and unsubscribe.read(longest).address
    padded = f"{body}.{mac}" + "=" * unsubscribe.MAX_TOKEN
    for token in (f"{other}.{mac}", f"{body}.{mac[:-1]}", f"{body}.", "", "...", unknown, padded):
        with pytest.raises(NotFound):
            unsubscribe.read(token)
    with pytest.raises(ValueError, match="user or an address"):
        unsubscribe.sign("project.update")


def test_mandatory_kinds_have_no_unsubscribe_link() -> None:
    assert unsubscribe.url("contract.to_sign", user_id=1, address="a@b.org", lang="en") is None
    link = unsubscribe.url("project.update", user_id=None, address="a@b.org", lang="en")
    assert link is not None and "/unsubscribe/" in link and link.endswith("?lang=en")
