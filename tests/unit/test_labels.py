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


def test_names_are_looked_up_in_the_readers_language(chinese: None) -> None:
    tender = labels.names("tender")
    assert tender["tendering"] == labels.label("tender", "tendering") != "tendering"
    assert tender["no_such_state"] == "no_such_state"  # shown as it is, as label() does
    assert labels.names("category")[""] == "—"
    i18n.activate("en")
    assert labels.names("category")["science_technology"] == "Science & technology"
    assert str(labels.names("funding_source")["own"]) == "Organization's own income"


def test_label_msgids_are_not_format_strings() -> None:
    """Jinja's gettext formats a translation with `%`; a name looked up is not formatted,
    so no name may need it."""
    assert not [m for table in labels.LABELS.values() for m in table.values() if "%" in m]


@pytest.mark.parametrize(
    ("lang", "zh", "en", "plain", "title", "name"),
    [
        ("en", "标题", "Title", False, "Title", "Title"),
        (
            "en",
            "标题",
            "",
            False,
            '<span lang="zh-Hans">标题</span>',
            '<span lang="zh-Hans">标题</span>',
        ),
        ("en", "标题", "", True, "标题", "标题"),
        ("zh_Hans", "标题", "Title", False, "标题", "标题"),
        ("zh_Hans", "", "Title", False, '<span lang="en">Title</span>', ""),
        ("zh_Hans", "", "Title", True, "Title", ""),
        ("en", "", "<b>", False, "&lt;b&gt;", "&lt;b&gt;"),
        ("zh_Hans", "<i>", "", False, "&lt;i&gt;", "&lt;i&gt;"),
    ],
)
def test_titles_and_names_in_the_readers_language(
    lang: str, zh: str, en: str, plain: bool, title: str, name: str
) -> None:
    assert labels.title_in(lang, zh, en, plain) == title
    assert labels.name_in(lang, zh, en, plain) == name
