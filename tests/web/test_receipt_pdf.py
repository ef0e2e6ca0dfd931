"""The PDF receipt: Beijing time with the zone named, copyable text (Chinese names
outside the common character set too), and rendered off the event loop."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime

import httpx
import pytest

from donors import receipts
from market import clock
from tests.builders import post_form
from tests.donation_builders import make_tender
from tests.pdftext import pdf_lines

pytestmark = pytest.mark.skipif(
    receipts.cjk_font() is None,
    reason="no CJK font installed (make fonts installs one): PDF receipt skipped",
)


async def _receipt_pdf_path(client: httpx.AsyncClient, display_name: str = "张三") -> str:
    tender = await make_tender()
    data = {"amount": "120.50", "provider": "sandbox", "display_name": display_name,
            "on_failure": "refund"}  # fmt: skip
    response = await post_form(client, f"/tenders/{tender}/donate", data)
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    match = re.search(r"/donations/\d+/receipt\.pdf\?ref=[A-Z0-9-]+", page.text)
    assert match, page.text
    return match.group(0)


async def test_the_pdf_shows_beijing_time_with_the_zone_named(
    client: httpx.AsyncClient,
) -> None:
    # 20:30 UTC on 2 November is 04:30 on 3 November in Beijing: date and hour differ.
    clock.set_clock(clock.FrozenClock(datetime(2026, 11, 2, 20, 30, tzinfo=UTC)))
    try:
        path = await _receipt_pdf_path(client)
        pdf = await client.get(path)
    finally:
        clock.set_clock(None)
    assert pdf.status_code == 200
    lines = pdf_lines(pdf.content)
    assert "2026-11-03 04:30 北京时间 Beijing time (UTC+8)" in lines, lines
    assert not any("UTC " in line or "20:30" in line for line in lines), lines


async def test_the_pdf_text_can_be_copied_including_rare_characters_in_names(
    client: httpx.AsyncClient,
) -> None:
    # 喆 and 堃 are outside GB2312, common in given names; 𠮷 is outside the BMP.
    path = await _receipt_pdf_path(client, display_name="王喆堃")
    pdf = await client.get(path)
    assert pdf.content.startswith(b"%PDF") and pdf.content.rstrip().endswith(b"%%EOF")
    lines = pdf_lines(pdf.content)
    assert "王喆堃" in lines, lines
    assert "捐赠收据 Donation receipt" in lines
    assert "¥120.50" in lines
    assert any(line.startswith("本收据证明平台已收到上述款项") for line in lines)
    assert len(pdf.content) < 100_000  # a subset of the font, not the 5 MB collection


def test_each_receipt_font_holds_only_the_glyphs_of_its_characters() -> None:
    from fontTools.ttLib import TTFont

    font = receipts.cjk_font()
    assert font is not None
    prepared = receipts.receipt_font(*font)
    if prepared is None:
        pytest.skip("a CFF font: receipts embed a subset made by fpdf2 from the whole font")
    from io import BytesIO

    small = TTFont(BytesIO(prepared.subset("张三 Ab")))
    assert set(small.getBestCmap()) == {ord(c) for c in "张三 Ab"}
    # .notdef, the five characters and the parts composite glyphs (张) are built from.
    needed = {".notdef", *small.getBestCmap().values()}
    for name in list(needed):
        if small["glyf"][name].isComposite():
            needed |= {component.glyphName for component in small["glyf"][name].components}
    assert set(small.getGlyphOrder()) == needed
    assert len(needed) < 10
    # The outlines and advances are the source font's.
    source = TTFont(font[0], fontNumber=font[1], lazy=True)
    for char in "张三":
        name = small.getBestCmap()[ord(char)]
        source_name = source.getBestCmap()[ord(char)]
        assert (
            small["glyf"][name].getCoordinates(small["glyf"])[0]
            == source["glyf"][source_name].getCoordinates(source["glyf"])[0]
        )
        assert small["hmtx"][name] == source["hmtx"][source_name]


async def test_rendering_the_pdf_does_not_stall_other_requests(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = await _receipt_pdf_path(client)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    render = receipts.receipt_pdf

    def held_render(*args: object, **kwargs: object) -> bytes:
        # Waits (as a slow render would) until the test has made another request; if it
        # ran on the event loop, nothing else could run and the wait would time out.
        started.set()
        release.wait(timeout=5)
        try:
            return render(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            finished.set()

    monkeypatch.setattr(receipts, "receipt_pdf", held_render)
    pdf_request = asyncio.create_task(client.get(path))
    for _ in range(500):
        if started.is_set():
            break
        await asyncio.sleep(0.01)
    assert started.is_set()
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert not finished.is_set(), "the other request waited for the PDF"
    release.set()
    pdf = await pdf_request
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
