"""zh-Hans and en through Babel/gettext.

Catalogs are the `.po` files under market/translations; they are compiled in
memory at start-up, so there is no build step. The language of a request comes
from the `pgm_lang` cookie (set by the language switch), then the signed-in
user's preference, then the browser's Accept-Language, then zh-Hans.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("zh_Hans", "en")
DEFAULT = "zh_Hans"
COOKIE = "pgm_lang"
LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}
_ALIASES = {"zh": "zh_Hans", "zh_CN": "zh_Hans", "zh_SG": "zh_Hans", "zh_Hans_CN": "zh_Hans"}

_current: ContextVar[str] = ContextVar("pgm_language", default=DEFAULT)


@cache
def translations(language: str) -> NullTranslations:
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalise(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    if code in LANGUAGES:
        return code
    if code in _ALIASES:
        return _ALIASES[code]
    if code.lower().startswith("zh"):
        return "zh_Hans"
    if code.lower().startswith("en"):
        return "en"
    return None


@lru_cache(maxsize=1024)  # browsers send a few dozen different headers, again and again
def from_accept_language(header: str | None) -> str | None:
    if not header:
        return None
    preferred: list[tuple[float, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        preferred.append((-weight + index * 1e-6, tag.strip().replace("-", "_")))
    ordered = [tag for _, tag in sorted(preferred)]
    match = negotiate_locale(ordered, list(LANGUAGES) + list(_ALIASES), sep="_")
    return normalise(match) if match else next(filter(None, map(normalise, ordered)), None)


def activate(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT)


def current() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current()).pgettext(context, message)


def babel_locale() -> Locale:
    return locale_of(current())


@cache
def locale_of(language: str) -> Locale:
    return Locale.parse("zh_Hans_CN" if language == "zh_Hans" else "en")
