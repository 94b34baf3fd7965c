"""The words put inside a family figure's own SVG file (svg_text): title and description, and a made-up line."""

from __future__ import annotations

import re
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


NOT_XML = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))


def test_characters_xml_forbids_in_a_figures_words_leave_a_well_formed_svg() -> None:
    root = ET.fromstring(labelled(SVG, f"ten{NOT_XML}children", f"made{NOT_XML}up"))
    assert root.find(f"{NS}title").text == "ten children"
    assert root.find(f"{NS}text").text.split() == ["made", "up"]


def test_a_family_figures_words_from_data_are_escaped_once_on_the_page_and_in_its_svg() -> None:
    """The page's words for an icon row join data (an outcome's plain words) with ``~``; they were escaped twice,
    so a screen reader read "&lt;" and "&#91;" aloud (outside hostile tester)."""
    import copy
    import html
    from dataclasses import replace

    import markdown

    from conftest import MINIMAL, shared_data
    from evidence_site import paths
    from evidence_site.load import read_study
    from evidence_site.pipeline import generate
    from evidence_site.validate import validate

    raw = read_study(MINIMAL)
    meta = copy.deepcopy(raw.meta)
    meta["outcomes"]["endoscopic_remission"]["plain"] = 'healed <b> & "well" [a] {b}'
    generated = generate([validate(replace(raw, meta=meta), shared_data())], paths.TEMPLATES,
                         site={"reading_grade_max": 100})
    page = markdown.markdown(generated.files["families/minimal/results.md"].decode().split("---", 2)[2],
                             extensions=["attr_list", "md_in_html"])
    alts = [html.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', page)]
    assert any('healed <b> & "well" [a] {b}' in a for a in alts), alts
    svgs = [body.decode() for name, body in generated.files.items()
            if name.startswith("families/minimal/figures/") and name.endswith(".svg")]
    titles = [html.unescape(t) for s in svgs for t in re.findall(r'<title id="figure-title">([^<]*)</title>', s)]
    assert any('healed <b> & "well" [a] {b}' in t for t in titles), titles
