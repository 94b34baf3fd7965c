"""What keeps the site small changes bytes, never what a reader sees: pages without their indentation, chart SVGs
without what an <img> never uses, numbers.json with one value per line."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import altair as alt
import altair_charts
import pandas as pd
import vl_convert

from evidence_site import charts
from evidence_site.engines import compact_html, fix_markup
from evidence_site.write import json_text


def test_pages_lose_their_indentation_but_keep_line_breaks_and_preformatted_text() -> None:
    page = ("<html>\n  <body>\n    <p>one\n      two</p>\n\n    <pre><code>a\n    b</code></pre>\n"
            "    <p>see <code>x\n   y</code></p>\n    <script>\n  var s = '  kept'\n    </script>\n"
            "    <textarea>\n  as typed</textarea>\n  </body>\n</html>\n")
    assert compact_html(page) == ("<html>\n<body>\n<p>one\ntwo</p>\n<pre><code>a\n    b</code></pre>\n"
                                  "<p>see <code>x\n   y</code></p>\n<script>\n  var s = '  kept'\n    </script>\n"
                                  "<textarea>\n  as typed</textarea>\n</body>\n</html>\n")
    assert compact_html(compact_html(page)) == compact_html(page)


def test_a_compacted_chart_draws_the_same_pixels_with_its_roles_and_labels() -> None:
    chart = alt.Chart(pd.DataFrame({"group": ["A", "B"], "percent": [40, 75]})).mark_bar().encode(
        x="group:N", y="percent:Q").properties(title="Remission")
    full = vl_convert.vegalite_to_svg(altair_charts._config(chart).to_dict())
    small = charts.compact_svg(full)
    assert len(small) < 0.85 * len(full)
    assert vl_convert.svg_to_png(small) == vl_convert.svg_to_png(full)
    assert small.count("font-family=") == 1 and 'class="' not in small and 'opacity="1"' not in small
    assert small.count('role="graphics-symbol"') == full.count('role="graphics-symbol"')
    assert small.count("aria-label=") == full.count("aria-label=")


def test_numbers_json_has_one_value_a_line_and_reads_back_the_same() -> None:
    data = {"generator": "evidence-site", "studies": {"s": {"title": "Ünïcode", "min_cell": 5}},
            "values": [{"id": "s.a", "value": 0.5, "pages": ["families/s/"]}, {"id": "s.b", "value": 2}]}
    text = json_text(data)
    assert json.loads(text) == data
    lines = text.splitlines()
    assert '    {"id":"s.a","value":0.5,"pages":["families/s/"]},' in lines
    assert '    {"id":"s.b","value":2}' in lines
    assert '      "title": "Ünïcode",' in lines  # the rest indented as before, not escaped
    assert json.loads(json_text({})) == {} and json.loads(json_text({"values": []})) == {"values": []}


def test_a_chart_loses_bare_groups_identity_transforms_and_zero_line_ends_and_draws_the_same() -> None:
    chart = alt.Chart(pd.DataFrame({"week": ["8", "12", "52"], "percent": [40.0, 55.5, 70.25]})).mark_point(
        filled=True).encode(x="week:N", y=alt.Y("percent:Q", scale=alt.Scale(domain=[0, 100])))
    full = vl_convert.vegalite_to_svg(altair_charts._config(chart).to_dict())
    small = charts.compact_svg(full)
    assert vl_convert.svg_to_png(small) == vl_convert.svg_to_png(full)
    assert "<g>" not in small and 'transform="translate(0,0)"' not in small
    assert not re.search(r'<line\b[^>]* [xy]2="0"', small)
    assert small.count("<g ") == small.count("</g>")  # every kept group is closed
    assert charts.compact_svg(small) == small


def test_the_themes_icons_are_drawn_from_one_file_with_the_same_svg_boxes(tmp_path: Path) -> None:
    logo = '<path d="M12 21.5c-1.35-.85z"/>'
    page = ('<link rel="stylesheet" href="../../assets/stylesheets/main.css">'
            f'<a class="md-logo"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">{logo}</svg></a>'
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M3 6h18v2H3z"/>'
            '<path d="M3 11h18v2H3z"/></svg><svg role="img" viewBox="0 0 5 5"><title>kept</title></svg>')
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "index.html").write_text(page, encoding="utf-8")
    (tmp_path / "404.html").write_text(page.replace("../../assets", "/assets"), encoding="utf-8")
    (tmp_path / "plain.html").write_text(page.replace("stylesheet", "preload"), encoding="utf-8")  # no prefix known
    fix_markup("mkdocs", tmp_path)
    sprites = list((tmp_path / "assets").glob("icons-*.svg"))
    assert len(sprites) == 1
    drawn = ET.fromstring(sprites[0].read_text(encoding="utf-8"))
    groups = {g.get("id"): g for g in drawn.iter("{http://www.w3.org/2000/svg}g")}
    assert len(groups) == 2 and sum(len(g) for g in groups.values()) == 3
    moved = (tmp_path / "a" / "b" / "index.html").read_text(encoding="utf-8")
    uses = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><use href="([^"#]+)#(\w+)"/></svg>',
                      moved)
    assert [u[0] for u in uses] == [f"../../{sprites[0].relative_to(tmp_path).as_posix()}"] * 2
    assert {u[1] for u in uses} == set(groups) and "<title>kept</title>" in moved and "<path" not in moved
    assert f'href="/{sprites[0].relative_to(tmp_path).as_posix()}#' in (tmp_path / "404.html").read_text()
    assert (tmp_path / "plain.html").read_text(encoding="utf-8") == page.replace("stylesheet", "preload")


def test_a_shape_drawn_many_times_is_defined_once_and_drawn_the_same() -> None:
    full = vl_convert.vegalite_to_svg(charts.icon_array(4, 10, 10, "4 of 10"))
    small = charts.compact_svg(full)
    assert vl_convert.svg_to_png(small) == vl_convert.svg_to_png(full)
    assert small.count("<defs>") == 1 and small.count("<use ") >= 10
    assert re.findall(r'<path id="s\d+" d="([^"]+)"/>', small) and charts.compact_svg(small) == small


def test_an_inline_script_that_pages_repeat_is_loaded_from_one_file_at_the_same_place(tmp_path: Path) -> None:
    head = '<link rel="stylesheet" href="{p}assets/stylesheets/main.css">'
    repeated, own = 'var palette=__md_get("__palette")', 'var here="{p}"'
    for folder, prefix in (("a", "../"), ("b/c", "../../"), ("", "")):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        page = (head + "<header><script>" + repeated + "</script></header><script>" + own + "</script>"
                + '<script id="__config" type="application/json">{}</script>').replace("{p}", prefix)
        (tmp_path / folder / "index.html").write_text(page, encoding="utf-8")
    fix_markup("mkdocs", tmp_path)
    shared = list((tmp_path / "assets").glob("inline-*.js"))
    assert [p.read_text(encoding="utf-8") for p in shared] == [repeated]  # the differing ones stay inline
    page = (tmp_path / "b" / "c" / "index.html").read_text(encoding="utf-8")
    assert f'<header><script src="../../assets/{shared[0].name}"></script></header>' in page
    assert '<script>var here="../../"</script>' in page and '<script id="__config" type="application/json">{}' in page


def test_attributes_a_groups_children_all_repeat_are_written_once_on_the_group_and_draw_the_same() -> None:
    chart = alt.Chart(pd.DataFrame({"week": ["8", "12", "52"], "percent": [40.0, 55.5, 70.25]})).mark_point(
        filled=True).encode(x="week:N", y="percent:Q")
    full = vl_convert.vegalite_to_svg(altair_charts._config(chart).to_dict())
    small = charts.compact_svg(full)
    assert vl_convert.svg_to_png(small) == vl_convert.svg_to_png(full)
    assert small.count('stroke="#888"') < full.count('stroke="#888"')  # the ticks' colour, once per axis
    from evidence_site.svg_tree import shared_attributes

    assert shared_attributes('<g><line stroke="#888" x2="5"/><line stroke="#888" x2="6"/></g>') == (
        '<g stroke="#888"><line x2="5"/><line x2="6"/></g>')
    kept = '<g><line stroke="#888"/><line stroke="#999"/></g><g opacity="1"><text fill="red">a<tspan/></text></g>'
    assert shared_attributes(kept) == kept  # differing values, or a child with children of its own: as it was
    assert shared_attributes("<!-- a comment --><g/>") == "<!-- a comment --><g/>"
