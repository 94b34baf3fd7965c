"""Text from data reaches charts (study labels, outcome names, titles); vl-convert aborts the whole process,
with no message, on a character that XML does not allow, so every string of a spec is made fit first."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_site import charts
from evidence_site.topics import forest_chart
from evidence_site.vegalite import drawable, svg_text

NOT_XML = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
XML_CHAR = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff\u2028\u2029" + BIDI)


def test_a_chart_whose_data_text_holds_characters_xml_forbids_is_drawn_with_spaces_in_their_place() -> None:
    label, panel = f"Study{NOT_XML}A (n=5)", f"Remission{NOT_XML}week 8"
    frame = pd.DataFrame([{"outcome": panel, "label": label, "pct": 40.0, "low": 20.0, "high": 60.0}])
    drawn = charts.draw(forest_chart, frame, [panel], f"Title{NOT_XML}here")
    svg = drawn if isinstance(drawn, str) else drawn.text()
    ET.fromstring(svg)  # well formed
    assert not set(svg) & set(NOT_XML)
    assert "Study" in svg and "Title" in svg


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_chart_text_never_keeps_a_character_xml_forbids(text: str) -> None:
    cleaned = svg_text(text)
    assert not set(cleaned) & set(NOT_XML) and not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
    assert len(cleaned) == len(text)  # each one becomes a space: nothing else moves


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=XML_CHAR))
def test_text_with_no_control_character_reaches_a_chart_unchanged(text: str) -> None:
    spec = {"title": text, "data": {"values": [{"label": text, "n": 3, "x": None}]}, "layer": [text]}
    assert drawable(spec) == spec
