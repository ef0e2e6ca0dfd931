"""Atom feeds (RFC 4287), pure: a `Feed` of `Entry`s in, a UTF-8 XML document out.

Every piece of text is put into the document by `xml.etree.ElementTree`, which escapes
it; characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE,
U+FFFF) are dropped first, so whatever a person typed, the document is well-formed.
The builder refuses (ValueError) what RFC 4287 forbids: a feed or entry without an
id, title or updated time, ids that are not absolute IRIs, times without a zone, an
entry without an author when the feed has none.

Content is plain text (`summary`) or a small XHTML body (`content`: paragraphs and
images with their alt text), never a string of markup; the XHTML is built as elements
too. Languages are BCP 47 tags (`zh-Hans`, `en`) in `xml:lang`; a title or paragraph
that falls back to the other language says so with its own `xml:lang`. Paging follows
RFC 5005 §3 (links `first`, `next`, `previous` in `Feed.links`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MEDIA_TYPE = "application/atom+xml"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What XML 1.0 cannot carry: C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PARAGRAPHS = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Text:
    """A text construct (type "text"); `lang` only when it differs from the feed's."""

    value: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    uri: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str = ""
    title: str = ""
    hreflang: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    label: str = ""
    scheme: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Text of an XHTML body; blank lines part paragraphs, a newline breaks a line."""

    text: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    src: str
    alt: str
    width: int = 0
    height: int = 0


Block = Paragraph | Image


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: Text
    updated: datetime
    link: str  # the page the entry is about (rel="alternate", text/html)
    summary: Text | None = None
    content: tuple[Block, ...] = ()  # an XHTML body; () for none
    published: datetime | None = None
    authors: tuple[Person, ...] = ()
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True, slots=True)
class Feed:
    id: str
    title: Text
    updated: datetime
    self_href: str
    alternate_href: str  # the page the feed follows
    lang: str
    entries: tuple[Entry, ...] = ()
    authors: tuple[Person, ...] = ()
    subtitle: Text | None = None
    links: tuple[Link, ...] = ()  # more links: RFC 5005 paging (first, next, previous)
    generator: str = ""
    rights: Text | None = None


def clean(text: str) -> str:
    """`text` without the characters an XML 1.0 document cannot contain."""
    return _NOT_XML.sub("", text)


def rfc3339(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("Atom times need a time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iri(value: str, what: str) -> str:
    if not _SCHEME.match(value):
        raise ValueError(f"{what} must be an absolute IRI, not {value!r}")
    return clean(value)


def _child(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items() if v})
    if text:
        element.text = clean(text)
    return element


def _text(parent: ET.Element, tag: str, value: Text) -> None:
    if not value.value.strip():
        raise ValueError(f"atom:{tag} may not be empty")
    element = _child(parent, tag, value.value)
    if value.lang:
        element.set(_LANG, value.lang)


def _person(parent: ET.Element, tag: str, person: Person) -> None:
    element = _child(parent, tag)
    if not person.name.strip():
        raise ValueError(f"atom:{tag} needs a name")
    _child(element, "name", person.name)
    if person.uri:
        _child(element, "uri", _iri(person.uri, "a person's uri"))


def _link(parent: ET.Element, link: Link) -> None:
    _child(
        parent,
        "link",
        href=_iri(link.href, "a link"),
        rel=link.rel,
        type=link.type,
        title=link.title,
        hreflang=link.hreflang,
    )


def _paragraph(div: ET.Element, block: Paragraph) -> None:
    for chunk in _PARAGRAPHS.split(block.text.strip()):
        p = _child(div, "p")
        if block.lang:
            p.set(_LANG, block.lang)
        lines = [line.strip() for line in chunk.splitlines()]
        p.text = clean(lines[0])
        for line in lines[1:]:
            br = ET.SubElement(p, "br")
            br.tail = clean(line)


def _xhtml(parent: ET.Element, blocks: tuple[Block, ...]) -> None:
    content = _child(parent, "content", type="xhtml")
    div = _child(content, "div", xmlns=XHTML_NS)
    for block in blocks:
        if isinstance(block, Paragraph):
            if block.text.strip():
                _paragraph(div, block)
            continue
        if not block.alt.strip():
            raise ValueError("an image needs its alt text")
        size = {"width": str(block.width), "height": str(block.height)} if block.width else {}
        _child(_child(div, "p"), "img", src=_iri(block.src, "an image"), alt=block.alt, **size)


def _entry(parent: ET.Element, entry: Entry, feed_has_author: bool) -> None:
    if not entry.authors and not feed_has_author:
        raise ValueError(f"entry {entry.id} has no author and neither has the feed")
    element = _child(parent, "entry")
    _child(element, "id", _iri(entry.id, "an entry id"))
    _text(element, "title", entry.title)
    _child(element, "updated", rfc3339(entry.updated))
    if entry.published is not None:
        _child(element, "published", rfc3339(entry.published))
    for person in entry.authors:
        _person(element, "author", person)
    _link(element, Link(entry.link, type="text/html"))
    for category in entry.categories:
        _child(
            element, "category", term=category.term, label=category.label, scheme=category.scheme
        )
    if entry.summary is not None:
        _text(element, "summary", entry.summary)
    if entry.content:
        _xhtml(element, entry.content)


def build(feed: Feed) -> bytes:
    """The feed as a UTF-8 Atom document."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, _LANG: feed.lang})
    _child(root, "id", _iri(feed.id, "the feed id"))
    _text(root, "title", feed.title)
    if feed.subtitle is not None:
        _text(root, "subtitle", feed.subtitle)
    _child(root, "updated", rfc3339(feed.updated))
    for person in feed.authors:
        _person(root, "author", person)
    _link(root, Link(feed.self_href, rel="self", type=MEDIA_TYPE))
    _link(root, Link(feed.alternate_href, type="text/html"))
    for link in feed.links:
        _link(root, link)
    if feed.rights is not None:
        _text(root, "rights", feed.rights)
    if feed.generator:
        _child(root, "generator", feed.generator)
    for entry in feed.entries:
        _entry(root, entry, bool(feed.authors))
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
