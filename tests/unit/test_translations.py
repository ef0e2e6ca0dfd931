"""The Chinese catalog is complete and keeps every placeholder of its msgids."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "market" / "translations"
PLACEHOLDER = re.compile(r"%\([^)]+\)[a-zA-Z]")


def load(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, (list, tuple)) else [value]


def ids(message: Message) -> list[str]:
    value = message.id
    return list(value) if isinstance(value, (list, tuple)) else [value]


@pytest.fixture(scope="module")
def zh() -> Catalog:
    return load("zh_Hans")


def test_the_chinese_catalog_has_entries(zh: Catalog) -> None:
    assert len(entries(zh)) > 100


def test_every_chinese_entry_is_translated(zh: Catalog) -> None:
    empty = [message.id for message in entries(zh) if not all(s.strip() for s in strings(message))]
    assert empty == []


def test_no_chinese_entry_is_fuzzy(zh: Catalog) -> None:
    assert not zh.fuzzy
    assert [message.id for message in entries(zh) if message.fuzzy] == []


def test_chinese_has_one_plural_form(zh: Catalog) -> None:
    assert zh.num_plurals == 1
    for message in entries(zh):
        if message.pluralizable:
            assert len(strings(message)) == 1, message.id


def test_translations_keep_exactly_the_placeholders_of_their_msgids(zh: Catalog) -> None:
    mismatched = []
    for message in entries(zh):
        expected = {p for msgid in ids(message) for p in PLACEHOLDER.findall(msgid)}
        for translation in strings(message):
            if set(PLACEHOLDER.findall(translation)) != expected:
                mismatched.append((message.id, translation))
    assert mismatched == []


def test_translations_are_free_of_html(zh: Catalog) -> None:
    tagged = [s for message in entries(zh) for s in strings(message) if re.search(r"<[a-zA-Z/]", s)]
    assert tagged == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_catalogs_compile(language: str) -> None:
    catalog = load(language)
    assert catalog.check is not None
    assert [error for _, errors in catalog.check() for error in errors] == []
    write_mo(io.BytesIO(), catalog)


def test_the_english_catalog_has_the_same_msgids(zh: Catalog) -> None:
    en = load("en")
    assert {m.id if isinstance(m.id, str) else tuple(m.id) for m in entries(en)} == {
        m.id if isinstance(m.id, str) else tuple(m.id) for m in entries(zh)
    }
