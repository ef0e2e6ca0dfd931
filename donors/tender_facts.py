"""What donors needs to know about a tender, read through the kernel's read contract
(`market.tenders.readmodels`)."""

from __future__ import annotations

from dataclasses import dataclass

from donors.matching import TenderFacts
from market.errors import NotFound
from market.tenders.readmodels import tender_facts


@dataclass(frozen=True, slots=True)
class TenderInfo:
    id: int
    title_zh: str
    title_en: str
    category: str
    area: str
    currency: str
    status: str
    department_id: int
    sandbox: bool = False  # an accelerated training tender: not real money

    @property
    def facts(self) -> TenderFacts:
        return TenderFacts(self.id, self.category, self.area, self.currency, self.sandbox)

    def title(self, lang: str) -> str:
        if lang == "en":
            return self.title_en or self.title_zh
        return self.title_zh or self.title_en


def _info(row: dict[str, object] | object) -> TenderInfo:
    r: dict[str, object] = dict(row)  # type: ignore[call-overload]
    return TenderInfo(
        id=int(r["id"]),  # type: ignore[call-overload]
        title_zh=str(r["title_zh"] or ""),
        title_en=str(r["title_en"] or ""),
        category=str(r["category"]),
        area=str(r["area"]),
        currency=str(r["currency"]),
        status=str(r["status"]),
        department_id=int(r["department"]),  # type: ignore[call-overload]
        sandbox=int(r.get("acceleration") or 1) > 1,  # type: ignore[call-overload]
    )


async def tender_info(tender_id: int) -> TenderInfo:
    rows = await tender_facts([tender_id])
    if not rows:
        raise NotFound("No such project.")
    return _info(rows[0])


async def tenders_info(tender_ids: list[int]) -> dict[int, TenderInfo]:
    return {info.id: info for info in map(_info, await tender_facts(tender_ids))}
