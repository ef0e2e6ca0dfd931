"""Open data JSON: OCDS release and record packages, the 360Giving package. Public.

`/ocds/releases.json` is keyset-paginated (`links.next`), filterable by `ocid`;
`/ocds/records/{ocid}.json` answers 404 for an ocid that has no release.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import Parameter

from market.errors import NotFound
from market.inputs import NO_NUL_PATTERN
from market.web.auth import public
from market.web.errors import error_responses
from market.web.params import cursor_parameter
from market.web.reads import REPLICA_READS
from opendata import giving
from opendata.ocds import packages, rules

OcidFilter = Annotated[
    str | None,
    Parameter(
        required=False,
        max_length=80,
        pattern=NO_NUL_PATTERN,
        description="only the releases of this ocid",
    ),
]
After = Annotated[str | None, cursor_parameter("cursor from links.next", digits=18)]
Limit = Annotated[int, Parameter(ge=1, le=packages.MAX_PAGE)]


class OpenDataController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    tags = ["open data"]  # noqa: RUF012 - Litestar reads a class attribute

    @get(
        "/ocds/releases.json",
        guards=[public],
        summary="OCDS 1.1 release package: every published release, oldest first",
        responses=error_responses(400),
    )
    async def releases(
        self, ocid: OcidFilter = None, after: After = None, limit: Limit = packages.PAGE_SIZE
    ) -> dict[str, Any]:
        """Releases are immutable: one per state change (tender, amendment, award,
        contract, implementation per tranche, cancellation). Follow `links.next`."""
        cursor = rules.parse_cursor(after)
        return await packages.releases_package(ocid=ocid, after=cursor, limit=limit)

    @get(
        "/ocds/records/{name:str}",
        guards=[public],
        summary="OCDS 1.1 record package",
        responses=error_responses(400, 404),
    )
    async def record(
        self, name: Annotated[str, Parameter(description="<ocid>.json", max_length=90)]
    ) -> dict[str, Any]:
        """All releases of one contracting process and its compiled release (ocdsmerge)."""
        ocid = name.removesuffix(".json")
        package = await packages.record_package(ocid) if name.endswith(".json") else None
        if package is None:
            raise NotFound("No OCDS record with the ocid %(ocid)s.", ocid=ocid[:80])
        return package

    @get("/360giving/grants.json", guards=[public], summary="360Giving package of grants")
    async def grants(self) -> dict[str, Any]:
        """Every sponsorship, matched donation and paid tranche as a 360Giving grant."""
        return await giving.grants_package()
