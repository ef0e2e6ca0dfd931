"""Server-rendered SVG charts. PURE (no framework imports).

Charts are plain SVG strings built from escaped text, so they render without
JavaScript, pass a strict Content-Security-Policy, and print. They are readable
without colour: every segment carries a text label with its value, a distinct
fill pattern, and the SVG has a <title>/<desc> plus a data table beside it in the
page for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#3b5bdb", "#0b7285", "#7048e8", "#e8590c", "#5c940d", "#868e96", "#c2255c")
PATTERNS = ("solid", "diagonal", "dots", "cross", "horizontal", "vertical", "grid")


@dataclass(frozen=True, slots=True)
class Segment:
    label: str
    value: int  # minor units or a count; never negative
    display: str  # the value as the page shows it (formatted money, count)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    segments: Sequence[Segment]


def _defs(uid: str) -> str:
    out = []
    for index, (colour, pattern) in enumerate(zip(PALETTE, PATTERNS, strict=True)):
        pid = f"{uid}-p{index}"
        marks = {
            "solid": "",
            "diagonal": '<path d="M0,8 L8,0" stroke="#fff" stroke-width="1.6"/>',
            "dots": '<circle cx="4" cy="4" r="1.5" fill="#fff"/>',
            "cross": '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#fff" stroke-width="1.2"/>',
            "horizontal": '<path d="M0,4 L8,4" stroke="#fff" stroke-width="1.6"/>',
            "vertical": '<path d="M4,0 L4,8" stroke="#fff" stroke-width="1.6"/>',
            "grid": '<path d="M0,4 L8,4 M4,0 L4,8" stroke="#fff" stroke-width="1"/>',
        }[pattern]
        out.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
        )
    return "<defs>" + "".join(out) + "</defs>"


FONT_SIZE = 14  # user units; set on the <svg> so the estimates below hold


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """A generous estimate of rendered width: CJK glyphs are square, others ~0.62 em."""
    return sum(size if ord(ch) >= 0x2E80 else 0.62 * size for ch in text)


def _fill(uid: str, index: int) -> str:
    return f"url(#{uid}-p{index % len(PALETTE)})"


def _legend_layout(labels: Sequence[str], width: int) -> tuple[list[tuple[float, int, str]], int]:
    """Legend entries flow left to right and wrap onto new lines within the width:
    (x, line, label) per entry, and the last line's index."""
    legend: list[tuple[float, int, str]] = []  # (x, line, label)
    x_at, line = 0.0, 0
    for label in labels:
        entry = 18 + text_width(label) + 20
        if x_at and x_at + entry > width:
            x_at, line = 0.0, line + 1
        legend.append((x_at, line, label))
        x_at += entry
    return legend, line


def _segment_rects(
    bar: Bar,
    x: float,
    y: int,
    plot: int,
    largest: float,
    bar_height: int,
    uid: str,
    legend_labels: Sequence[str],
) -> list[str]:
    """One bar's segments left to right from x, each with its value inside when it fits."""
    parts: list[str] = []
    for segment in bar.segments:
        if segment.value <= 0 or largest == 0:
            continue
        w = plot * segment.value / largest
        index = legend_labels.index(segment.label)
        parts.append(
            f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{bar_height}" '
            f'fill="{_fill(uid, index)}" stroke="#fff"><title>{escape(segment.label)}: '
            f"{escape(segment.display)}</title></rect>"
        )
        if w > text_width(segment.display) + 8:
            parts.append(
                f'<text x="{x + 4:.2f}" y="{y + bar_height / 2 + 4:.0f}" class="in-bar">'
                f"{escape(segment.display)}</text>"
            )
        x += w
    return parts


def stacked_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    uid: str = "chart",
    width: int = 640,
    bar_height: int = 30,
    label_width: int = 140,
) -> str:
    """Horizontal stacked bars on a shared scale, with a legend of segment labels."""
    legend_labels: list[str] = []
    for bar in bars:
        for segment in bar.segments:
            if segment.label not in legend_labels:
                legend_labels.append(segment.label)
    largest = max((sum(s.value for s in b.segments) for b in bars), default=0)
    plot = width - label_width - 10
    row = bar_height + 14
    legend, line = _legend_layout(legend_labels, width)
    legend_top = len(bars) * row + 12
    height = legend_top + (line + 1) * 24 + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-title" class="chart" width="{width}" height="{height}" '
        f'font-size="{FONT_SIZE}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        _defs(uid),
    ]
    for row_index, bar in enumerate(bars):
        y = row_index * row + 4
        parts.append(
            f'<text x="0" y="{y + bar_height / 2 + 5:.0f}" class="axis">{escape(bar.label)}</text>'
        )
        x = float(label_width)
        total = sum(s.value for s in bar.segments)
        if total == 0:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_height}" '
                'fill="none" stroke="#ced4da" stroke-dasharray="4 3"/>'
            )
        parts += _segment_rects(bar, x, y, plot, largest, bar_height, uid, legend_labels)
    for index, (x, line, label) in enumerate(legend):
        y = legend_top + line * 24
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="14" height="14" fill="{_fill(uid, index)}"/>'
            f'<text x="{x + 18:.0f}" y="{y + 12}" class="legend">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def donut(segments: Sequence[Segment], *, title: str, centre: str, uid: str = "donut") -> str:
    """A donut of shares with percentage labels and a legend; empty data draws a ring."""
    size, radius, thickness = 220, 80, 34
    cx = cy = size / 2
    total = sum(s.value for s in segments if s.value > 0)
    legend_texts = [
        f"{segment.label} · {segment.display} · "
        + (f"{100 * segment.value / total:.1f}%" if total else "0%")
        for segment in segments
    ]
    width = size + 40 + int(max((text_width(t) for t in legend_texts), default=0))
    height = max(size, 30 + len(segments) * 26)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-title" class="chart donut" width="{width}" height="{height}" '
        f'font-size="{FONT_SIZE}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        _defs(uid),
    ]
    if total == 0:
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="#dee2e6" '
            f'stroke-width="{thickness}"/>'
        )
    angle = -math.pi / 2
    for index, segment in enumerate(segments):
        if segment.value <= 0 or total == 0:
            continue
        share = segment.value / total
        end = angle + share * 2 * math.pi
        if share >= 0.9999:
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" '
                f'stroke="{_fill(uid, index)}" stroke-width="{thickness}"/>'
            )
        else:
            large = 1 if end - angle > math.pi else 0
            x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
            x2, y2 = cx + radius * math.cos(end), cy + radius * math.sin(end)
            parts.append(
                f'<path d="M{x1:.2f},{y1:.2f} A{radius},{radius} 0 {large} 1 {x2:.2f},{y2:.2f}" '
                f'fill="none" stroke="{_fill(uid, index)}" stroke-width="{thickness}">'
                f"<title>{escape(segment.label)}: {escape(segment.display)}</title></path>"
            )
        angle = end
    parts.append(
        f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" class="centre">{escape(centre)}</text>'
    )
    for index, text in enumerate(legend_texts):
        y = 30 + index * 26
        parts.append(
            f'<rect x="{size + 10}" y="{y}" width="14" height="14" fill="{_fill(uid, index)}"/>'
            f'<text x="{size + 30}" y="{y + 12}" class="legend">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
