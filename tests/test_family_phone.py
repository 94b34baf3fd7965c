"""Issue 15, the family experience on a phone: the pure parts of its gates and of the generator, without a browser.

The browser runs them on the demonstration site in tests/test_site_gates.py (search, keyboard, dark mode, the
handout's icon array in greyscale).
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from evidence_site import families
from evidence_site.checks.family import (
    contrast,
    icon_contrast_check,
    keyboard_check,
    luminance,
    one_sentence_check,
    search_check,
)
from evidence_site.checks.png import read_png
from evidence_site.checks.printing import qr_check
from evidence_site.errors import BuildError
from evidence_site.pipeline import build_site
from evidence_site.render import Page, neighbours, reading_orders
from evidence_site.urls import publication_address_problem

WHITE, INDIGO, OLD_GREY, OUTLINE = (255, 255, 255), (57, 73, 171), (140, 147, 157), (75, 85, 99)


def png(rows: list[list[tuple[int, int, int]]], filter_type: int = 0) -> bytes:
    """An 8-bit RGB PNG of ``rows`` (every row with the same filter byte; 0 and 2 are enough to test)."""
    height, width = len(rows), len(rows[0])
    raw, previous = b"", bytes(width * 3)
    for row in rows:
        line = bytes(c for px in row for c in px)
        body = line if filter_type == 0 else bytes((a - b) & 0xFF for a, b in zip(line, previous, strict=True))
        raw += bytes([filter_type]) + body
        previous = line

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def icon_row(solid: int, fill: tuple[int, int, int], outline: tuple[int, int, int] | None,
             total: int = 10) -> list[list[tuple[int, int, int]]]:
    """A row of ``total`` 8 x 12 px figures on white, 4 px apart: ``solid`` in indigo, the rest ``fill`` with an
    optional 1 px ``outline``."""
    width, height = total * 12 + 4, 16
    rows = [[WHITE] * width for _ in range(height)]
    for i in range(total):
        x0 = 4 + i * 12
        for y in range(2, 14):
            for x in range(x0, x0 + 8):
                edge = y in (2, 13) or x in (x0, x0 + 7)
                rows[y][x] = INDIGO if i < solid else (outline if edge and outline else fill)
    return rows


def test_png_reader_undoes_row_filters() -> None:
    rows = [[(x * 20, y * 30, 7) for x in range(5)] for y in range(4)]
    for f in (0, 2):
        image = read_png(png(rows, f))
        assert (image.width, image.height) == (5, 4)
        assert image.rows == rows


def test_png_reader_names_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        read_png(b"GIF89a")


def test_contrast_follows_wcag() -> None:
    assert contrast(luminance((0, 0, 0)), luminance(WHITE)) == pytest.approx(21)
    assert contrast(luminance(WHITE), luminance(WHITE)) == 1


def test_solid_and_outlined_figures_pass_in_greyscale() -> None:
    check = icon_contrast_check(png(icon_row(8, WHITE, OUTLINE)), 3)
    assert check.ok is True, check.details


def test_coloured_and_grey_figures_fail_in_greyscale() -> None:
    """The old icon array: indigo and grey filled figures, 2.4:1 apart, which a photocopy merges."""
    check = icon_contrast_check(png(icon_row(8, OLD_GREY, None)), 3)
    assert check.ok is False
    assert "expected at least 3:1" in check.details[0]


def test_a_line_of_words_under_the_figures_is_not_counted_as_figures() -> None:
    """A made-up study's icon row says "Made-up example data" under its figures: the words are not figures."""
    rows = icon_row(8, WHITE, OUTLINE)
    width = len(rows[0])
    words = [[(68, 68, 68) if 3 <= x < width - 3 and x % 3 else WHITE for x in range(width)] for _ in range(4)]
    check = icon_contrast_check(png(rows + [[WHITE] * width for _ in range(8)] + words + [[WHITE] * width]), 3)
    assert check.ok is True, check.details


def test_an_icon_array_of_one_kind_cannot_be_measured_and_a_wrong_count_fails() -> None:
    assert icon_contrast_check(png(icon_row(10, WHITE, OUTLINE)), 3).ok is None
    assert icon_contrast_check(png(icon_row(8, WHITE, OUTLINE, total=9)), 3).ok is False


