"""The words put inside a family figure's own SVG file (svg_text): title and description, and a made-up line."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from evidence_site.charts import Figure
from evidence_site.svg_text import NOTE_HEIGHT, family_svg, labelled

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="348" height="64" viewBox="0 0 348 64">'
       '<rect width="348" height="64" fill="white"/><g/></svg>')
NS = "{http://www.w3.org/2000/svg}"


def test_a_figures_words_become_its_title_and_description_escaped() -> None:
    root = ET.fromstring(labelled(SVG, 'A row <of> 10 & "children"\n  solid'))
    assert root.find(f"{NS}title").text == root.find(f"{NS}desc").text == 'A row <of> 10 & "children" solid'
    assert root.get("role") == "img" and root.get("height") == "64"
    assert root.find(f"{NS}text") is None


def test_a_made_up_line_is_drawn_under_the_figure_on_a_taller_background() -> None:
    root = ET.fromstring(labelled(SVG, "words", "Made-up example data"))
    height = str(64 + NOTE_HEIGHT)
    assert root.get("height") == height and root.get("viewBox") == f"0 0 348 {height}"
    assert root.find(f"{NS}rect").get("height") == height
    line = root.find(f"{NS}text")
    assert line.text == "Made-up example data" and float(line.get("y")) < 64 + NOTE_HEIGHT


def test_only_family_figures_that_show_values_of_a_made_up_study_get_the_line() -> None:
    notes = {"families/demo/": "Made-up example data"}
    icons = Figure("icons", SVG, "own words", ("demo.x",))
    assert "Made-up" in family_svg("families/demo/icons", icons, {"families/demo/icons": "page words"}, notes)
    assert "page words" in family_svg("families/demo/icons", icons, {"families/demo/icons": "page words"}, notes)
    assert "own words" in family_svg("families/demo/icons", icons, {}, notes)
    assert "Made-up" not in family_svg("families/real/icons", icons, {}, notes)
    assert "Made-up" not in family_svg("families/demo/qr", Figure("qr", SVG, "QR code", ()), {}, notes)
    chart = family_svg("clinicians/demo/chart", icons, {}, notes)  # a clinician chart: words, no line
    assert "own words" in chart and "Made-up" not in chart and chart == labelled(SVG, "own words")


def test_an_image_svg_keeps_its_marks_roles_and_labels_only_on_its_root() -> None:
    drawn = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"><g role='
             '"graphics-symbol" aria-roledescription="point" aria-label="pct: 33.3333333333"><path d="M0,0h1"/>'
             '</g><text>Remission</text></svg>')
    root = ET.fromstring(labelled(drawn, "Remission at week 8: 33%"))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "figure-title figure-desc"
    assert all(e.get(a) is None for e in root.iter() if e is not root
               for a in ("role", "aria-roledescription", "aria-label"))
    assert root.find(f"{NS}text").text == "Remission" and root.find(f"{NS}g/{NS}path") is not None


def test_something_that_is_not_an_svg_is_refused() -> None:
    with pytest.raises(ValueError, match="no <svg> element"):
        labelled("<html></html>", "words")
