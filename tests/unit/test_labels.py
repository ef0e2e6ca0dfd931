"""Every state of every machine has a display label; references read as phrases."""

from __future__ import annotations

import pytest

from bids import rules as bid_rules
from market import labels, organization_rules
from market.tenders import rules as tender_rules
from market.web import i18n


def states(machine: dict[str, set[str]]) -> set[str]:
    return set(machine) | {target for targets in machine.values() for target in targets}


@pytest.mark.parametrize(
    ("domain", "codes"),
    [
        ("bid", states(bid_rules.BID)),
        ("complaint", states(bid_rules.COMPLAINT)),
        ("contract", states(bid_rules.CONTRACT)),
        ("milestone", states(bid_rules.MILESTONE)),
        ("tender", set(tender_rules.STATUSES)),
        ("organization", set(organization_rules.STATUSES)),
        ("organization_kind", set(organization_rules.KINDS)),
    ],
)
def test_every_state_has_a_label(domain: str, codes: set[str]) -> None:
    assert codes - set(labels.LABELS[domain]) == set()


def test_every_tender_action_word_is_translatable() -> None:
    assert set(tender_rules.ACTION_WORDS.values()) <= set(labels.ACTION_WORDS)


@pytest.fixture
def chinese():  # type: ignore[no-untyped-def]
    previous = i18n.current()
    i18n.activate("zh_Hans")
    yield
    i18n.activate(previous)


def test_labels_are_translated(chinese: None) -> None:
    assert labels.label("bid", "lost") == "未中标"
    assert labels.label("milestone", "submitted") != "submitted"
    assert labels.label("bid", "no_such_state") == "no_such_state"  # shows, so the walk sees it
    assert labels.label("bid", None) == "—"


def test_references_read_as_phrases(chinese: None) -> None:
    assert labels.reference("milestone:2") == "第 2 号里程碑的拨款"
    assert labels.reference("milestone:2:release") == "第 2 号里程碑的拨款"
    assert labels.reference("something-else") == "something-else"
    assert labels.reference("") == "—"
