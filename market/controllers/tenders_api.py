"""JSON API: `/api/v1/tenders` (same filters and cursor as the page) and
`/api/v1/tenders/{id}`. Typed dataclasses make the OpenAPI schema real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from market.inputs import NO_NUL_PATTERN
from market.money import Money
from market.settings import get_settings
from market.tenders import queries
from market.web.auth import principal_of, public
from market.web.errors import error_responses
from market.web.params import PathId
from market.web.reads import REPLICA_READS


@dataclass
class MoneyOut:
    """An amount in minor units (fen for CNY) and its ISO 4217 currency."""

    amount: int
    currency: str

    @classmethod
    def of(cls, value: Money) -> MoneyOut:
        return cls(value.amount, value.currency)


@dataclass
class TenderSummaryOut:
    id: int
    ocid: str
    title_zh: str
    title_en: str
    status: str
    category: str
    area_level: str
    area: str
    department_id: int
    department_name_zh: str
    department_name_en: str
    budget: MoneyOut
    published_at: datetime | None
    enquiry_end: datetime
    bid_deadline: datetime
    opening_at: datetime
    url: str
    # 1 = real time; > 1 a sandbox training tender (not real money), its periods that
    # many times faster (market/tenders/acceleration.py)
    acceleration: int


@dataclass
class TenderListOut:
    items: list[TenderSummaryOut]
    next_cursor: str | None
    next: str | None


@dataclass
class CriterionOut:
    key: str
    name: str
    weight: int
    is_price: bool


@dataclass
class DocumentOut:
    id: int
    title: str
    filename: str
    kind: str
    size: int
    sha256: str
    uploaded_at: datetime
    url: str


@dataclass
class QuestionOut:
    id: int
    asker: str
    question: str
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None


@dataclass
class FundingOut:
    source: str
    goal: MoneyOut
    committed: MoneyOut


@dataclass
class EventOut:
    at: datetime
    action: str
    note: str
    scheduled: bool


@dataclass
class TenderDetailOut:
    tender: TenderSummaryOut
    description_zh: str
    description_en: str
    min_bids: int
    criteria: list[CriterionOut]
    documents: list[DocumentOut]
    questions: list[QuestionOut]
    funding: list[FundingOut]
    timeline: list[EventOut]
    amendment_count: int
    amended_at: datetime | None
    cancel_reason: str


def _summary(row: dict[str, Any]) -> TenderSummaryOut:
    return TenderSummaryOut(
        id=row["id"],
        ocid=row["ocid"] or "",
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        status=row["status"],
        category=row["category"],
        area_level=row["area_level"],
        area=row["area"],
        department_id=row["department"],
        department_name_zh=row["department_zh"],
        department_name_en=row["department_en"],
        budget=MoneyOut.of(row["budget_money"]),
        published_at=row["published_at"],
        enquiry_end=row["enquiry_end"],
        bid_deadline=row["bid_deadline"],
        opening_at=row["opening_at"],
        acceleration=int(row["acceleration"]),
        url=f"/api/v1/tenders/{row['id']}",
    )


PLAIN = NO_NUL_PATTERN  # filter values are free text (unknown ones are ignored), no NUL
Text = Annotated[str | None, Parameter(required=False, max_length=100, pattern=PLAIN)]
Status = Annotated[
    str | None,
    Parameter(
        required=False,
        description="published (enquiries open) | tendering | evaluation | awarded | "
        "contracted | completed | cancelled | unsuccessful | terminated",
        max_length=40,
        pattern=PLAIN,
    ),
]
Category = Annotated[
    str | None,
    Parameter(
        required=False,
        description="software_services | science_technology | dispute_mediation | "
        "coordination_management | charity | community_services",
        max_length=40,
        pattern=PLAIN,
    ),
]


def _list_out(
    filters: queries.TenderFilters, page: queries.TenderPage, limit: int
) -> TenderListOut:
    next_url = None
    if page.next_cursor:
        from market.web.render import querystring

        next_url = "/api/v1/tenders?" + querystring(
            filters.as_params(), after=page.next_cursor, limit=limit
        )
    return TenderListOut([_summary(r) for r in page.rows], page.next_cursor, next_url)


def _detail_out(tender_id: int, detail: queries.TenderDetail) -> TenderDetailOut:
    t = detail.tender
    return TenderDetailOut(
        tender=_summary(t),
        description_zh=t["description_zh"],
        description_en=t["description_en"],
        min_bids=t["min_bids"],
        criteria=[CriterionOut(**c) for c in detail.criteria],
        documents=[
            DocumentOut(
                id=d["id"],
                title=d["title"],
                filename=d["filename"],
                kind=d["kind"],
                size=d["size"],
                sha256=d["sha256"],
                uploaded_at=d["uploaded_at"],
                url=f"/tenders/{tender_id}/documents/{d['id']}",
            )
            for d in detail.documents
        ],
        questions=[
            QuestionOut(
                id=q["id"],
                asker=q["asker_tag"],
                question=q["question"],
                answer=q["answer"] or None,
                asked_at=q["asked_at"],
                answered_at=q["answered_at"],
            )
            for q in detail.questions
        ],
        funding=[
            FundingOut(f.source, MoneyOut.of(f.goal), MoneyOut.of(f.committed))
            for f in detail.funding
        ],
        timeline=[EventOut(e["at"], e["action"], e["note"], e["future"]) for e in detail.timeline],
        amendment_count=t["amendment_count"],
        amended_at=t["amended_at"],
        cancel_reason=t["cancel_reason"],
    )


class TenderApiController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    path = "/api/v1/tenders"
    tags = ["tenders"]  # noqa: RUF012 - Litestar reads a class attribute

    @get(
        "/",
        guards=[public],
        summary="Public tenders, newest first, keyset-paged",
        responses=error_responses(400),
    )
    async def list_tenders(
        self,
        status: Status = None,
        category: Category = None,
        area: Text = None,
        q: Text = None,
        budget_min: Annotated[
            str | None, Parameter(description="yuan, e.g. 100000", max_length=40, pattern=PLAIN)
        ] = None,
        budget_max: Annotated[
            str | None, Parameter(description="yuan, e.g. 500000", max_length=40, pattern=PLAIN)
        ] = None,
        after: Annotated[
            str | None,
            Parameter(
                description="next_cursor of the previous page",
                pattern=r"^[0-9]{1,17}\.[1-9][0-9]{0,8}$",
                max_length=27,
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = queries.PAGE_SIZE,
    ) -> TenderListOut:
        """Drafts are never listed. Unknown filter values are ignored."""
        raw = {
            "status": status,
            "category": category,
            "area": area,
            "q": q,
            "budget_min": budget_min,
            "budget_max": budget_max,
        }
        params = {k: v for k, v in raw.items() if v}
        filters = queries.TenderFilters.parse(params, get_settings().default_currency)
        page = await queries.list_tenders(filters, cursor=after, limit=limit)
        return _list_out(filters, page, limit)

    @get(
        "/{tender_id:int}",
        guards=[public],
        summary="One tender with documents, Q&A, funding",
        responses=error_responses(400, 404),
    )
    async def tender(self, request: Request[Any, Any, Any], tender_id: PathId) -> TenderDetailOut:
        detail = await queries.tender_detail(tender_id, principal_of(request))
        return _detail_out(tender_id, detail)
