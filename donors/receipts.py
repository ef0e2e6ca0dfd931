"""Printable donation receipts: the HTML page always works; the PDF embeds a CJK font
from the system (Debian `fonts-noto-cjk` or `fonts-wqy-microhei`, installed by
`make fonts`) so the Chinese text prints.

Speed: a CJK font holds ~30,000-50,000 glyphs, and letting fpdf2 parse and subset the
whole collection for every receipt took 0.25 s on an idle core and seconds under load.
The font is parsed once per process instead (`ReceiptFont`), and each receipt gets
a tiny TrueType font built from the glyphs of exactly the characters it prints (a few
dozen); fpdf2 then parses and subsets only that. The PDF stays text-extractable
(fpdf2 writes the ToUnicode map from the tiny font's cmap). Rendering is CPU-bound,
so the web layer runs it in a worker thread (`receipt_pdf_off_loop`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from donors.readmodels import DonationView
from market.errors import DomainError
from market.money import format_money
from market.timestamps import timestamp

# (path, index inside a font collection)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
# TrueType hinting programs and settings, copied whole into each small font.
HINTING_TABLES = ("fpgm", "prep", "cvt ", "gasp")
# Receipts show Beijing time, like the HTML pages (market/web/render.py).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
PLATFORM = "公益市场 Public Good Market"
# fpdf2 subsets the embedded font with fontTools, which logs ~20 INFO lines per PDF.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


class ReceiptFontMissing(DomainError):
    status_code = 503


def cjk_font() -> tuple[str, int] | None:
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    return None


def receipt_time(paid_at: datetime | str | None) -> str:
    """When the donation was paid, in Beijing time with the zone named (stored as UTC)."""
    if paid_at is None:
        return "—"
    local = timestamp(paid_at).astimezone(LOCAL_ZONE)
    return f"{local:%Y-%m-%d %H:%M} 北京时间 Beijing time (UTC+8)"


@dataclass(frozen=True, slots=True)
class ReceiptFont:
    """A glyf-based (TrueType) font parsed once: its cmap, raw glyphs and metrics, from
    which `subset` builds a small font for one document. Read-only after `load`, so
    threads share it."""

    path: str
    index: int
    cmap: dict[int, str]
    glyf: Any  # fontTools glyf table: raw glyph data per name, never expanded in place
    metrics: dict[str, tuple[int, int]]
    units_per_em: int
    hhea: dict[str, int]
    os2: dict[str, Any]
    post: dict[str, Any]
    head: dict[str, int]
    maxp: dict[str, int]
    hinting: dict[str, bytes]  # the programs the glyphs' instructions call, as stored
    names: dict[str, str]
    notdef: str

    @classmethod
    def load(cls, path: str, index: int) -> ReceiptFont | None:
        """The parsed font, or None when it is not TrueType outlines (CFF: use the
        whole font instead)."""
        from fontTools.ttLib import TTFont

        source = TTFont(path, fontNumber=index, lazy=True, recalcTimestamp=False)
        if "glyf" not in source:
            return None
        order = source.getGlyphOrder()
        os2 = source["OS/2"]
        post = source["post"]
        name = source["name"]
        os2_fields = ("usWeightClass", "usWidthClass", "fsType", "fsSelection", "achVendID",
                      "sTypoAscender", "sTypoDescender", "sTypoLineGap", "usWinAscent",
                      "usWinDescent", "yStrikeoutSize", "yStrikeoutPosition", "sxHeight",
                      "sCapHeight")  # fmt: skip
        names = {
            "familyName": name.getBestFamilyName(),
            "styleName": name.getBestSubFamilyName(),
            "fullName": name.getBestFullName(),
            "psName": (name.getDebugName(6) or name.getBestFullName()).replace(" ", ""),
            "copyright": name.getDebugName(0),
            "licenseDescription": name.getDebugName(13),
        }
        return cls(
            path=path,
            index=index,
            cmap=dict(source.getBestCmap()),
            glyf=source["glyf"],
            metrics=dict(source["hmtx"].metrics),
            units_per_em=int(source["head"].unitsPerEm),
            hhea={k: getattr(source["hhea"], k) for k in ("ascent", "descent", "lineGap")},
            os2={k: getattr(os2, k) for k in os2_fields if hasattr(os2, k)},
            post={
                k: getattr(post, k)
                for k in ("italicAngle", "underlinePosition", "underlineThickness", "isFixedPitch")
            },
            head={k: getattr(source["head"], k) for k in ("xMin", "yMin", "xMax", "yMax")},
            maxp={k: v for k, v in vars(source["maxp"]).items() if k.startswith("max")},
            hinting={tag: source.reader[tag] for tag in HINTING_TABLES if tag in source},
            names={k: v for k, v in names.items() if v},
            notdef=".notdef" if ".notdef" in source["glyf"].glyphs else order[0],
        )

    def subset(self, text: str) -> bytes:
        """A TrueType font with the glyphs of the characters of `text` (and the
        components they are built from); other characters have none. Simple glyphs are
        copied as stored (bytes, with their hinting); only composites are rebuilt, to
        renumber their components. The bounding box and maximum profile are the whole
        font's (valid upper bounds), so nothing is recomputed per glyph."""
        from fontTools.fontBuilder import FontBuilder
        from fontTools.ttLib import newTable
        from fontTools.ttLib.tables._g_l_y_f import Glyph

        wanted = {cp: self.cmap[cp] for cp in sorted({ord(c) for c in text}) if cp in self.cmap}
        glyphs: dict[str, Glyph] = {}
        pending = [self.notdef, *wanted.values()]
        while pending:
            glyph_name = pending.pop()
            if glyph_name in glyphs:
                continue
            source = self.glyf.glyphs[glyph_name]
            # A fresh Glyph from the stored bytes: the shared table is never modified.
            glyph = Glyph(source.data if hasattr(source, "data") else source.compile(self.glyf))
            if glyph.isComposite():
                glyph.expand(self.glyf)  # component ids become the source's glyph names
                pending.extend(component.glyphName for component in glyph.components)
            glyphs[glyph_name] = glyph
        notdef = glyphs.pop(self.notdef)
        order = [".notdef", *sorted(glyphs)]
        glyphs[".notdef"] = notdef
        metrics = {name: self.metrics[name] for name in glyphs if name != ".notdef"}
        metrics[".notdef"] = self.metrics[self.notdef]
        builder = FontBuilder(self.units_per_em, isTTF=True)
        builder.font.recalcBBoxes = False
        builder.updateHead(**self.head)
        builder.setupGlyphOrder(order)
        builder.setupCharacterMap(wanted)
        # What setupGlyf does, minus its outline checks that would decode every glyph.
        builder.font["loca"] = newTable("loca")
        glyf = builder.font["glyf"] = newTable("glyf")
        glyf.glyphs = glyphs
        glyf.glyphOrder = order
        builder.setupHorizontalMetrics(metrics)
        builder.setupHorizontalHeader(**self.hhea)
        builder.setupNameTable(self.names, mac=False)
        builder.setupOS2(**self.os2)
        builder.setupPost(keepGlyphNames=False, **self.post)
        builder.setupMaxp()
        for field_name, value in self.maxp.items():
            setattr(builder.font["maxp"], field_name, value)
        for tag, data in self.hinting.items():
            table = newTable(tag)
            table.decompile(data, builder.font)
            builder.font[tag] = table
        out = BytesIO()
        builder.save(out)
        return out.getvalue()


