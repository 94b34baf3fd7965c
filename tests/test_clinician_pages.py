"""The seven clinician pages of each study: present, citing their values, charts beside tables, and CSV
downloads that hold aggregates only."""

from __future__ import annotations

import csv
import io
import re

import pytest

from conftest import FIXTURES
from evidence_site import downloads, fmt, paths
from evidence_site.numbers import Value
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.present import rated_rows

SLUGS = ("index", "methods", "patients", "effectiveness", "durability", "safety", "published")


@pytest.fixture(scope="module")
def generated():
    return generate(load_studies(FIXTURES / "studies"), paths.TEMPLATES, site=site_inputs())


def page(generated, slug: str) -> str:
    return generated.files[f"clinicians/minimal/{slug}.md"].decode("utf-8")


def test_seven_clinician_pages_in_order(generated) -> None:
    md = [p.md_path for p in generated.pages if p.audience == "clinicians" and p.study == "minimal"]
    assert md == [f"clinicians/minimal/{s}.md" for s in SLUGS]
    assert next(p.url for p in generated.pages if p.md_path == "clinicians/minimal/index.md") == "clinicians/minimal/"


def test_every_chart_has_alt_text_and_a_table_after_it(generated) -> None:
    for slug in SLUGS:
        text = page(generated, slug)
        for match in re.finditer(r"!\[([^\]]*)\]\(figures/[^)]+\.svg\)", text):
            assert match.group(1).strip(), f"{slug}: chart without alt text"
            rest = text[match.end():]
            next_heading = rest.find("\n## ")
            section = rest if next_heading < 0 else rest[:next_heading]
            assert "\n|---" in section, f"{slug}: chart with no table before the next heading"


def test_summary_of_findings_prints_every_certainty_row(generated) -> None:
    study = generated.studies[0]
    book = {v.id: v for v in generated.book}
    text = page(generated, "index")
    rated = rated_rows(study.spec)  # a made-up study (the fixture is one) rates only rows with a published figure
    assert rated and len(rated) < len(study.spec.certainty.outcomes)
    for row in study.spec.certainty.outcomes:
        value = book[f"minimal.{row.value}"]
        assert "clinicians/minimal/" in value.pages
        assert fmt.clinical(value) in text
        if row in rated:
            assert row.statement in text and row.rating.capitalize() in text
        else:
            assert row.statement not in text
    assert text.count("**Not rated**") == len(study.spec.certainty.outcomes) - len(rated)


def test_methods_page_renders_definitions_and_populations_from_study_yml(generated) -> None:
    study = generated.studies[0]
    text = page(generated, "methods")
    for o in study.spec.outcomes.values():
        assert o.definition in text
    for p in study.spec.design.populations:
        assert p.label in text
    assert "STROBE 13" in text and "RECORD" in text


def test_effectiveness_has_both_denominators_for_every_week_and_diagnosis(generated) -> None:
    book = {v.id: v for v in generated.book}
    for week in (52,):
        for group in ("all", "CD", "UC"):
            for key in ("response", "remission", "sf_remission", "crp_normal", "calprotectin"):
                for den in ("itt", "obs"):
                    assert "clinicians/minimal/effectiveness/" in book[f"minimal.eff_{key}_w{week}_{group}_{den}"].pages


def test_downloads_are_linked_and_hold_aggregates_only(generated) -> None:
    published = page(generated, "published")
    downloads = {k: v.decode("utf-8-sig") for k, v in generated.files.items()
                 if k.startswith("clinicians/minimal/downloads/")}
    assert len(downloads) >= 10
    study = load_studies(FIXTURES / "studies")[0]  # the pages keep no table of the study: read it again
    patient_ids = set(study.patients["patient_id"]) | set(study.events["event_id"])
    for path, text in downloads.items():
        name = path.rsplit("/", 1)[1]
        assert f"](downloads/{name})" in published, f"{name} is not linked"
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows, f"{name} is empty"
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), f"{name} holds a date"
        cells = {c for row in rows for c in row.values()}
        assert not any(pid in cell.split() for cell in cells for pid in patient_ids), f"{name} holds an id"


