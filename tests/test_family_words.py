"""Family wording, unit by unit: natural frequencies, certainty words, glossary links, reading level, QR code."""

from __future__ import annotations

from dataclasses import replace

import pypdfium2
import pytest
import vl_convert
import zxingcpp

from evidence_site import families, fmt, readability
from evidence_site.errors import BuildError, TemplateError
from evidence_site.handout import family_page_url, handout_qr, qr_svg
from evidence_site.numbers import proportion, protect


def p(k: int, n: int):
    return proportion("s.x", "x", k, n, population="all", method="m")


def tenths_by_hand(k: int, n: int) -> int:
    """Half-up rounding of 10k/n in whole numbers only: floor(10k/n + 1/2) = (20k + n) // 2n."""
    return (20 * k + n) // (2 * n)


# Natural frequencies --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n"), [(39, 48), (8, 17), (16, 22), (12, 48), (36, 48), (5, 20), (15, 20), (22, 48),
                                      (27, 48), (13, 26), (7, 10), (5, 100), (96, 100)])
def test_out_of_ten_is_half_up_and_the_two_sides_add_up_to_ten(k: int, n: int) -> None:
    v = p(k, n)
    did, did_not = families.frequency(v), families.frequency_not(v)
    tenths = tenths_by_hand(k, n)
    assert fmt.out_of_ten(v) == tenths
    if 0 < tenths < 10:
        assert did == f"about {tenths} out of every 10 children"
        assert did_not == f"about {10 - tenths} out of every 10 children"
    # 12/48 = 2.5 tenths -> 3 (half-up); its other side must then be 7, not round(7.5) = 8.
    if (k, n) == (12, 48):
        assert (did, did_not) == ("about 3 out of every 10 children", "about 7 out of every 10 children")


def test_ends_of_the_scale_are_words_not_zero_or_ten() -> None:
    assert families.frequency(p(5, 100)) == "about 1 out of every 10 children"  # 0.5 tenths rounds half-up to 1
    assert families.frequency(p(4, 100)) == "fewer than 1 out of every 10 children"
    assert families.frequency_not(p(4, 100)) == "nearly all children"
    assert families.frequency(p(96, 100)) == "nearly all children"
    assert families.frequency_not(p(96, 100)) == "fewer than 1 out of every 10 children"
    assert families.frequency(p(0, 30)) == "no children" and families.frequency_not(p(0, 30)) == "all children"
    assert families.frequency(p(30, 30)) == "all children" and families.frequency_not(p(30, 30)) == "no children"


def test_small_cells_are_never_shown_as_numbers() -> None:
    few, most, tiny = protect([replace(p(3, 48), id="s.a"), replace(p(45, 48), id="s.b"),
                               replace(p(2, 3), id="s.c")], min_cell=5)
    assert families.frequency(few) == "a few children or none"
    assert families.frequency_not(few) == "all or nearly all children"
    assert families.frequency(most) == "all or nearly all children"
    assert families.frequency_not(most) == "a few children or none"
    assert "to say" in families.frequency(tiny) and "to say" in families.frequency_not(tiny)
    with pytest.raises(TemplateError):
        families.icon_count(few)


def test_only_proportions_become_natural_frequencies() -> None:
    from evidence_site.numbers import count

    with pytest.raises(TemplateError):
        families.frequency(count("s.n", "n", 48, population="all"))


# Certainty -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "sentence"), [
    ("high", "Upadacitinib helps some children"),
    ("moderate", "Upadacitinib probably helps some children"),
    ("low", "Upadacitinib may help some children"),
    ("very low", "We are very uncertain whether upadacitinib helps some children"),
    ("Very_Low", "We are very uncertain whether upadacitinib helps some children"),
])
def test_certainty_words_follow_grade(level: str, sentence: str) -> None:
    assert families.claim(level, "Upadacitinib", "help", "helps", "some children") == sentence


def test_unknown_certainty_stops_the_build() -> None:
    with pytest.raises(TemplateError):
        families.certainty("fairly sure")


def test_certainty_is_found_by_value_or_also_and_defaults_to_the_lowest_rating() -> None:
    from evidence_site.present import lowest_rating, rating_for
    from evidence_site.spec import Certainty, CertaintyRow, StudySpec

    rows = [CertaintyRow(value="persistence_w52", rating="low", statement="s"),
            CertaintyRow(value="eff_sf_remission_w52_CD_itt", also="eff_sf_remission_w52_CD_on", rating="very low",
                         statement="s"),
            CertaintyRow(value="ae_serious", also="ae_led_to_stop", rating="moderate", statement="s")]
    certainty = Certainty(start="low", start_reason="r", source="x", outcomes=rows)
    spec = type("S", (), {"certainty": certainty, "status": "real", "published": []})()
    assert rating_for(spec, "persistence_w52") == "low"
    assert rating_for(spec, "eff_sf_remission_w52_CD_on") == "very_low"
    assert rating_for(spec, "ae_led_to_stop") == "moderate"
    assert rating_for(spec, "eff_sf_remission_w52_UC_on") is None
    assert lowest_rating(spec) == "very_low"  # an unrated result gets the lowest rating, never more
    assert lowest_rating(type("S", (), {"certainty": None, "status": "real", "published": []})()) == "very_low"
    assert StudySpec  # the real declaration holds these rows


