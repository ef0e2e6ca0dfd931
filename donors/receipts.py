"""Printable donation receipts: the HTML page always works; the PDF embeds a CJK font
from the system (Debian `fonts-noto-cjk` or `fonts-wqy-microhei`, installed by
`make fonts`) so the Chinese text prints."""

from __future__ import annotations

from pathlib import Path

from donors.readmodels import DonationView
from market.errors import DomainError
from market.money import format_money

# (path, index inside a font collection)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)


class ReceiptFontMissing(DomainError):
    status_code = 503


def cjk_font() -> tuple[str, int] | None:
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    return None


def receipt_pdf(view: DonationView, *, platform: str = "公益市场 Public Good Market") -> bytes:
    from fpdf import FPDF

    font = cjk_font()
    if font is None:
        raise ReceiptFontMissing(
            "The PDF receipt needs a Chinese font on the server; the printable page works."
        )
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {view.receipt_no}")
    pdf.set_creator(platform)
    pdf.add_page()
    pdf.add_font("cjk", fname=font[0], collection_font_number=font[1])
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, "捐赠收据 Donation receipt", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, platform, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(4)
    lines = [
        ("收据编号 Receipt no.", view.receipt_no or "—"),
        ("捐赠人 Donor", "匿名 Anonymous" if view.anonymous else (view.display_name or "—")),
        ("项目 Project", view.tender.title_zh or view.tender.title_en),
        ("", view.tender.title_en if view.tender.title_zh else ""),
        ("金额 Amount", format_money(view.amount)),
        ("配捐 Matched by sponsor", format_money(view.match) if view.match_status == "posted"
         else "—"),
        ("支付方式 Paid by", {"sandbox": "沙盒（无真实资金）Sandbox — no real money",
                              "bank_transfer": "银行转账 Bank transfer",
                              "stripe": "银行卡 Card"}.get(view.provider, view.provider)),
        ("日期 Date", view.paid_at.strftime("%Y-%m-%d %H:%M UTC") if view.paid_at else "—"),
        ("项目失败时 If the project fails",
         "退款 Refund" if view.on_failure == "refund" else "转入社区基金 To the community fund"),
    ]  # fmt: skip
    for label, value in lines:
        if not label and not value:
            continue
        pdf.cell(62, 7, label)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(
        0,
        5,
        "本收据证明平台已收到上述款项，资金按项目和来源托管，仅在里程碑验收后拨付。\n"
        "This receipt confirms the platform received the amount above. Funds are held per"
        " project and per source and released only when a milestone is approved.",
    )
    return bytes(pdf.output())
