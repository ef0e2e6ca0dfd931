"""Demo tenders' paperwork for `market demo`: the tender form a department fills in
for each row of `demo_data.TENDERS`, and the notice attached to it. The district's
history itself (publication, bids, awards, contracts…) is lived through the real
services by the composition root (composition/demo_history.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from market.tenders import demo_data, inputs


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


def tender_form(row: demo_data.Row, enquiry_end: datetime, deadline: datetime) -> dict[str, str]:
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
