"""The public Atom feeds: no login, cacheable, in the language the URL names.

`/feeds/tenders.atom` (`?category=`, `?area=`: a street or a community),
`/feeds/awards.atom`, `/feeds/projects/{tender_id}/updates.atom` (a project's updates). Each
takes `lang` (zh_Hans | en; else the request's language) and `before` (an older page,
as the feed's RFC 5005 `next` link hands out). Every answer carries an ETag and
Last-Modified; a request that sends either validator back gets 304 when nothing changed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from market.settings import get_settings
from market.tenders.queries import TenderFilters
from market.web import i18n
from market.web.auth import public
from market.web.params import PathId
from market.web.reads import REPLICA_READS
from notify import atom, feeds
from notify.conditional import etag_of, http_date, not_modified

Req = Request[Any, Any, Any]
MAX_AGE = 300


def _language(request: Req) -> None:
    """The feed's language: `?lang=` when it names one of ours (a subscription keeps
    its language), else what the request negotiated (cookie, account, Accept-Language)."""
    chosen = i18n.normalise(request.query_params.get("lang"))
    if chosen is not None:
        i18n.activate(chosen)


def atom_response(request: Req, feed: atom.Feed) -> Response[bytes]:
    body = atom.build(feed)
    etag = etag_of(body)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(feed.updated),
        "Cache-Control": f"public, max-age={MAX_AGE}",
    }
    if "lang" not in request.query_params:
        headers["Vary"] = "Accept-Language, Cookie"
    validators = request.headers.get("if-none-match"), request.headers.get("if-modified-since")
    if not_modified(*validators, etag, feed.updated):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=f"{atom.MEDIA_TYPE}; charset=utf-8", headers=headers)


class FeedController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/feeds/tenders.atom", guards=[public])
    async def tenders(self, request: Req) -> Response[bytes]:
        _language(request)
        query = {k: str(request.query_params.get(k, "")) for k in ("category", "area")}
        parsed = TenderFilters.parse(query, get_settings().default_currency)
        chosen = feeds.TenderFilter(category=parsed.category, area=parsed.area)
        feed = await feeds.tenders_feed(chosen, request.query_params.get("before"))
        return atom_response(request, feed)

    @get("/feeds/awards.atom", guards=[public])
    async def awards(self, request: Req) -> Response[bytes]:
        _language(request)
        return atom_response(request, await feeds.awards_feed(request.query_params.get("before")))

    @get("/feeds/projects/{tender_id:int}/updates.atom", guards=[public])
    async def project(self, request: Req, tender_id: PathId) -> Response[bytes]:
        _language(request)
        feed = await feeds.project_feed(tender_id, request.query_params.get("before"))
        return atom_response(request, feed)
