"""The Atom builder (notify/atom.py): what it writes passes RFC 4287's checks and
feedparser; whatever text it is given stays text; what RFC 4287 forbids is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

from notify import atom
from notify.conditional import etag_of, http_date, not_modified
from tests.atom_check import problems

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HOSTILE = 'A & B <script>alert("x")</script> ]]> \x0b\x00 \ufffe end'


def entry(n: int, **changes: object) -> atom.Entry:
    fields: dict[str, object] = {
        "id": f"tag:example.org,2026:thing:{n}",
        "title": atom.Text(f"Thing {n}"),
        "updated": AT + timedelta(hours=n),
        "link": f"https://example.org/things/{n}",
        "authors": (atom.Person("民政局"),),
        "summary": atom.Text("A summary"),
    }
    fields.update(changes)
    return atom.Entry(**fields)  # type: ignore[arg-type]


def feed(*entries: atom.Entry, **changes: object) -> atom.Feed:
    fields: dict[str, object] = {
        "id": "tag:example.org,2026:things",
        "title": atom.Text("Things"),
        "updated": AT,
        "self_href": "https://example.org/feeds/things.atom?lang=en&a=1",
        "alternate_href": "https://example.org/things",
        "lang": "en",
        "entries": entries,
    }
    fields.update(changes)
    return atom.Feed(**fields)  # type: ignore[arg-type]


def test_a_feed_passes_the_rfc_4287_checks_and_feedparser() -> None:
    document = atom.build(
        feed(entry(1), entry(2, authors=(), summary=None), authors=(atom.Person("Site"),))
    )
    assert problems(document) == []
    parsed = feedparser.parse(document)
    assert not parsed.bozo
    assert parsed.feed.title == "Things" and parsed.feed.language == "en"
    assert [e.id for e in parsed.entries] == [
        "tag:example.org,2026:thing:1",
        "tag:example.org,2026:thing:2",
    ]
    assert parsed.feed.links[0].href == "https://example.org/feeds/things.atom?lang=en&a=1"


def test_any_text_stays_text_and_the_document_stays_well_formed() -> None:
    hostile = entry(
        1,
        title=atom.Text(HOSTILE),
        summary=atom.Text(HOSTILE),
        content=(
            atom.Paragraph(HOSTILE + "\nsecond line\n\nnext paragraph"),
            atom.Image("https://example.org/p/1", HOSTILE, 4, 3),
        ),
        authors=(atom.Person(HOSTILE),),
    )
    document = atom.build(feed(hostile, title=atom.Text(HOSTILE)))
    assert b"<script>" not in document and b"\x0b" not in document
    assert problems(document) == []
    parsed = feedparser.parse(document)
    assert not parsed.bozo
    expected = 'A & B <script>alert("x")</script> ]]>   end'  # the controls dropped
    assert parsed.feed.title == expected
    assert parsed.entries[0].title == expected
    assert parsed.entries[0].summary == expected
    html = parsed.entries[0].content[0].value
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "second line" in html and html.count("<p>") == 3


def test_a_title_in_the_other_language_says_so() -> None:
    document = atom.build(feed(entry(1, title=atom.Text("社区养老", "zh-Hans"))))
    parsed = feedparser.parse(document)
    assert parsed.entries[0].title_detail.language == "zh-Hans"
    assert parsed.feed.language == "en"


def test_times_are_written_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    document = atom.build(feed(entry(1, updated=datetime(2026, 11, 2, 17, 30, tzinfo=shanghai))))
    assert b"<updated>2026-11-02T09:30:00Z</updated>" in document


@pytest.mark.parametrize(
    ("built", "message"),
    [
        (lambda: feed(entry(1, authors=())), "no author"),
        (lambda: feed(entry(1, updated=datetime(2026, 1, 1))), "time zone"),  # noqa: DTZ001
        (lambda: feed(entry(1, id="thing-1")), "absolute IRI"),
        (lambda: feed(id="/feeds/things"), "absolute IRI"),
        (lambda: feed(title=atom.Text("  ")), "may not be empty"),
        (lambda: feed(entry(1, content=(atom.Image("https://x.org/1", " "),))), "alt text"),
    ],
)
def test_what_rfc_4287_forbids_is_refused(built, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        atom.build(built())


def test_the_checker_sees_a_missing_element_and_a_missing_author() -> None:
    document = atom.build(feed(entry(1)))
    broken = document.replace(b"<updated>2026-11-02T09:30:00Z</updated>", b"", 1)
    assert any("atom:updated" in p for p in problems(broken))
    orphan = document.replace(
        b"<author><name>\xe6\xb0\x91\xe6\x94\xbf\xe5\xb1\x80</name></author>", b""
    )
    assert any("no atom:author" in p for p in problems(orphan))


def test_conditional_get_compares_etags_weakly_and_dates_to_the_second() -> None:
    tag = etag_of(b"body")
    assert not_modified(tag, None, tag, AT)
    assert not_modified(f'"other", W/{tag}', None, tag, AT)
    assert not_modified("*", None, tag, AT)
    assert not not_modified('"other"', http_date(AT), tag, AT)  # If-None-Match wins
    assert not_modified(None, http_date(AT), tag, AT.replace(microsecond=999_999))
    assert not not_modified(None, http_date(AT - timedelta(seconds=1)), tag, AT)
    assert not not_modified(None, "not a date", tag, AT)
    assert not not_modified(None, None, tag, AT)
