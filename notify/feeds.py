# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The public Atom feeds' reads: new tenders (all, or by category and/or area — a
street or a community), awards, and a project's updates, each as an `atom.Feed` in
the request's language.

Everything is read through the read-contract views (`market_v_tender`,
`bids_v_award`, `notify_v_project_update` …), so a sandbox tender, its award and its
updates are never in a feed. A feed document holds the latest `PAGE` entries; older
ones are on the pages its RFC 5005 `next` link leads to (keyset cursors, never OFFSET).
Links follow the request's base URL (`market.web.public_url`); ids are tag URIs named
after the configured base URL's host, so they do not change with the address a
client used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from market import labels
from market.cursor import ID, Key, decode, decode_id, encode
from market.directory import organization_names
from market.errors import NotFound
from market.money import Money, format_money
from market.settings import get_settings
from market.sql import execute
from market.timestamps import timestamp
from market.web import i18n
from market.web.public_url import public_base_url
from market.web.render import format_date, format_datetime
from notify import atom
from notify.update_pages import UpdateView, updates_page

PAGE = 30
SUMMARY_CHARS = 400
# The `updated` of a feed with no entry yet, and the date of the tag URIs' authority.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
TIME_CURSOR = (Key(0, 10**17 - 1), ID)  # (microseconds since 1970, id)


@dataclass(frozen=True, slots=True)
class TenderFilter:
    category: str = ""
    area: str = ""

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (("category", self.category), ("area", self.area)) if v}


def _lang() -> str:
    return "en" if i18n.current() == "en" else "zh-Hans"


def _tag(specific: str) -> str:
    host = urlsplit(get_settings().base_url).hostname or "localhost"
    return f"tag:{host},{EPOCH:%Y}:{specific}"


def _url(path: str, params: dict[str, str] | None = None) -> str:
    query = urlencode(params or {})
    return f"{public_base_url()}{path}{'?' + query if query else ''}"


def _site() -> atom.Person:
    return atom.Person(i18n.gettext("Public Good Market"), public_base_url() + "/")


def _pick(zh: str, en: str) -> atom.Text:
    """The English text on an English feed when there is one, else the Chinese, marked."""
    if i18n.current() == "en":
        return atom.Text(en) if en else atom.Text(zh, "zh-Hans")
    return atom.Text(zh)


def _name(zh: str, en: str | None) -> str:
    return en if i18n.current() == "en" and en else zh


