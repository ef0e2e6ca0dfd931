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


# The catalog check: the same extraction as `make messages` (pybabel extract with
# babel.cfg, whose Python sources go through market/web/i18n_extract.py), compared
# with the Chinese catalog.
ROOT = TRANSLATIONS.parents[1]


def extracted_msgids(root: Path) -> dict[str, str]:
    """msgid → first file:line, for every message `make messages` would extract under root."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def lacking_translation(found: dict[str, str], catalog: Catalog) -> list[str]:
    """Extracted msgids with no entry, or only an empty one, in the catalog."""
    translated = set()
    for message in entries(catalog):
        if all(s.strip() for s in strings(message)):
            translated.update(ids(message))
    return sorted(
        f"{where}: {msgid!r}" for msgid, where in found.items() if msgid not in translated
    )


def test_every_string_in_templates_and_sources_has_a_chinese_translation(zh: Catalog) -> None:
    found = extracted_msgids(ROOT)
    assert len(found) > 100
    assert "Donation" in found  # one-word messages marked by hand count too
    assert lacking_translation(found, zh) == []


def test_the_catalog_check_fails_on_a_string_without_an_entry(zh: Catalog, tmp_path: Path) -> None:
    (tmp_path / "templates" / "x").mkdir(parents=True)
    (tmp_path / "templates" / "x" / "page.html").write_text(
        '<p>{{ _("Donation") }}</p><p>{{ _("A sentence nobody has translated yet.") }}</p>'
    )
    (tmp_path / "market").mkdir()
    (tmp_path / "market" / "rules.py").write_text(
        "class NotEnoughError(Exception): ...\n\n\n"
        'def f():\n    raise NotEnoughError("Not enough money here.")\n'
    )
    missing = lacking_translation(extracted_msgids(tmp_path), zh)
    assert sorted(m.split(": ", 1)[1] for m in missing) == [
        "'A sentence nobody has translated yet.'",
        "'Not enough money here.'",
    ]
