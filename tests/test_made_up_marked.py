"""Every output of a made-up (synthetic) study says so on its own: a page's title, a chart, a CSV file, a row of
the summary of findings. A chart saved alone, a downloaded table or a bookmarked tab cannot pass for real results
(clinician review: only the page banner said it)."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest

from evidence_site import paths

DEMO = "example-clinic-records"  # the bundled made-up study (data/studies/<id>/study.yml: status synthetic)


@pytest.fixture(scope="module")
def site(demo_build: Path) -> Path:
    return demo_build / "site"


def test_the_bundled_demonstration_is_the_made_up_study() -> None:
    assert "status: synthetic" in (paths.STUDIES / DEMO / "study.yml").read_text(encoding="utf-8")


def test_every_page_title_of_a_made_up_study_says_made_up_example(site: Path) -> None:
    pages = sorted(p for audience in ("families", "clinicians") for p in (site / audience / DEMO).rglob("index.html"))
    assert len(pages) >= 10
    for page in pages:
        title = re.search(r"<title>([^<]*)</title>", page.read_text(encoding="utf-8")).group(1)
        assert "(made-up example)" in title, (page, title)


def test_every_clinician_chart_of_a_made_up_study_says_made_up_data_in_its_title(site: Path) -> None:
    charts = sorted((site / "clinicians" / DEMO / "figures").glob("*.svg"))  # families' icon rows: see below
    assert len(charts) >= 8
    for chart in charts:
        assert "(made-up data)" in chart.read_text(encoding="utf-8"), chart.name


def test_every_chart_description_of_a_made_up_study_starts_by_saying_so(site: Path) -> None:
    page = (site / "clinicians" / DEMO / "index.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="figures/', page)
    assert alts
    assert all(a.startswith("Made-up example data.") for a in alts), alts


def test_every_row_of_every_download_of_a_made_up_study_says_made_up_example_data(site: Path) -> None:
    files = sorted((site / "clinicians" / DEMO / "downloads").glob("*.csv"))
    assert len(files) >= 10
    for path in files:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        column = "result_from" if path.name == "summary_of_findings.csv" else "data"
        assert rows, path.name
        assert all(r[column].startswith("made-up example data") for r in rows), path.name


def test_the_summary_of_findings_of_a_made_up_study_marks_each_result_and_says_what_the_ratings_are_about(
        site: Path) -> None:
    page = (site / "clinicians" / DEMO / "index.html").read_text(encoding="utf-8")
    table = page[page.index("Result from"):page.index("</table>", page.index("Result from"))]
    rows = table.count("<tr>")  # the header row opens before "Result from"
    assert rows >= 3
    assert table.count("Made-up example data") == rows
    assert "are made-up example data</strong>, not findings" in page


def test_every_page_description_of_a_made_up_study_starts_by_saying_so(site: Path) -> None:
    """Search snippets and link previews show the page's description, not its banner."""
    pages = sorted(p for audience in ("families", "clinicians") for p in (site / audience / DEMO).rglob("index.html"))
    for page in pages:
        description = re.search(r'<meta name="description" content="([^"]*)"', page.read_text(encoding="utf-8"))
        assert description and description.group(1).startswith("Made-up example data."), page