_fonts: dict[tuple[str, int], ReceiptFont | None] = {}
_fonts_lock = threading.Lock()


def receipt_font(path: str, index: int) -> ReceiptFont | None:
    """The process-wide parsed font (parsed on first use, ~1 s; `warm_up` does it early)."""
    key = (path, index)
    with _fonts_lock:
        if key not in _fonts:
            _fonts[key] = ReceiptFont.load(path, index)
        return _fonts[key]


def warm_up() -> None:
    """Import fpdf2 and parse the receipt font now (~1-2 s), so the first receipt is as
    fast as the rest."""
    import fontTools.fontBuilder  # noqa: F401
    import fpdf  # noqa: F401

    font = cjk_font()
    if font is not None:
        receipt_font(*font)


def warm_up_in_background() -> None:
    """`warm_up` in a daemon thread: start-up does not wait for it."""
    threading.Thread(target=warm_up, name="receipt-font", daemon=True).start()


def receipt_lines(view: DonationView) -> list[tuple[str, str]]:
    providers = {"sandbox": "沙盒（无真实资金）Sandbox — no real money",
                 "bank_transfer": "银行转账 Bank transfer", "stripe": "银行卡 Card"}  # fmt: skip
    lines = [
        ("收据编号 Receipt no.", view.receipt_no or "—"),
        ("捐赠人 Donor", "匿名 Anonymous" if view.anonymous else (view.display_name or "—")),
        ("项目 Project", view.tender.title_zh or view.tender.title_en),
        ("", view.tender.title_en if view.tender.title_zh else ""),
        ("金额 Amount", format_money(view.amount)),
        ("配捐 Matched by sponsor", format_money(view.match) if view.match_status == "posted"
         else "—"),
        ("支付方式 Paid by", providers.get(view.provider, view.provider)),
        ("日期 Date", receipt_time(view.paid_at)),
        ("项目失败时 If the project fails",
         "退款 Refund" if view.on_failure == "refund" else "转入社区基金 To the community fund"),
    ]  # fmt: skip
    return [(label, value) for label, value in lines if label or value]