def test_download_cells_are_formatted_like_the_pages(generated) -> None:
    book = {v.id: v for v in generated.book}
    text = generated.files["clinicians/minimal/downloads/effectiveness.csv"].decode("utf-8-sig")
    rows = {r["value_id"]: r for r in csv.DictReader(io.StringIO(text))}
    v = book["minimal.eff_response_w52_all_itt"]
    assert rows["eff_response_w52_all_itt"]["result"] == fmt.clinical(v)
    assert (rows["eff_response_w52_all_itt"]["n"], rows["eff_response_w52_all_itt"]["N"]) == (
        str(v.numerator), str(v.denominator))


# A cell a spreadsheet program turns into a date: 3/12, 3-12, 12/3/2026, 2026-03-12 (with no other text).
DATE_LIKE = re.compile(r"\d{1,4}[/-]\d{1,2}(?:[/-]\d{1,4})?")


def test_downloads_open_right_in_a_spreadsheet_program(generated) -> None:
    """Excel reads a CSV without a byte-order mark in the local code page ('–' shown as 'â€“') and turns a cell
    such as '3/12' into 3 December (outside review): every file starts with the UTF-8 mark, and no cell is
    date-like; the counts sit in whole-number columns n and N."""
    downloads = {k: v for k, v in generated.files.items() if k.startswith("clinicians/minimal/downloads/")}
    assert downloads
    for path, data in downloads.items():
        assert data.startswith("\ufeff".encode("utf-8")), f"{path} has no UTF-8 byte-order mark"
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows and next(iter(rows[0])) in ("value_id", "outcome"), path  # the mark is not part of a header
        for row in rows:
            assert not [c for c in row.values() if DATE_LIKE.fullmatch(c.strip())], (path, row)
            for column in ("n", "N"):
                assert row.get(column, "") == "" or row[column].isdigit(), (path, column, row)


def test_a_withheld_count_leaves_n_and_N_empty_in_a_download() -> None:
    """Even if a withheld value still carried its count, the download prints only the pages' words for it."""
    v = Value("x", "Remission", "proportion", 0.05, "m", numerator=2, denominator=40, suppressed=True,
              suppression="count", suppressed_below=5)
    row = downloads._row("x", v, "this study's records")
    assert (row["n"], row["N"], row["result"]) == ("", "", fmt.clinical(v)) == ("", "", "fewer than 5 of 40")


def test_each_summary_of_findings_cell_carries_its_column_name_for_a_phone(generated) -> None:
    """At 390 px the rows stack and each cell shows its column's name (the 'Result from' column was off-screen)."""
    text = page(generated, "index")
    heads = re.findall(r"<th>(.*?)</th>", text[text.index('<div class="sof-table"'):])
    assert heads[0] == "Outcome and time point" and heads[-1] == "Result from"
    rows = re.findall(r"<tr markdown>(.*?)</tr>", text, flags=re.S)
    assert rows
    for row in rows:
        assert re.findall(r'<td data-label="([^"]*)"', row) == heads[:6]


def test_a_study_without_endoscopy_offers_no_endoscopy_file_or_words(tmp_path) -> None:
    """Outside research coordinator: a study with no endoscopy was offered a header-only endoscopy.csv and told
    how repeat endoscopies were handled."""
    import shutil

    import pandas as pd
    import yaml

    folder = tmp_path / "studies" / "minimal"
    shutil.copytree(FIXTURES / "studies" / "minimal", folder)
    spec = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    endoscopic = [k for k, o in spec["outcomes"].items() if o["rule"].startswith("endoscopy")]
    assert endoscopic
    for key in endoscopic:
        del spec["outcomes"][key]
    spec["certainty"]["outcomes"] = [r for r in spec["certainty"]["outcomes"] if "endoscop" not in r["value"]]
    spec["design"]["populations"] = [p for p in spec["design"]["populations"] if p["label"] != "Endoscopy"]
    (folder / "study.yml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    events = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    events[events["event_type"] != "endoscopy"].to_csv(folder / "events.csv", index=False)

    files = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs()).files
    downloads = {k.rsplit("/", 1)[1] for k in files if k.startswith("clinicians/minimal/downloads/")}
    assert "endoscopy.csv" not in downloads and {"effectiveness.csv", "table1.csv"} <= downloads
    published = files["clinicians/minimal/published.md"].decode("utf-8")
    assert "downloads/endoscopy.csv" not in published
    for name in ("methods", "patients"):
        assert "repeat endoscopy" not in files[f"clinicians/minimal/{name}.md"].decode("utf-8").lower(), name
    for path, data in files.items():  # every file offered has figures
        if path.startswith("clinicians/minimal/downloads/"):
            assert len(data.decode("utf-8-sig").splitlines()) > 1, path