def test_a_made_up_study_rates_only_rows_with_a_published_figure_and_families_get_very_low_for_the_rest() -> None:
    from evidence_site.present import lowest_rating, rated_rows, rating_for
    from evidence_site.spec import Certainty, CertaintyRow

    rows = [CertaintyRow(value="persistence_w52", rating="low", statement="s"),
            CertaintyRow(value="eff_response_w52_all_itt", also="eff_sf_remission_w52_CD_on", rating="low",
                         statement="s"),
            CertaintyRow(value="ae_serious", rating="low", statement="s")]
    published = [type("P", (), {"id": i})() for i in ("persistence_w52", "eff_sf_remission_w52_CD_on")]
    certainty = Certainty(start="low", start_reason="r", source="x", outcomes=rows)
    spec = type("S", (), {"certainty": certainty, "status": "synthetic", "published": published})()
    assert rated_rows(spec) == rows[:2]  # by its value or its second value
    assert rating_for(spec, "ae_serious") is None
    assert lowest_rating(spec) == "very_low"  # the unrated row: never more than very low for families
    real = type("S", (), {"certainty": certainty, "status": "real", "published": published})()
    assert rated_rows(real) == rows and lowest_rating(real) == "low"


# Glossary links --------------------------------------------------------------------------------------------------

TERMS = [families.Term("Ulcerative colitis", "ulcerative-colitis", ("ulcerative colitis", "colitis"), "d"),
         families.Term("Remission", "remission", ("remission",), "d"),
         families.Term("CRP", "crp", ("CRP",), "d")]


def test_first_use_is_linked_once_and_headings_front_matter_and_links_are_left_alone() -> None:
    page = ("---\ntitle: Remission and CRP\n---\n\n# Remission\n\n![remission picture](x.svg)\n\n"
            "A [remission](elsewhere.md) link. Children with ulcerative colitis reached remission.\n"
            "Later, remission again; colitis again; CRP `CRP` once.\n")
    out = families.link_glossary_terms(page, TERMS, "glossary.md")
    assert out.count("(glossary.md#remission)") == 1
    assert "[remission](elsewhere.md) link" in out
    assert "reached [remission](glossary.md#remission)." in out
    assert "[ulcerative colitis](glossary.md#ulcerative-colitis)" in out
    assert "[colitis](glossary.md" not in out  # the longer form was the first use
    assert "[CRP](glossary.md#crp) `CRP`" in out
    assert out.startswith("---\ntitle: Remission and CRP\n---\n\n# Remission\n\n![remission picture](x.svg)")


def test_glossary_file_parses_and_every_anchor_is_unique() -> None:
    from evidence_site import paths

    terms = families.parse_glossary((paths.TEMPLATES / families.GLOSSARY_FILE).read_text(encoding="utf-8"))
    anchors = [t.anchor for t in terms]
    assert len(anchors) == len(set(anchors))
    forms = [f.lower() for t in terms for f in t.forms]
    assert len(forms) == len(set(forms)), "a word form belongs to two glossary entries"
    for t in terms:  # each definition on its own, measured as the gate measures pages
        assert readability.grade(readability.prose(t.definition, forms)) <= readability.MAX_GRADE, t.term


# Reading level ---------------------------------------------------------------------------------------------------

def test_prose_drops_everything_that_is_not_running_text() -> None:
    md = ("---\ntitle: Very complicated administrative terminology\n---\n\n# Heading words\n\n"
          "| Column | Other |\n|---|---|\n| table cell | 81% |\n\n![alt text](a.svg){ .chart }\n\n"
          '!!! danger "Title words"\n    Body of the box.\n\n'
          "- A **bold** [link](x.md) item with 39 children\n\n"
          "<div class=\"x\" markdown>\n\nRemission came.\n\n</div>\n\n"
          "[^a]: Source: an extraordinarily polysyllabic bibliographic citation.\n")
    text = readability.prose(md, ["remission"])
    assert text.split("\n") == ["Body of the box.", "A bold link item with ten children.", "thing came."]


def test_the_gate_fails_naming_the_page_and_its_hardest_sentence() -> None:
    easy = "The cat sat on the mat. We went to the park. It was fun."
    hard = ("Notwithstanding considerable methodological heterogeneity, retrospective observational investigations "
            "systematically overestimate therapeutic effectiveness. The dog ran.")
    assert readability.gate({"families/a/": easy}, [], 8)[0].grade <= 6
    with pytest.raises(BuildError) as err:
        readability.gate({"families/a/": easy, "families/b/": hard}, [], 8)
    message = str(err.value)
    assert "families/b/" in message and "families/a/" not in message
    assert "Notwithstanding considerable methodological heterogeneity" in message


def test_page_grade_matches_the_flesch_kincaid_formula() -> None:
    import textstat

    text = "Children took the medicine every day. Most of them felt better after a while."
    words = textstat.lexicon_count(text)
    syllables = textstat.syllable_count(text)
    by_hand = 0.39 * (words / 2) + 11.8 * (syllables / words) - 15.59
    assert readability.grade_page("p", text).grade == pytest.approx(by_hand, abs=0.05)


# QR code ---------------------------------------------------------------------------------------------------------

def decode_svg(svg: str) -> list[str]:
    """Rasterise the SVG (resvg via vl-convert, to PDF, rendered by pdfium) and read it like a phone camera."""
    pdf = vl_convert.svg_to_pdf(svg)
    doc = pypdfium2.PdfDocument(pdf)
    try:
        pixels = doc[0].render(scale=4).to_numpy()
    finally:
        doc.close()
    return [r.text for r in zxingcpp.read_barcodes(pixels)]


def test_qr_svg_decodes_to_the_family_page() -> None:
    url = family_page_url("https://clinic.example.net/evidence", "some-study")
    assert url == "https://clinic.example.net/evidence/families/some-study/"
    figure = handout_qr("some-study", "https://clinic.example.net/evidence/")
    assert decode_svg(figure.svg) == [url]
    assert figure.svg == qr_svg(url)  # deterministic


def test_no_site_url_means_no_qr_code() -> None:
    with pytest.raises(ValueError):
        family_page_url("", "x")