def test_icon_text_must_be_one_sentence() -> None:
    one = {"src": "figures/a.svg", "name": "A row of 10 child figures with 8 of them solid: of the children, about 8."}
    two = {"src": "figures/b.svg", "name": "A row of 10 child figures, 8 of them coloured. Of the children, 8."}
    qr = {"src": "figures/handout-qr.svg", "name": "QR code. Scan it"}
    assert one_sentence_check([one, qr]).ok is True
    assert one_sentence_check([two]).ok is False


FAMILY = "families/s/"


def test_search_passes_when_family_pages_come_first_and_never_the_data_format_page() -> None:
    results = {"acne": ["/families/s/safety/", "/families/s/glossary/", "/clinicians/s/safety/"]}
    assert search_check(results, "families/", ["reference/data-format/"]).ok is True


def test_spanish_search_passes_only_when_spanish_family_pages_come_before_the_spanish_home() -> None:
    good = {"infección": ["/es/families/topics/m/", "/es/families/s/", "/es/"]}
    assert search_check(good, "es/families/", ["reference/data-format/"]).ok is True
    bad = {"remisión": ["/es/", "/es/families/s/"]}
    assert search_check(bad, "es/families/", ["reference/data-format/"]).ok is False


@pytest.mark.parametrize("paths, words", [
    ([], "no results"),
    (["/clinicians/s/safety/", "/families/s/safety/"], "not a family page"),
    (["/families/s/", "/clinicians/s/", "/families/s/safety/"], "comes after"),
    (["/families/s/", "/reference/data-format/"], "results lead to"),
])
def test_search_fails_on_each_way_of_sending_a_family_astray(paths: list[str], words: str) -> None:
    check = search_check({"stop": paths}, "families/", ["reference/data-format/"])
    assert check.ok is False and words in " ".join(check.details)


MADE_UP = ["families/demo/", "clinicians/demo/"]


@pytest.mark.parametrize(("found", "ok"), [
    (["/families/demo/safety/", "/families/topics/m/medicine/"], False),  # made-up first, a real page matches
    (["/families/topics/m/medicine/", "/families/demo/safety/"], True),  # real first
    (["/families/demo/safety/", "/families/demo/glossary/", "/clinicians/demo/"], True),  # only made-up pages match
])
def test_search_fails_when_a_made_up_page_comes_before_a_real_family_page(found: list[str], ok: bool) -> None:
    check = search_check({"acne": found}, "families/", ["reference/data-format/"], MADE_UP)
    assert check.ok is ok
    if not ok:
        assert "made-up example data" in " ".join(check.details)


def test_spanish_search_fails_when_a_made_up_page_comes_first() -> None:
    found = {"acné": ["/es/families/demo/", "/es/families/topics/m/"]}
    assert search_check(found, "es/families/", [], ["es/" + p for p in MADE_UP]).ok is False


def stop(what: str, content: bool = False, hidden: bool = False, outline: float = 3) -> dict:
    return {"what": what, "content": content, "hidden": hidden, "outline": outline}


def test_keyboard_reaches_the_content_without_hidden_stops() -> None:
    assert keyboard_check([stop("a Skip"), stop("label"), stop("a upadacitinib", True)], 8, 2).ok is True


@pytest.mark.parametrize("stops, words", [
    ([stop("a Menu", hidden=True), stop("a x", True)], "hidden or off-screen"),
    ([stop("a Skip", outline=1), stop("a x", True)], "focus outline 1 px"),
    ([stop("a y")] * 3, "not reached"),
    ([stop("a y")] * 9 + [stop("a x", True)], "took 10 Tab presses"),
])
def test_keyboard_fails_on_hidden_stops_thin_focus_and_a_long_walk(stops: list[dict], words: str) -> None:
    check = keyboard_check(stops, 8, 2)
    assert check.ok is False and words in " ".join(check.details)


def test_family_pages_link_to_their_neighbours_in_reading_order_only() -> None:
    pages = [Page("t", "families/index.md", "families/", "For families", "families"),
             *[Page("t", f"families/s/{n}.md", f"families/s/{n}/", n, "families", "s") for n in ("a", "b", "c")],
             Page("t", "clinicians/s/index.md", "clinicians/s/", "Summary", "clinicians", "s")]
    assert neighbours(pages, pages[1]) == (None, pages[2])
    assert neighbours(pages, pages[2]) == (pages[1], pages[3])
    assert neighbours(pages, pages[3]) == (pages[2], None)
    assert neighbours(pages, pages[0]) == (None, None)
    assert neighbours(pages, pages[4]) == (None, None)