# Both languages on one receipt, so the footer is not a catalog message.
FOOTER = "\n".join(
    (
        "本收据证明平台已收到上述款项，资金按项目和来源托管，仅在里程碑验收后拨付。",
        "This receipt confirms the platform received the amount above. Funds are held per"
        " project and per source and released only when a milestone is approved.",
    )
)
HEADING = "捐赠收据 Donation receipt"


def receipt_pdf(view: DonationView, *, platform: str = PLATFORM) -> bytes:
    """The receipt as PDF bytes. CPU-bound (~20 ms with a parsed font): call it through
    `receipt_pdf_off_loop` from async code."""
    from fpdf import FPDF

    font = cjk_font()
    if font is None:
        raise ReceiptFontMissing(
            "The PDF receipt needs a Chinese font on the server; the printable page works."
        )
    lines = receipt_lines(view)
    text = "".join([HEADING, platform, FOOTER, *(label + value for label, value in lines)])
    prepared = receipt_font(*font)
    font_file = None
    try:
        if prepared is not None:
            with tempfile.NamedTemporaryFile(suffix=".ttf", delete=False) as handle:
                handle.write(prepared.subset(text))
                font_file = handle.name
        pdf = FPDF(format="A4")
        pdf.set_title(f"Receipt {view.receipt_no}")
        pdf.set_creator(platform)
        pdf.add_page()
        if font_file is not None:
            pdf.add_font("cjk", fname=font_file)
        else:  # a CFF font: fpdf2 parses and subsets the whole collection (slow)
            pdf.add_font("cjk", fname=font[0], collection_font_number=font[1])
        pdf.set_font("cjk", size=16)
        pdf.cell(0, 10, HEADING, new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.set_font("cjk", size=10)
        pdf.cell(0, 6, platform, new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.ln(4)
        for label, value in lines:
            pdf.cell(62, 7, label)
            pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("cjk", size=8)
        pdf.multi_cell(0, 5, FOOTER)
        return bytes(pdf.output())
    finally:
        if font_file is not None:
            os.unlink(font_file)


async def receipt_pdf_off_loop(view: DonationView, *, platform: str = PLATFORM) -> bytes:
    """`receipt_pdf` in a worker thread, so a PDF never stalls other requests."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(lambda: receipt_pdf(view, platform=platform))
