"""A checker of RFC 4287's requirements on an Atom feed document (tests only): what a
feed and each entry MUST contain, exactly once or at least once, and what they may
contain at most once. `problems(document)` lists every violation found; [] is valid.

Checked (RFC 4287 §4.1.1, §4.1.2, §3.1, §3.3, §4.2.6, §4.2.7):
- the root is atom:feed with xml:lang (ours always names its language);
- a feed has exactly one atom:id, atom:title and atom:updated, at most one subtitle,
  rights, generator, icon, logo; a rel="self" link; at most one rel="alternate" link
  per (type, hreflang);
- a feed has an atom:author, or every entry has one;
- an entry has exactly one atom:id, atom:title, atom:updated, at most one published,
  summary, content, rights; a rel="alternate" link when it has no atom:content; at
  most one rel="alternate" link per (type, hreflang);
- ids are absolute IRIs and unique within the document; dates are RFC 3339 date-times;
- text constructs have a type of text, html or xhtml, an xhtml one exactly one
  xhtml:div child; a link has an href; a category has a term.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

A = "{http://www.w3.org/2005/Atom}"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
TEXTS = ("title", "subtitle", "summary", "rights", "content")


def _count(element: ET.Element, name: str) -> int:
    return len(element.findall(A + name))


def _common(element: ET.Element, where: str, problems: list[str]) -> None:
    for name in ("id", "title", "updated"):
        if _count(element, name) != 1:
            problems.append(f"{where}: {_count(element, name)} atom:{name}, need exactly one")
    for node in element.findall(A + "id"):
        if not IRI.match(node.text or ""):
            problems.append(f"{where}: atom:id {node.text!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for node in element.findall(A + name):
            if not DATE.match(node.text or ""):
                problems.append(f"{where}: atom:{name} {node.text!r} is not RFC 3339")
    alternates: set[tuple[str, str]] = set()
    for link in element.findall(A + "link"):
        if not link.get("href"):
            problems.append(f"{where}: a link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type", ""), link.get("hreflang", ""))
            if key in alternates:
                problems.append(f"{where}: two alternate links with type/hreflang {key}")
            alternates.add(key)
    for category in element.findall(A + "category"):
        if not category.get("term"):
            problems.append(f"{where}: a category without term")
    for name in TEXTS:
        for node in element.findall(A + name):
            kind = node.get("type", "text")
            if kind not in ("text", "html", "xhtml"):
                problems.append(f"{where}: atom:{name} of type {kind!r}")
            elif kind == "xhtml" and [c.tag for c in node] != [XHTML_DIV]:
                problems.append(f"{where}: xhtml atom:{name} is not one xhtml:div")
            elif kind != "xhtml" and len(node):
                problems.append(f"{where}: atom:{name} of type {kind} has child elements")


def problems(document: bytes) -> list[str]:
    root = ET.fromstring(document)
    found: list[str] = []
    if root.tag != A + "feed":
        return [f"the root is {root.tag}, not atom:feed"]
    if not root.get(LANG):
        found.append("the feed has no xml:lang")
    _common(root, "feed", found)
    for name in ("subtitle", "rights", "generator", "icon", "logo"):
        if _count(root, name) > 1:
            found.append(f"feed: {_count(root, name)} atom:{name}, at most one")
    if not [link for link in root.findall(A + "link") if link.get("rel") == "self"]:
        found.append("feed: no rel=self link")
    feed_author = _count(root, "author") > 0
    ids = [root.findtext(A + "id")]
    for k, entry in enumerate(root.findall(A + "entry")):
        where = f"entry {k} ({entry.findtext(A + 'id')})"
        _common(entry, where, found)
        ids.append(entry.findtext(A + "id"))
        for name in ("published", "summary", "content", "rights"):
            if _count(entry, name) > 1:
                found.append(f"{where}: {_count(entry, name)} atom:{name}, at most one")
        if not feed_author and not _count(entry, "author"):
            found.append(f"{where}: no atom:author and the feed has none")
        for author in entry.findall(A + "author") + root.findall(A + "author"):
            if not (author.findtext(A + "name") or "").strip():
                found.append(f"{where}: an author without a name")
        links = entry.findall(A + "link")
        if not _count(entry, "content") and not any(
            link.get("rel", "alternate") == "alternate" for link in links
        ):
            found.append(f"{where}: no atom:content and no alternate link")
    if len(ids) != len(set(ids)):
        found.append("ids are not unique in the document")
    return found