@pytest.mark.parametrize("text", ["=HYPERLINK(\"https://x.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)",
                                  "-2+3", "\t=1", "\r\n=1", " =1"])
def test_a_label_a_spreadsheet_would_run_as_a_formula_is_downloaded_as_text(text: str) -> None:
    """An outcome label from data such as '=HYPERLINK(...)' would run when the CSV is opened (outside hostile
    tester): it starts with an apostrophe, which a spreadsheet shows as text; numbers keep their sign."""
    v = Value("x", text, "proportion", 0.5, "m", numerator=5, denominator=10)
    row = downloads._row("x", v, text)
    data = downloads._csv(downloads.COLUMNS, [row, {**row, "label": "-1.5", "data": "-12"}])
    first, second = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    for cell in (first["label"], first["data"]):
        assert cell.startswith("'") and cell[1:].split() == text.split() and "\r" not in cell, cell
    assert (second["label"], second["data"], second["n"]) == ("-1.5", "-12", "5")


def test_a_not_rated_row_reads_the_same_on_the_page_and_in_its_csv_from_one_source(generated) -> None:
    """'Why not rated' was worded twice (the CSV's 'made-up example data only', the page's 'this row is made-up
    example data only'): both print fmt.NOT_RATED_WHY, and no template spells it out."""
    text = page(generated, "index")
    unrated = text.count(f"**{fmt.NOT_RATED.capitalize()}**: {fmt.NOT_RATED_WHY}</td>")
    assert unrated and unrated == text.count("**Not rated**")
    sof = generated.files["clinicians/minimal/downloads/summary_of_findings.csv"].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(sof)))
    assert sum(r["certainty"] == fmt.NOT_RATED and r["reasons"] == fmt.NOT_RATED_WHY for r in rows) == unrated
    templates = "".join(p.read_text(encoding="utf-8") for p in paths.TEMPLATES.rglob("*.j2"))
    assert "no published figure to rate" not in templates


def test_a_study_with_no_published_figure_says_so_instead_of_an_empty_table_or_a_real_study_it_matches(
        tmp_path) -> None:
    """Outside research coordinator: a clinic's own made-up study with no published figure was told its
    figures were 'already published (by the real study this example is built to match)', above an empty table."""
    import shutil

    import yaml

    folder = tmp_path / "studies" / "minimal"
    shutil.copytree(FIXTURES / "studies" / "minimal", folder)
    spec = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    spec.pop("published")
    spec["min_cell"], spec["disclosure"] = 3, {"protection": "on"}  # the pages carry the key to withheld figures
    (folder / "study.yml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")

    files = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs()).files
    published = files["clinicians/minimal/published.md"].decode("utf-8")
    assert "No figure of this study has been published (study.yml lists none)" in published
    assert "| Published figure |" not in published
    pages = [v.decode("utf-8") for k, v in files.items() if k.startswith("clinicians/minimal/")]
    keyed = [p for p in pages if "Reading withheld figures (privacy)" in p]
    assert keyed, "no page carries the key to withheld figures"
    for text in keyed:
        assert "already published" not in text
        assert "The numbers still on treatment at each visit are shown as they are." in text