def test_a_family_pages_own_words_for_a_chart_of_a_made_up_study_say_so_in_the_same_sentence(site: Path) -> None:
    page = (site / "families" / DEMO / "results" / "index.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="[^"]*figures/', page)
    assert alts
    assert all(a.startswith("A row of 10 child figures") and a.endswith("(made-up example data).") for a in alts)


def test_a_made_up_result_names_the_published_figure_only_as_what_it_was_built_to_reproduce(site: Path) -> None:
    """A summary-of-findings row of made-up data never reads as the published figure ("published: 81%")."""
    rows = list(csv.DictReader(io.StringIO(
        (site / "clinicians" / DEMO / "downloads" / "summary_of_findings.csv").read_text(encoding="utf-8-sig"))))
    beside = [r["result_from"] for r in rows if "published" in r["result_from"]]
    assert beside, "the demonstration reproduces some published figures"
    assert all(r.startswith("made-up example data, built to reproduce the published figure ") for r in beside)
    page = (site / "clinicians" / DEMO / "index.html").read_text(encoding="utf-8")
    table = page[page.index("Result from"):page.index("</table>", page.index("Result from"))]
    assert "; <a" not in table and table.count("built to reproduce the ") == table.count("published figure</a>")


def test_a_family_figure_of_a_made_up_study_says_what_it_shows_and_that_it_is_made_up_when_opened_alone(
        site: Path) -> None:
    """An icon row saved or shared on its own has no words of its own (outside review): its file carries the
    page's text alternative as its title and description, and a visible line saying the data are made up."""
    figures = sorted((site / "families" / DEMO / "figures").glob("*.svg"))
    assert len(figures) >= 3
    alts = {src: html.unescape(alt) for page in (site / "families" / DEMO).rglob("index.html")
            for alt, src in re.findall(r'<img alt="([^"]*)"[^>]*src="[^"]*figures/([^"]+\.svg)"',
                                       page.read_text(encoding="utf-8"))}
    for figure in figures:
        svg = figure.read_text(encoding="utf-8")
        title = re.search(r"<title[^>]*>([^<]*)</title>", svg)
        desc = re.search(r"<desc[^>]*>([^<]*)</desc>", svg)
        assert title and desc, figure.name
        if figure.name in alts:
            assert html.unescape(title.group(1)) == html.unescape(desc.group(1)) == alts[figure.name], figure.name
        assert re.search(r"<text[^>]*>Made-up example data</text>", svg), figure.name


def test_a_made_up_studys_summary_of_findings_rates_only_rows_with_a_published_figure(site: Path) -> None:
    """The ratings are about the published evidence: a row of made-up results alone is not rated, and says why."""
    page = (site / "clinicians" / DEMO / "index.html").read_text(encoding="utf-8")
    table = page[page.index('<div class="sof-table">'):page.index("</table>", page.index('<div class="sof-table">'))]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    assert rows
    for row in rows:
        certainty = re.search(r'data-label="Certainty">(.*?)</td>', row, flags=re.S).group(1)
        result_from = re.search(r'data-label="Result from">(.*?)</td>', row, flags=re.S).group(1)
        rated = "Not rated" not in certainty
        assert rated == bool(re.search(r"published(?: figure)?</a>", result_from)), row
        assert rated or "no published figure" in certainty, row
    assert any("Not rated" in r for r in rows) and any("Not rated" not in r for r in rows)


def test_a_made_up_study_rates_a_published_figure_as_the_published_studys_page_does() -> None:
    """The persistence figure was 'low' beside the made-up study and 'very low' on the page of the publication it
    came from (outside review): a rated row of a made-up study, about a figure of a publication the site also
    publishes as an aggregate study, carries that study's rating."""
    from evidence_site.pipeline import load_studies
    from evidence_site.present import rated_rows

    studies = load_studies(paths.STUDIES)
    ratings = {s.spec.publication.url: s.spec.certainty for s in studies
               if s.kind == "aggregate" and s.spec.publication.url}
    checked = 0
    for s in studies:
        if s.kind == "records" and s.synthetic and s.spec.certainty:
            urls = {c.url for c in s.spec.citations.values() if c.url} & set(ratings)
            for row in rated_rows(s.spec):
                for url in urls:
                    checked += 1
                    assert row.rating == ratings[url], (s.id, row.value, row.rating, ratings[url])
    assert checked


def test_every_printed_sheet_of_a_made_up_studys_page_says_made_up_example_data(site: Path) -> None:
    """Printed, only the first sheet had the banner (outside review): a made-up study's pages carry the print
    marker that puts the page on the 'made-up' named page, whose bottom margin prints the words on every sheet."""
    made_up = sorted(p for audience in ("families", "clinicians") for p in (site / audience / DEMO).rglob("index.html"))
    assert all('class="made-up-print"' in p.read_text(encoding="utf-8") for p in made_up)
    real = [p for p in (site / "clinicians").rglob("index.html") if DEMO not in str(p)]
    assert real and not any('class="made-up-print"' in p.read_text(encoding="utf-8") for p in real)
    css = (site / "assets" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    rule = css[css.index("@page made-up"):]
    assert "body:has(.made-up-print) { page: made-up; }" in css
    assert re.search(r'@bottom-center \{ content: "Made-up example data[^"]*"', rule)