def _money(amount: int, currency: str) -> str:
    locale = "zh_Hans_CN" if i18n.current() == "zh_Hans" else "en"
    return format_money(Money(amount, currency), locale)


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def _time_cursor(at: datetime, row_id: int) -> str:
    return encode((at - _UNIX) // timedelta(microseconds=1), row_id)


def _older(cursor: str | None, at: str, key: str) -> tuple[list[str], list[Any]]:
    """The condition (if any) of the page after `cursor` on the keyset (`at`, `key`)."""
    numbers = decode(cursor, TIME_CURSOR)
    if numbers is None:
        return [], []
    after = _UNIX + timedelta(microseconds=numbers[0])
    return [f"({at} < {{}} OR ({at} = {{}} AND {key} < {{}}))"], [after, after, numbers[1]]


def _paged(rows: list[Any], at: str) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the rows read (PAGE + 1 of them asked for) and the cursor of the next."""
    page = [dict(r) for r in rows[:PAGE]]
    if len(rows) <= PAGE or not page:
        return page, None
    return page, _time_cursor(timestamp(page[-1][at]), int(page[-1]["id"]))


def _paging(path: str, params: dict[str, str], nxt: str | None) -> tuple[atom.Link, ...]:
    """RFC 5005 §3: the newest page is `first`; `next` goes back in time."""
    base = {**params, "lang": i18n.current()}
    links = [atom.Link(_url(path, base), rel="first", type=atom.MEDIA_TYPE)]
    if nxt:
        links.append(
            atom.Link(_url(path, {**base, "before": nxt}), rel="next", type=atom.MEDIA_TYPE)
        )
    return tuple(links)


def _feed(
    path: str,
    params: dict[str, str],
    cursor: str | None,
    nxt: str | None,
    **fields: Any,
) -> atom.Feed:
    entries: tuple[atom.Entry, ...] = fields.pop("entries")
    empty_at: datetime = fields.pop("empty_at", EPOCH)
    query = {**params, "lang": i18n.current(), **({"before": cursor} if cursor else {})}
    return atom.Feed(
        self_href=_url(path, query),
        lang=_lang(),
        updated=max((e.updated for e in entries), default=empty_at),
        entries=entries,
        authors=(_site(),),
        links=_paging(path, params, nxt),
        generator=i18n.gettext("Public Good Market"),
        **fields,
    )


# --- tenders ----------------------------------------------------------------------------


async def tenders_feed(filters: TenderFilter, cursor: str | None) -> atom.Feed:
    where, args = _older(cursor, "t.published_at", "t.id")
    where.append("t.published_at IS NOT NULL")
    for column in ("category", "area"):
        if getattr(filters, column):
            where.append(f"t.{column} = {{}}")
            args.append(getattr(filters, column))
    rows = await execute(
        "SELECT t.id, t.title_zh, t.title_en, t.description_zh, t.description_en,"
        " t.category, t.area, t.currency, t.budget, t.bid_deadline, t.published_at,"
        " t.amended_at, o.name_zh, o.name_en FROM market_v_tender t"
        " JOIN market_v_organization o ON o.id = t.department"
        f" WHERE {' AND '.join(where)} ORDER BY t.published_at DESC, t.id DESC LIMIT {{}}",
        *args,
        PAGE + 1,
    )
    page, nxt = _paged(list(rows), "published_at")
    shown = [labels.label("category", filters.category)] if filters.category else []
    shown += [filters.area] if filters.area else []
    return _feed(
        "/feeds/tenders.atom",
        filters.params(),
        cursor,
        nxt,
        id=_tag("tenders" + "".join(f";{k}={quote(v)}" for k, v in filters.params().items())),
        title=atom.Text(
            " · ".join([i18n.gettext("Tenders"), *shown, i18n.gettext("Public Good Market")])
        ),
        subtitle=atom.Text(i18n.gettext("Newly published public-service tenders, newest first.")),
        alternate_href=_url("/tenders", filters.params()),
        entries=tuple(_tender_entry(r) for r in page),
    )


def _tender_entry(row: dict[str, Any]) -> atom.Entry:
    published = timestamp(row["published_at"])
    amended = timestamp(row["amended_at"])
    facts = [
        labels.label("category", row["category"]),
        row["area"],
        i18n.gettext("Budget %(amount)s") % {"amount": _money(int(row["budget"]), row["currency"])},
        i18n.gettext("Bid deadline %(time)s")
        % {"time": format_datetime(timestamp(row["bid_deadline"]))},
    ]
    description = _name(row["description_zh"] or "", row["description_en"])
    return atom.Entry(
        id=_tag(f"tender:{row['id']}"),
        title=_pick(row["title_zh"], row["title_en"] or ""),
        updated=max(published, amended) if amended else published,
        published=published,
        link=_url(f"/tenders/{row['id']}"),
        authors=(atom.Person(_name(row["name_zh"], row["name_en"])),),
        categories=(
            atom.Category(
                row["category"],
                labels.label("category", row["category"]),
                _url("/tenders", {"category": row["category"]}),
            ),
        ),
        summary=atom.Text(
            " · ".join(facts) + ("\n\n" + _excerpt(description) if description else "")
        ),
    )


# --- awards -----------------------------------------------------------------------------


async def awards_feed(cursor: str | None) -> atom.Feed:
    older, args = _older(cursor, "a.awarded_at", "a.id")
    where = f" WHERE {older[0]}" if older else ""
    rows = await execute(
        "SELECT a.id, a.status, a.awarded_at, a.standstill_ends, a.cancelled_at,"
        " t.id AS tender_id, t.title_zh, t.title_en, t.currency, b.price,"
        " o.name_zh, o.name_en, d.name_zh AS department_zh, d.name_en AS department_en"
        " FROM bids_v_award a JOIN bids_v_bid b ON b.id = a.bid"
        " JOIN market_v_tender t ON t.id = a.tender"
        " JOIN market_v_organization o ON o.id = b.organization"
        " JOIN market_v_organization d ON d.id = t.department"
        f"{where} ORDER BY a.awarded_at DESC, a.id DESC LIMIT {{}}",
        *args,
        PAGE + 1,
    )
    page, nxt = _paged(list(rows), "awarded_at")
    return _feed(
        "/feeds/awards.atom",
        {},
        cursor,
        nxt,
        id=_tag("awards"),
        title=atom.Text(i18n.gettext("Awards") + " · " + i18n.gettext("Public Good Market")),
        subtitle=atom.Text(i18n.gettext("Who won each tender, at what price, newest first.")),
        alternate_href=_url("/") + "#latest-awards",
        entries=tuple(_award_entry(r) for r in page),
    )


def _award_entry(row: dict[str, Any]) -> atom.Entry:
    awarded = timestamp(row["awarded_at"])
    cancelled = timestamp(row["cancelled_at"])
    names = {
        "tender": _name(row["title_zh"], row["title_en"]),
        "organization": _name(row["name_zh"], row["name_en"]),
    }
    if cancelled is not None:
        title = i18n.gettext("Award cancelled: %(tender)s → %(organization)s") % names
        summary = i18n.gettext("The award of %(date)s was cancelled on %(cancelled)s.") % {
            "date": format_date(awarded),
            "cancelled": format_date(cancelled),
        }
    else:
        title = i18n.gettext("Awarded: %(tender)s → %(organization)s") % names
        price = _money(int(row["price"]), row["currency"]) if row["price"] is not None else "—"
        summary = i18n.gettext(
            "Awarded on %(date)s at %(price)s. Other bidders may complain until %(until)s."
        ) % {
            "date": format_date(awarded),
            "price": price,
            "until": format_datetime(timestamp(row["standstill_ends"])),
        }
    return atom.Entry(
        id=_tag(f"award:{row['id']}"),
        title=atom.Text(title),
        updated=cancelled or awarded,
        published=awarded,
        link=_url(f"/tenders/{row['tender_id']}/results"),
        authors=(atom.Person(_name(row["department_zh"], row["department_en"])),),
        summary=atom.Text(summary),
    )


# --- a project's updates ----------------------------------------------------------------


async def project_feed(tender_id: int, cursor: str | None) -> atom.Feed:
    rows = await execute(
        "SELECT id, title_zh, title_en, status, published_at FROM market_v_tender"
        " WHERE id = {} AND published_at IS NOT NULL",
        tender_id,
    )
    if not rows:
        raise NotFound("No such project.")
    tender = dict(rows[0])
    page = await updates_page("tender", tender_id, before=decode_id(cursor), limit=PAGE)
    names = await organization_names({u.organization for u in page.updates})
    project = _name(tender["title_zh"], tender["title_en"])
    return _feed(
        f"/feeds/projects/{tender_id}/updates.atom",
        {},
        cursor,
        page.next_cursor,
        id=_tag(f"project:{tender_id}:updates"),
        title=atom.Text(i18n.gettext("Updates: %(project)s") % {"project": project}),
        subtitle=atom.Text(
            i18n.gettext("What the organization doing the work reports from the project.")
        ),
        alternate_href=_url(f"/projects/{tender_id}"),
        entries=tuple(_update_entry(u, names) for u in page.updates),
        empty_at=timestamp(tender["published_at"]),
    )


def _update_entry(update: UpdateView, names: dict[int, tuple[str, str]]) -> atom.Entry:
    title, body, code = update.text(i18n.current())
    lang = (
        "" if (code == "en") == (i18n.current() == "en") else ("en" if code == "en" else "zh-Hans")
    )
    name_zh, name_en = names.get(update.organization, ("", ""))
    images = tuple(
        atom.Image(_url(f"/updates/photos/{p.id}"), p.alt, p.width, p.height) for p in update.photos
    )
    return atom.Entry(
        id=_tag(f"project-update:{update.id}"),
        title=atom.Text(title, lang),
        updated=update.created_at,
        published=update.created_at,
        link=_url(f"/projects/{update.tender}") + f"#update-{update.id}",
        authors=(atom.Person(_name(name_zh, name_en) or i18n.gettext("Organization")),),
        content=(atom.Paragraph(body, lang), *images),
    )