def test_a_real_studys_next_page_is_never_a_made_up_study() -> None:
    """One-page studies share one reading order; made-up ones come after every real one, whatever their ids."""
    one_page = [Page("t", f"families/{sid}/index.md", f"families/{sid}/", sid, "families", sid)
                for sid in ("a-real", "b-made-up", "c-real")]
    orders = reading_orders(one_page, made_up={"b-made-up"})
    assert [p.study for p in (orders["families/a-real/index.md"][1], orders["families/c-real/index.md"][1])] \
        == ["c-real", "b-made-up"]
    assert orders["families/b-made-up/index.md"] == (one_page[2], None)
    assert reading_orders(one_page)["families/a-real/index.md"][1] is one_page[1]  # no made-up: navigation order


def test_key_message_words_are_explained_in_place_and_escaped() -> None:
    terms = [families.Term("CRP", "crp", ("CRP",), "A blood test <b>for</b> inflammation."),
             families.Term("Acne", "acne", ("acne",), "Spots.")]
    page = '\n'.join(["---", "title: x", "---", '<div class="key-messages" markdown>', "", "- CRP fell.", "",
                      "</div>", "", "Acne later."])
    linked = families.link_glossary_terms(page, terms, "glossary.md")
    out = families.explain_key_terms(linked, terms, "glossary.md", "What these words mean")
    note = out[out.index("<details"):out.index("</details>")]
    assert "<summary>What these words mean</summary>" in note
    assert "**CRP**: A blood test &lt;b&gt;for&lt;/b&gt; inflammation." in note
    assert "Acne" not in note  # linked outside the key messages: the word list is enough
    assert "[Acne](glossary.md#acne)" in out


@pytest.mark.parametrize("url, ok", [
    ("https://evidence.example.org/", False), ("https://example.com/", False), ("", False),
    ("http://evidence.hospital.org/", False), ("https://localhost/", False),
    ("https://evidence.hospital.org/", True), ("https://site.example.org.uk/", True)])
def test_a_publication_needs_a_real_https_address(url: str, ok: bool) -> None:
    problem = publication_address_problem(url)
    assert (problem is None) is ok
    if problem:
        assert "mkdocs.yml, field site_url" in problem and "hint:" in problem


def test_a_publication_build_with_the_placeholder_address_stops_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\nsite_url: https://evidence.example.org/\n", encoding="utf-8")
    with pytest.raises(BuildError, match=re.escape("placeholder 'https://evidence.example.org/'")):
        build_site(docs=tmp_path / "docs", site=tmp_path / "site", config=config, build=tmp_path / "build",
                   progress=lambda _: None, publish=True)
    assert not (tmp_path / "site").exists() and not (tmp_path / "docs").exists()


# The handout's QR code, or its draft box while the site's address is a placeholder --------------------------------

HANDOUT = "families/topics/m/handout/"


@pytest.mark.parametrize(("site_url", "decoded", "draft_box", "ok"), [
    ("https://evidence.example.org/", {"A4": [], "Letter": []}, True, True),
    ("https://evidence.example.org/", {"A4": [], "Letter": []}, False, False),
    ("https://evidence.example.org/", {"A4": ["https://evidence.example.org/families/topics/m/"], "Letter": []},
     True, False),
    ("https://evidence.hospital.org/", {"A4": [], "Letter": []}, True, False),
    ("https://evidence.hospital.org/", {"A4": ["https://evidence.hospital.org/families/topics/m/"],
                                        "Letter": ["https://evidence.hospital.org/families/topics/m/"]}, False, True),
    ("https://evidence.hospital.org/", {"A4": ["https://evidence.hospital.org/families/topics/m/"],
                                        "Letter": ["https://evidence.hospital.org/families/topics/m/"]}, True, False),
    ("https://evidence.hospital.org/", {"A4": ["https://evidence.hospital.org/families/"], "Letter": []},
     False, False),
])
def test_the_print_gate_accepts_the_draft_box_only_while_the_address_is_a_placeholder(
        site_url: str, decoded: dict[str, list[str]], draft_box: bool, ok: bool) -> None:
    assert qr_check(decoded, draft_box, site_url, HANDOUT).ok is ok
