"""SVG charts: escaped, labelled, readable without colour."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from market.charts import Bar, Segment, donut, stacked_bars


def test_stacked_bars_are_valid_svg_with_labels_and_patterns():
    svg = stacked_bars(
        [
            Bar("2025", [Segment("政府", 300, "¥3.00"), Segment("公众", 100, "¥1.00")]),
            Bar("2026", [Segment("政府", 0, "¥0.00")]),
        ],
        title="Funds by source",
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Funds by source" in svg
    assert "政府" in svg and "¥3.00" in svg
    assert "url(#chart-p0)" in svg and "url(#chart-p1)" in svg


def test_text_is_escaped():
    svg = donut([Segment("<script>x</script>", 5, "5")], title="<b>t</b>", centre="&")
    assert "<script>" not in svg
    ET.fromstring(svg)


def test_empty_data_draws_an_empty_chart():
    ET.fromstring(donut([], title="none", centre="¥0"))
    ET.fromstring(stacked_bars([], title="none"))


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=7))
def test_donut_percentages_cover_the_whole(values):
    segments = [Segment(f"s{i}", v, str(v)) for i, v in enumerate(values)]
    svg = donut(segments, title="t", centre="c")
    ET.fromstring(svg)
    if sum(values):
        shares = [
            float(p.split("·")[-1].strip().rstrip("%"))
            for p in [
                t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
            ]
            if "%" in p
        ]
        assert abs(sum(shares) - 100) < 0.1 * len(values) + 0.01
