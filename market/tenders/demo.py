"""Demo tenders for `market demo`: 40 tenders of the Minghu district in every status.

Each tender goes through the real services with the clock moved to when it would
have happened (created, published, enquiries closed, awarded…), so the demo has
real budget holds, revisions and audit events. Tenders past `evaluation` have no
bids or contracts until the bids app's demo section adds them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from market import clock
from market.money import Money
from market.tables import Membership
from market.tenders import demo_data, hooks, inputs, lifecycle, qa, services

DAY = timedelta(days=1)
# user slug (department staff) → department slug in market.demo
STAFF = {"civil_affairs": "civil_affairs", "street": "hubin"}
APPROPRIATION_YUAN = 30_000_000

# status → (days before now: published, enquiry end, bid deadline)
SCHEDULE: dict[str, tuple[float, float, float]] = {
    "draft": (-1, -12, -20),  # negative: in the future (drafts are not published)
    "published": (2, -4, -12),
    "tendering": (12, 2, -5),
    "evaluation": (40, 25, 3),
    "awarded": (60, 45, 30),
    "contracted": (90, 75, 60),
    "completed": (400, 385, 370),
    "cancelled": (20, 10, -5),
    "unsuccessful": (50, 35, 30),
}


def minimal_pdf(title: str) -> bytes:
    """A small valid one-page PDF naming the document (ASCII text)."""
    text = title.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def _form(row: demo_data.Row, enquiry_end: datetime, deadline: datetime) -> dict[str, str]:
    _, _, category, level, area, tzh, ten, dzh, den, budget, goals, min_bids = row
    form = {
        "title_zh": tzh,
        "title_en": ten,
        "description_zh": dzh,
        "description_en": den,
        "category": category,
        "area_level": level,
        "area": area,
        "budget": str(budget),
        "min_bids": str(min_bids),
        "enquiry_end": inputs.to_local_input(enquiry_end),
        "bid_deadline": inputs.to_local_input(deadline),
        "opening_at": inputs.to_local_input(deadline + timedelta(hours=1)),
        "criterion_name_0": "服务方案 Service plan",
        "criterion_weight_0": "40",
        "criterion_name_1": "团队与经验 Team and experience",
        "criterion_weight_1": "30",
        "criterion_name_2": "报价 Price",
        "criterion_weight_2": "30",
        "price_criterion": "2",
    }
    for source, amount in zip(inputs.GOAL_SOURCES, goals, strict=True):
        form[f"goal_{source}"] = str(amount) if amount else ""
    return form


async def _asking_orgs(users: dict[str, int]) -> list[tuple[int, int]]:
    """(user id, social org id) of the demo's social-organization staff."""
    pairs = []
    for slug in ("org", "mediator"):
        row = (
            await Membership.select(Membership.organization)
            .where(
                (Membership.user == users[slug])
                & (Membership.organization.kind == "social_org")
                & (Membership.organization.status == "verified")
            )
            .first()
        )
        if row:
            pairs.append((users[slug], int(row["organization"])))
    return pairs


async def create_tenders(demo: Any) -> dict[str, list[int]]:
    """Load the demo tenders; `demo` is market.demo.DemoDistrict. Returns ids by status."""
    real: Callable[[], datetime] = clock._now  # restored at the end
    now = clock.now()
    created: dict[str, list[int]] = {}
    try:
        _at(now - 420 * DAY)
        for staff, department in STAFF.items():
            await lifecycle.appropriate_budget(
                demo.departments[department],
                Money(APPROPRIATION_YUAN * 100, "CNY"),
                key=f"appropriation:{demo.departments[department]}:demo",
                actor=f"user:{demo.users[staff]}",
            )
        askers = await _asking_orgs(demo.users)
        with hooks.detached():  # no bids yet: deadlines lead to evaluation
            for i, row in enumerate(demo_data.TENDERS):
                tender_id = await _one(row, i, now, demo, askers)
                created.setdefault(row[1], []).append(tender_id)
    finally:
        clock.set_clock(real)
    return created


async def _one(
    row: demo_data.Row, i: int, now: datetime, demo: Any, askers: list[tuple[int, int]]
) -> int:
    staff, status = row[0], row[1]
    user_id = demo.users[staff]
    department_id = demo.departments[STAFF[staff]]
    published_days, enquiry_days, deadline_days = SCHEDULE[status]
    stagger = timedelta(minutes=37 * i)
    published = now - published_days * DAY + stagger
    enquiry_end, deadline = now - enquiry_days * DAY, now - deadline_days * DAY + stagger
    _at(published - DAY)
    tender_id = await services.create_tender(
        user_id=user_id, department_id=department_id, form=_form(row, enquiry_end, deadline)
    )
    if status == "draft":
        return tender_id
    await services.add_document(
        user_id=user_id,
        tender_id=tender_id,
        filename="tender-notice.pdf",
        data=minimal_pdf(f"Tender notice: {row[6]}"),
        title="招标公告 Tender notice",
    )
    _at(published)
    await services.publish_tender(user_id=user_id, tender_id=tender_id)
    if status in ("published", "tendering") and i % 2 == 0 and askers:
        await _questions(tender_id, user_id, published, askers)
    if status == "cancelled":
        _at(published + 9 * DAY)
        await services.cancel_tender(
            user_id=user_id, tender_id=tender_id, reason=row[7] or "Cancelled by the department."
        )
        return tender_id
    if status in ("published", "tendering"):
        _at(now)
        await lifecycle.advance(tender_id)
        return tender_id
    _at(deadline + timedelta(minutes=5))
    if status == "unsuccessful":
        await lifecycle.mark_tender_unsuccessful(
            tender_id, actor="system:demo", reason=lifecycle.TOO_FEW_BIDS
        )
        return tender_id
    await lifecycle.advance(tender_id)
    steps = {"awarded": 1, "contracted": 2, "completed": 3}.get(status, 0)
    for step, action in enumerate(
        (lifecycle.mark_tender_awarded, lifecycle.mark_tender_contracted), 1
    ):
        if steps >= step:
            _at(deadline + step * 10 * DAY)
            await action(tender_id, actor="system:demo")
    if steps >= 3:
        _at(now - 20 * DAY)
        await lifecycle.mark_tender_completed(tender_id, actor="system:demo")
    return tender_id


async def _questions(
    tender_id: int, answerer: int, published: datetime, askers: list[tuple[int, int]]
) -> None:
    for n, (question, answer) in enumerate(demo_data.QUESTIONS):
        user_id, org_id = askers[n % len(askers)]
        _at(published + (n + 1) * timedelta(hours=5))
        question_id = await qa.ask_question(
            user_id=user_id, org_id=org_id, tender_id=tender_id, text=question
        )
        if answer:
            _at(published + (n + 1) * timedelta(hours=5) + timedelta(hours=20))
            await qa.answer_question(
                user_id=answerer, tender_id=tender_id, question_id=question_id, text=answer
            )
