# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Release packages (keyset-paginated), record packages compiled with ocdsmerge, and
the publisher metadata with the audit chain head of the package's date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import ocdsmerge

from market import clock
from market.audit import chain_head
from market.sql import execute
from market.web.public_url import public_base_url
from opendata.ocds import rules

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "release-schema.json"
PAGE_SIZE = 100
MAX_PAGE = 1000


@lru_cache(maxsize=1)
def merger() -> ocdsmerge.Merger:
    """Merge rules from the vendored 1.1 release schema (no network at run time)."""
    return ocdsmerge.Merger(schema=json.loads(SCHEMA.read_text(encoding="utf-8")))


def base_url() -> str:
    """The request's base URL, or MARKET_BASE_URL (market.web.public_url)."""
    return public_base_url()


async def publisher() -> dict[str, Any]:
    """The platform operator (the district's cultivation centre) publishes the data."""
    rows = await execute(
        "SELECT name_zh, uscc FROM market_v_organization WHERE kind = 'operator'"
        " AND status = 'verified' ORDER BY id LIMIT 1"
    )
    name, uid = (str(rows[0]["name_zh"]), str(rows[0]["uscc"])) if rows else ("公益创投市场", None)
    return rules.publisher(name, uid or "", base_url(), await chain_head(), clock.now())


@dataclass(frozen=True, slots=True)
class ReleasePage:
    releases: list[dict[str, Any]]
    next_after: int | None


async def release_page(
    *, ocid: str | None = None, after: int | None = None, limit: int = PAGE_SIZE
) -> ReleasePage:
    """Releases oldest first, `limit` of them after the cursor (an ocds_release id)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    where, args = "id > {}", [after or 0]
    if ocid:
        where, args = "ocid = {} AND id > {}", [ocid, after or 0]
    rows = await execute(
        f"SELECT id, body FROM ocds_release WHERE {where} ORDER BY id LIMIT {{}}",
        *args,
        limit + 1,
    )
    page = rows[:limit]
    more = len(rows) > limit
    base = base_url()
    return ReleasePage(
        [json.loads(rules.rebase(str(r["body"]), base)) for r in page],
        int(page[-1]["id"]) if more and page else None,
    )


async def releases_package(
    *, ocid: str | None = None, after: int | None = None, limit: int = PAGE_SIZE
) -> dict[str, Any]:
    page = await release_page(ocid=ocid, after=after, limit=limit)
    return await package_of(page, ocid=ocid, after=after, limit=limit)


async def package_of(
    page: ReleasePage, *, ocid: str | None, after: int | None, limit: int
) -> dict[str, Any]:
    params: dict[str, Any] = {"ocid": ocid} if ocid else {}
    here = dict(params, **({"after": after} if after else {}), limit=limit)
    uri = f"{base_url()}/ocds/releases.json?{urlencode(here)}"
    package = rules.release_package(uri, clock.now(), await publisher(), page.releases)
    if page.next_after is not None:
        nxt = urlencode(dict(params, after=page.next_after, limit=limit))
        package["links"] = {"next": f"{base_url()}/ocds/releases.json?{nxt}"}
    return package


async def ocids(*, after: str = "", limit: int = 1000) -> list[str]:
    rows = await execute(
        "SELECT DISTINCT ocid FROM ocds_release WHERE ocid > {} ORDER BY ocid LIMIT {}",
        after,
        limit,
    )
    return [str(r["ocid"]) for r in rows]


async def record(ocid: str) -> dict[str, Any] | None:
    """All the releases of one process and the compiled release, or None if unknown."""
    rows = await execute("SELECT body FROM ocds_release WHERE ocid = {} ORDER BY id", ocid)
    if not rows:
        return None
    base = base_url()
    releases = [json.loads(rules.rebase(str(r["body"]), base)) for r in rows]
    return {
        "ocid": ocid,
        "releases": releases,
        "compiledRelease": merger().create_compiled_release(releases),
    }


async def record_package(ocid: str) -> dict[str, Any] | None:
    found = await record(ocid)
    if found is None:
        return None
    uri = f"{base_url()}/ocds/records/{ocid}.json"
    return rules.record_package(uri, clock.now(), await publisher(), [found])
