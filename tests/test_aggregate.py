"""Aggregate studies (kind: aggregate): validation, published figures on the pages, pooling and its refusal,
and the `new-study` walkthrough."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
from argparse import Namespace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.meta_analysis import combine_effects

from evidence_site import commands, paths
from evidence_site.errors import BuildError
from evidence_site.fmt import round_half_up
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.pooling import dersimonian_laird, logit_and_variance
from evidence_site.summarise.aggregate import row_id
from evidence_site.urls import handout_address

COHEN = paths.STUDIES / "cohen-2025-apt-cd"
# One group: the generation of the real studies (`real`, `published`) is done once, in one test process.
pytestmark = pytest.mark.xdist_group("aggregate")


@pytest.fixture(scope="module")
def real():
    studies = load_studies(paths.STUDIES)
    return studies, generate(studies, paths.TEMPLATES, site=site_inputs())


# --- pooling -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("counts", [[(52, 100), (56, 100)], [(18, 46), (13, 31), (40, 60)],
                                    [(5, 20), (30, 40), (9, 90), (0, 12)], [(10, 10), (7, 9)]])
def test_dersimonian_laird_matches_statsmodels(counts) -> None:
    ours = dersimonian_laird(counts)
    y, v = map(np.array, zip(*(logit_and_variance(e, n) for e, n in counts), strict=True))
    res = combine_effects(y, v, method_re="dl")
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    # statsmodels leaves a negative DerSimonian–Laird τ² untruncated; the usual estimator (ours) sets it to 0,
    # which makes the random-effects estimate the fixed-effect one.
    row, mean = (1, res.mean_effect_re) if res.tau2 > 0 else (0, res.mean_effect_fe)
    assert ours.estimate == pytest.approx(expit(mean), rel=1e-9)
    low, high = res.conf_int(alpha=0.05)[row]
    assert (ours.low, ours.high) == (pytest.approx(expit(low), rel=1e-7), pytest.approx(expit(high), rel=1e-7))
    assert ours.tau2 == pytest.approx(max(0.0, res.tau2), abs=1e-12)
    assert ours.i2 == pytest.approx(max(0.0, res.i2), abs=1e-12)


def _library(tmp_path: Path, overlap: bool) -> Path:
    """Two copies of one published study under different ids and sources: the same outcome, definition,
    population, disease and time point, so they may be pooled unless they share patients."""
    studies = tmp_path / "studies"
    for sid, scale in (("alpha-2025", 1), ("beta-2025", 2)):
        shutil.copytree(COHEN, studies / sid)
        meta = yaml.safe_load((studies / sid / "study.yml").read_text(encoding="utf-8"))
        meta["overlaps_with"] = ["alpha-2025", "beta-2025"] if overlap else []
        meta["publication"]["short"] = sid
        if sid == "beta-2025":  # a source of its own: studies giving one source are never pooled
            meta["publication"].update(doi=None, pmid=None, url="https://example.org/beta-2025")
            del meta["measures"]["steroid_free_remission"]["headline"]  # it keeps one outcome, its headline
            meta["measures"]["clinical_response"]["headline"] = True
        (studies / sid / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        if scale == 2:
            frame = pd.read_csv(studies / sid / "results.csv", dtype=str, keep_default_na=False)
            frame = frame[frame["key"] == "clinical_response"].assign(numerator="60", denominator="100", percent="60")
            frame.to_csv(studies / sid / "results.csv", index=False)
    return studies


def test_comparable_studies_are_pooled_with_i2_and_tau2(tmp_path: Path) -> None:
    studies = load_studies(_library(tmp_path, overlap=False))
    generated = generate(studies, paths.TEMPLATES, site=site_inputs())
    pooled = [v for v in generated.book if ".pooled_" in v.id and v.kind == "proportion"]
    assert [v.label for v in pooled] == ["Clinical response (pooled)"]
    expected = dersimonian_laird([(75, 100), (60, 100)])
    assert pooled[0].value == pytest.approx(expected.estimate) and pooled[0].ci_low == pytest.approx(expected.low)
    page = generated.files["clinicians/topics/upadacitinib/index.md"].decode()
    assert "**Pooled (random effects):**" in page and "I² =" in page and "τ² =" in page
    # the outcomes only one study reports are refused, with the reason
    assert "Not pooled: only one study reports this outcome." in page


def test_studies_that_may_share_patients_are_not_pooled(tmp_path: Path) -> None:
    generated = generate(load_studies(_library(tmp_path, overlap=True)), paths.TEMPLATES, site=site_inputs())
    assert not [v for v in generated.book if ".pooled_" in v.id]
    assert "may share patients" in generated.files["clinicians/topics/upadacitinib/index.md"].decode()


def test_the_real_studies_are_not_pooled_and_each_refusal_says_why(real) -> None:
    _, generated = real
    assert not [v for v in generated.book if ".pooled_" in v.id]
    page = generated.files["clinicians/topics/upadacitinib/index.md"].decode()
    sections = page.split("## Outcomes across studies", 1)[1].split("## Context", 1)[0].split("\n### ")[1:]
    assert sections and all("*Not pooled:" in s for s in sections)
    assert "they differ in definition, population, disease, time point" in page  # steroid-free remission


# --- published figures ---------------------------------------------------------------------------------------

def test_every_published_figure_on_the_pages_matches_its_source_entry(real) -> None:
    studies, generated = real
    manifest = {r["id"]: r for r in generated.manifest()["values"]}
    md = {p.url: p.md_path for p in generated.pages}
    published = [s for s in studies if s.kind == "aggregate" and not s.synthetic]
    assert len(published) >= 6
    for study in published:
        rows = {f"{study.id}.{row_id(r)}": r for _, r in study.results.iterrows()}
        values = {k: v for k, v in manifest.items() if k.startswith(study.id + ".")}
        assert set(values) == set(rows) | ({f"{study.id}.study_n"} if study.spec.n else set())
        for vid, record in values.items():
            assert record["pages"], f"{vid} is printed on no page"
            if vid.endswith(".study_n"):
                assert record["value"] == study.spec.n
                continue
            r = rows[vid]
            if r["count_basis"] in ("reported", "derived"):
                assert (record["numerator"], record["denominator"]) == (r["numerator"], r["denominator"]), vid
            if pd.notna(r["percent"]):
                assert round_half_up(record["value"] * 100) == round_half_up(float(r["percent"])), vid
            if r["count_basis"] == "summary":
                assert record["value"] == pytest.approx(float(r["median"]))
            if r["count_basis"] == "percent_only":
                assert "ci_low" not in record, f"{vid}: no interval without a denominator"
            for page in record["pages"]:  # the page shows the figure as entered
                text = generated.files[md[page]].decode()
                shown = (f"{int(r['numerator'])}/{int(r['denominator'])}" if r["count_basis"] in ("reported",
                         "derived") else f"{float(r['percent']):g}%" if pd.notna(r["percent"]) else None)
                if shown and "/families/" not in f"/{page}" and page != "":  # home: family words
                    assert shown in text, (vid, page, shown)



def test_published_pages_carry_no_synthetic_banner_and_family_numbers_carry_a_source_mark(real) -> None:
    studies, generated = real
    for s in studies:
        if s.kind != "aggregate" or s.synthetic:
            continue
        for audience in ("families", "clinicians"):
            text = generated.files[f"{audience}/{s.id}/index.md"].decode()
            assert "Made-up example data" not in text and "made-up example data" not in text.split("##")[0]
        family = generated.files[f"families/{s.id}/index.md"].decode()
        for line in family.splitlines():
            if "out of every 10" in line:
                assert '<span class="source-mark">(from a ' in line, line
    topic = generated.files["families/topics/upadacitinib/index.md"].decode()
    assert "not yet checked by other experts" in topic and "from a journal article" in topic
    assert "No study compared upadacitinib with another medicine" in topic
    home = generated.files["families/index.md"].decode()
    assert home.index("topics/upadacitinib/") < home.index("example-clinic-records/")


def test_a_count_worked_out_from_a_published_percentage_says_so(real) -> None:
    """count_basis derived: the n of n/N is ours, from the percentage the source printed (the Data format page
    promises the label; an outside coordinator found it missing)."""
    _, generated = real
    for study in ("cohen-2025-apt-cd", "bachand-collen-2026-ccc"):
        rows = pd.read_csv(paths.STUDIES / study / "results.csv")
        page = generated.files[f"clinicians/{study}/index.md"].decode()
        assert page.count("n computed here from the published percentage") == (rows["count_basis"] == "derived").sum()


def test_a_bad_results_row_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("75,100,75,derived", "74,100,75,derived"), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_studies(tmp_path / "studies")
    text = str(err.value)
    assert "results.csv" in text and "row 5" in text and "numerator" in text and "derived count" in text


# --- make new-study ------------------------------------------------------------------------------------------

def test_new_study_walkthrough(tmp_path: Path) -> None:
    studies = tmp_path / "studies"
    studies.mkdir()
    args = Namespace(studies=studies, id="my-study-2026", kind="aggregate", templates=paths.TEMPLATES)
    commands.new_study(args)  # copies the template and validates it
    with pytest.raises(BuildError):
        commands.new_study(args)  # the same id twice
    folder = studies / "my-study-2026"
    generated = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert "Made-up example data" in generated.files["families/my-study-2026/index.md"].decode()
    overview = generated.files["clinicians/my-study-2026/index.md"].decode()
    assert "made up (no source to check)" in overview and 'markdown="span">primary</td>' not in overview
    listed = generated.files["families/studies.md"].decode()  # made-up figures of a publication, not records
    assert "published numbers look like here" in listed and "clinic's own records" not in listed
    # fill it in: the coordinator enters a real-looking figure and publishes it
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    meta["status"] = "published"
    (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    csv = folder / "results.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("8,20,40,50,reported", "8,21,40,52.5,reported")
                   .replace(",made-up example data,", ",primary,"), encoding="utf-8")
    generated = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    value = generated.book["my-study-2026.res_steroid_free_remission_w8_all_all_started"]
    assert (value.numerator, value.denominator) == (21, 40) and value.ci_low is not None
    family = generated.files["families/my-study-2026/index.md"].decode()
    assert "Made-up example data" not in family and "from a journal article: Surname and others, 2026" in family
    assert "21/40" in generated.files["clinicians/my-study-2026/index.md"].decode()
    # and the records kind
    commands.new_study(Namespace(studies=studies, id="records-2026", kind="records", templates=paths.TEMPLATES))
    assert {s.id for s in load_studies(studies)} == {"my-study-2026", "records-2026"}
    # its made-up figures cite a made-up source: no page says they reproduce a publication (outside coordinator)
    files = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs()).files
    pages = {k: v.decode() for k, v in files.items() if "/records-2026/" in k and k.endswith(".md")}
    assert pages and not [k for k, text in pages.items()
                          if re.search(r"reproduce its published|set to match a published|modelled on", text)]
    assert "The example reproduces no real publication." in pages["clinicians/records-2026/index.md"]
    assert "A made-up source: not a real publication." in pages["clinicians/records-2026/published.md"]
    assert "Boston" not in "".join(pages.values())


def test_a_percentage_printed_with_one_decimal_agrees_with_its_count(tmp_path: Path) -> None:
    """14/30 printed as 46.7% is the same figure; 46.6% is not (a coordinator's walkthrough found 46.7 flagged)."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace("outcome,combined_remission,with_data,all,8,13,31,,reported",
                                "outcome,combined_remission,with_data,all,8,13,31,41.9,reported"), encoding="utf-8")
    book = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs()).book
    assert book["cohen.res_combined_remission_w8_all_with_data"].agrees_with_published is True
    csv.write_text(text.replace("outcome,combined_remission,with_data,all,8,13,31,,reported",
                                "outcome,combined_remission,with_data,all,8,13,31,41.8,reported"), encoding="utf-8")
    with pytest.raises(BuildError, match="does not round to the percent"):
        load_studies(tmp_path / "studies")


def test_a_yaml_error_in_an_aggregate_study_is_not_reported_as_a_wrong_table(tmp_path: Path) -> None:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    yml = tmp_path / "studies" / "cohen" / "study.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace('short_title: "', 'short_title: Cohen: "', 1),
                   encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_studies(tmp_path / "studies")
    text = str(err.value)
    assert "not valid YAML" in text and "does not belong" not in text and "patients.csv" not in text


def test_an_unknown_medicine_says_how_to_add_one(tmp_path: Path) -> None:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    yml = tmp_path / "studies" / "cohen" / "study.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("medicine: upadacitinib", "medicine: tofacitinib"),
                   encoding="utf-8")
    with pytest.raises(BuildError, match=r"add a file data/medicines/tofacitinib\.yml"):
        load_studies(tmp_path / "studies")


def test_a_second_headline_measure_is_refused_with_both_names(tmp_path: Path) -> None:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    yml = tmp_path / "studies" / "cohen" / "study.yml"
    spec = yaml.safe_load(yml.read_text(encoding="utf-8"))
    first = next(k for k, m in spec["measures"].items() if m.get("headline"))
    second = next(k for k, m in spec["measures"].items() if not m.get("headline"))
    spec["measures"][second]["headline"] = True
    yml.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_studies(tmp_path / "studies")
    assert "More than one measure is the study's headline" in str(err.value)
    assert first in str(err.value) and second in str(err.value)


def test_family_words_that_would_read_were_had_are_refused(tmp_path: Path) -> None:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    yml = tmp_path / "studies" / "cohen" / "study.yml"
    spec = yaml.safe_load(yml.read_text(encoding="utf-8"))
    key = next(k for k, m in spec["measures"].items() if m.get("plain"))
    spec["measures"][key]["plain"] = "had an operation to remove the large bowel"
    yml.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_studies(tmp_path / "studies")
    assert f"measures.{key}.plain" in str(err.value) and "'were had an operation" in str(err.value)


# --- handouts and the site's address --------------------------------------------------------------------------

DRAFT_WORDS = ("Draft: the web address is not set yet. Do not hand out this sheet.",
               "Borrador: la dirección web aún no está puesta. No entregue esta hoja.")


def _handouts(files: dict[str, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8") for k, v in files.items()
            if k.endswith("handout.md") and "/topics/" in k and "families/" in k}


@pytest.mark.parametrize(("url", "publishable"), [
    ("https://evidence.example.org/", False), ("", False), ("http://evidence.hospital.org/", False),
    ("https://evidence.hospital.org/", True)])
def test_handouts_print_only_a_publication_address(url: str, publishable: bool) -> None:
    assert handout_address(url) == (url if publishable else "")


def test_a_medicines_handout_with_a_placeholder_address_is_a_marked_draft_with_no_qr_code(real) -> None:
    _, generated = real
    assert handout_address(site_inputs()["site_url"]) == "", "mkdocs.yml is expected to hold the placeholder"
    handouts = _handouts(generated.files)
    assert len(handouts) >= 2, "an English and a Spanish handout"
    for name, text in handouts.items():
        assert 'class="handout-draft"' in text and any(w in text for w in DRAFT_WORDS), name
        assert "example.org" not in text and "handout-qr" not in text, name
    assert not [k for k in generated.files if k.endswith("handout-qr.svg")]


ADDRESS = "https://evidence.hospital.org/"
NOT_REVIEWED = ("A doctor has not yet checked these pages.", "Un médico aún no ha revisado estas páginas.")


@pytest.fixture(scope="module")
def published(real):
    """The real studies on a site with a real address whose pages a clinician has reviewed."""
    studies, _ = real
    site = site_inputs()
    return generate(studies, paths.TEMPLATES, site=site | {
        "site_url": ADDRESS, "handout_url": handout_address(ADDRESS),
        "trust": (site.get("trust") or {}) | {"reviewed_by": "Dr A. Example, paediatric gastroenterologist"}})


def _topic_pages(files: dict[str, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8") for k, v in files.items()
            if "families/topics/" in k and k.endswith(("/index.md", "/handout.md"))}


def test_topic_pages_and_handouts_say_no_doctor_has_checked_them_until_the_review_record_names_one(
        real, published) -> None:
    _, unreviewed = real
    assert not (site_inputs().get("trust") or {}).get("reviewed_by"), "data/site.yml is expected to record no review"
    pages = _topic_pages(unreviewed.files)
    assert len(pages) >= 4, "English and Spanish topic pages and handouts"
    for name, text in pages.items():
        assert any(w in text for w in NOT_REVIEWED), name
    for name, text in _topic_pages(published.files).items():
        assert not any(w in text for w in NOT_REVIEWED), name


def test_a_medicines_handout_with_a_real_address_has_its_qr_code_and_no_draft_box(published) -> None:
    address = ADDRESS
    generated = published
    handouts = _handouts(generated.files)
    assert len(handouts) >= 2
    for name, text in handouts.items():
        page = address + name.removesuffix("handout.md")
        assert "handout-draft" not in text and not any(w in text for w in DRAFT_WORDS), name
        assert f"]({page})" in text and "handout-qr" in text, name
        assert name.removesuffix("handout.md") + "figures/handout-qr.svg" in generated.files, name


@pytest.mark.parametrize("row, column, found", [
    ("8,32.0,31,,reported", "numerator", "32.0"),  # an integer column given a decimal point: quoted as written
    ("8,13,31,41.80,reported", "percent", "41.80"),
])
def test_a_results_problem_quotes_the_cell_as_the_file_writes_it(row: str, column: str, found: str,
                                                                 tmp_path: Path) -> None:
    """'found' is the CSV cell, not the number pandas made of it (32 for 32.0, 41.8 for 41.80)."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace("outcome,combined_remission,with_data,all,8,13,31,,reported",
                                f"outcome,combined_remission,with_data,all,{row}"), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_studies(tmp_path / "studies")
    text = str(err.value)
    assert f"column '{column}'" in text and f"found:    {found}\n" in text + "\n", text


def test_the_home_page_names_every_study_and_marks_a_made_up_aggregate_study(tmp_path: Path) -> None:
    """A made-up study of the aggregate kind, and a real one with no family figure (still running), were missing
    from the home page (outside research coordinator): every study appears, a made-up one as made up."""
    studies = tmp_path / "studies"
    studies.mkdir()
    shutil.copytree(COHEN, studies / "cohen")
    shutil.copytree(paths.STUDIES / "nct05782907-paediatric-uc-trial", studies / "trial")  # no results yet
    commands.new_study(Namespace(studies=studies, id="made-up-2026", kind="aggregate", templates=paths.TEMPLATES))
    home = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs()).files["index.md"].decode()
    made_up = yaml.safe_load((studies / "made-up-2026" / "study.yml").read_text(encoding="utf-8"))["short_title"]
    line = next(line for line in home.splitlines() if made_up in line)
    assert "**made-up example data**" in line and "They are not real results." in line
    trial = yaml.safe_load((studies / "trial" / "study.yml").read_text(encoding="utf-8"))["short_title"]
    assert f"[{trial}](families/trial/index.md)" in home
    assert home.count("made-up example data") == 1  # the real studies are not marked


def test_a_made_up_results_row_says_made_up_in_confirmed_as_the_numbers_data_flag_does(tmp_path: Path) -> None:
    """results.csv's `confirmed` had no word for a made-up row (the template wrote 'primary'): it says the
    project's phrase for made-up data, as numbers.json's `data` flag does, and a study cannot be published while a
    row says it, nor stay made up with a row that claims a source (outside research coordinator)."""
    from evidence_site.fmt import MADE_UP
    from evidence_site.manifest import data_flag

    studies = tmp_path / "studies"
    studies.mkdir()
    commands.new_study(Namespace(studies=studies, id="made-up-2026", kind="aggregate", templates=paths.TEMPLATES))
    csv = studies / "made-up-2026" / "results.csv"
    rows = pd.read_csv(csv, dtype=str)
    assert set(rows["confirmed"]) == {MADE_UP}
    book = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs()).book
    value = book["made-up-2026.res_steroid_free_remission_w8_all_all_started"]
    assert f"{MADE_UP}, no source to check" in value.source and "confirmed from the source" not in value.source
    assert data_flag({"kind": "aggregate", "status": "synthetic"}) == MADE_UP
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace(f",{MADE_UP},", ",primary,", 1), encoding="utf-8")
    with pytest.raises(BuildError, match="A row of a made-up study says its figure was checked against a source"):
        load_studies(studies)
    csv.write_text(text, encoding="utf-8")
    yml = studies / "made-up-2026" / "study.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("status: synthetic", "status: published"), encoding="utf-8")
    with pytest.raises(BuildError, match="A published study holds a made-up row"):
        load_studies(studies)


def test_an_aggregate_study_table_stacks_on_a_phone_each_cell_under_its_column_name(real) -> None:
    """The aggregate pages' tables (a study's figures, the cross-study view) scrolled sideways at 390 px: as the
    summary of findings, they are HTML tables whose cells carry their column's name, stacked by extra.css."""
    _, generated = real
    css = (paths.ROOT / "docs" / "assets" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    assert ":is(.sof-table, .stack-table) td::before { content: attr(data-label)" in css
    pages = [generated.files[f"clinicians/{COHEN.name}/index.md"].decode(),
             generated.files["clinicians/topics/upadacitinib/index.md"].decode()]
    for text in pages:
        assert "\n|---" not in text  # no Markdown table left
        tables = text.split('<div class="stack-table" markdown>')[1:]
        assert len(tables) >= 2
        for table in tables:
            heads = re.findall(r"<th>(.*?)</th>", table[:table.index("</thead>")])
            rows = re.findall(r"<tr markdown>(.*?)</tr>", table[:table.index("</table>")], flags=re.S)
            assert heads and rows
            for row in rows:
                assert re.findall(r'<td data-label="([^"]*)"', row) == heads


def test_a_study_folder_copied_with_its_source_is_never_pooled_with_it_and_is_named_in_a_warning(
        tmp_path: Path) -> None:
    """A copied aggregate study keeps the first one's publication: pooled with its original, the same patients
    would count twice and the interval would narrow (an outside tester). The topic pages do not pool studies
    with a source in common, and the build's warnings (kept with its output, so said again by a build that
    reuses it) name them; different sources give no warning."""
    source = paths.STUDIES / "bachand-collen-2026-ccc"
    studies = tmp_path / "data" / "studies"
    shutil.copytree(source, studies / "bachand-collen-2026-ccc")
    shutil.copytree(paths.DATA / "medicines", tmp_path / "data" / "medicines")
    alone = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert not [w for w in alone.warnings if "same publication" in w]
    shutil.copytree(source, studies / "our-new-study")
    copied = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert [w for w in copied.warnings if "same publication" in w] == [
        "2 studies give the same publication as their source (url 'https://news.gastro.org/issues/2026/january/"
        "upadacitinib-in-pediatric-ibd'): bachand-collen-2026-ccc, our-new-study. Their figures are not pooled on "
        "the topic pages, and each of their pages cites that source; if one folder was copied from another to start "
        "a new study, correct its study.yml `publication`."]
    assert not [v for v in copied.book if ".pooled" in v.id or v.id.startswith("topics.")], "pooled with itself"
    topic = copied.files["clinicians/topics/upadacitinib/index.md"].decode("utf-8")
    assert "Pooled (random effects)" not in topic and "give the same publication as their source" in topic


def test_a_copied_study_whose_source_was_changed_but_not_its_figures_is_not_pooled_with_its_original(
        tmp_path: Path) -> None:
    """An outside tester followed the warning's hint and changed only the copy's DOI, PMID and link: the identical
    figures were then pooled (one study's patients counted twice, a narrower interval). Studies that report the
    very same figures are not pooled either, and the build names them."""
    studies = _library(tmp_path, overlap=False)
    shutil.rmtree(studies / "beta-2025")
    shutil.copytree(studies / "alpha-2025", studies / "beta-2025")
    meta = yaml.safe_load((studies / "beta-2025" / "study.yml").read_text(encoding="utf-8"))
    meta["publication"].update(doi=None, pmid=None, url="https://example.org/another-source")
    (studies / "beta-2025" / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    generated = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert not [v for v in generated.book if ".pooled_" in v.id]
    assert "report the very same figures" in generated.files["clinicians/topics/upadacitinib/index.md"].decode()
    assert [w for w in generated.warnings if "very same figures" in w] == [
        "2 studies report the very same figures: alpha-2025, beta-2025. Their figures are not pooled on the topic "
        "pages; if one folder was copied from another to start a new study, enter the new study's own figures in "
        "its results.csv."]


def test_a_reported_percentage_with_a_decimal_is_printed_as_the_source_prints_it(tmp_path: Path) -> None:
    """A percentage reported without a count (68.4%) keeps its decimal on the clinicians' pages that say it is
    printed as reported, the study's and the medicine's; rounded to 68% it would not be the published figure."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    row = "outcome,crp_normal,unclear,all,8,,,68,percent_only"
    assert row in csv.read_text(encoding="utf-8")
    csv.write_text(csv.read_text(encoding="utf-8").replace(row, row.replace(",68,", ",68.4,")), encoding="utf-8")
    generated = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs())
    pages = {p.md_path: generated.files[p.md_path].decode() for p in generated.pages}
    for path in ("clinicians/cohen/index.md", "clinicians/topics/upadacitinib/index.md"):
        text = pages[path]
        assert "68.4% (reported percentage" in text, path
        assert "68% (reported percentage" not in text, path


def test_each_figure_across_studies_is_labelled_with_its_own_denominator_not_the_study_size(real) -> None:
    """A figure among those still on treatment whose denominator the source does not give reads "N not stated",
    not the study's 48 children; one with n/N reads its own N (18/46 is N=46, not the study's 100)."""
    _, generated = real
    page = generated.files["clinicians/topics/upadacitinib/index.md"].decode()
    alt = next(line for line in page.splitlines() if line.startswith("![") and "what each study reported" in line)
    assert "(n=" not in alt
    assert "(N=46)" in alt and "(N not stated) · Crohn's disease" in alt
    assert "47% (reported percentage; N not stated; no interval)" in page  # the table says it too
    assert "Bachand, Collen and others, 2026 (a study of 48)" in page  # the study's size, said as such


EMERGENCY = {"en": '!!! danger "Call the emergency number now', "es": '!!! danger "Llame ya al número de emergencias'}
SAME_DAY = {"en": '!!! warning "Call your care team the same day',
            "es": '!!! warning "Llame a su equipo médico ese mismo día'}


def test_every_family_page_of_a_published_study_shows_the_emergency_signs_in_its_language(real) -> None:
    """The short version of each published study, in English and in Spanish, and every page whose text points
    to the emergency signs "on this page" (in either language), carries the emergency box."""
    studies, generated = real
    pages = {p.md_path: generated.files[p.md_path].decode() for p in generated.pages}
    for study in studies:
        if study.synthetic or not study.medicine.emergency_signs:
            continue
        assert EMERGENCY["en"] in pages[f"families/{study.id}/index.md"], study.id
        assert SAME_DAY["en"] in pages[f"families/{study.id}/index.md"], study.id  # fever, infection: an outside
        spanish = f"es/families/{study.id}/index.md"                              # clinician asked for them too
        if spanish in pages and study.medicine.emergency_signs_es:
            assert EMERGENCY["es"] in pages[spanish] and SAME_DAY["es"] in pages[spanish], spanish
    for path, text in pages.items():
        if any(words in text for words in ("red box on this page", "recuadro rojo de esta página",
                                           "emergency signs on this page", "señales de emergencia de esta página")):
            assert EMERGENCY["es" if path.startswith("es/") else "en"] in text, path


RESULTS_START = ('<div class="key-messages"', '<div class="handout-main"', "{ .chart }", "## What did it find?",
                 "## ¿Qué encontró?")


def test_on_every_family_page_with_emergency_signs_a_phone_shows_them_before_any_result(real) -> None:
    """Family pages show the emergency signs where a phone shows them first: on every family page (both
    languages, the made-up study's too) that carries the emergency box, no result (key messages, a chart, a
    handout's findings) comes before it. On a wide screen and on paper, a handout's signs sit beside its findings
    (extra.css), but a phone shows one column in the page's order."""
    _, generated = real
    checked = 0
    for p in generated.pages:
        text = generated.files[p.md_path].decode()
        box = min((text.find(e) for e in EMERGENCY.values() if e in text), default=-1)
        if p.audience != "families" or box < 0:
            continue
        checked += 1
        first = [m for m in RESULTS_START if 0 <= text.find(m) < box]
        assert not first, f"{p.md_path}: {first} before the emergency signs"
    assert checked >= 8


def test_only_the_emergency_signs_are_in_a_red_danger_box(real) -> None:
    """A parent told "call the emergency number" by a red box must not meet the same red box saying "made-up
    example data" (an outside clinician): the made-up banner has its own style, on every page of both faces."""
    _, generated = real
    boxes = {line for p in generated.pages for line in generated.files[p.md_path].decode().splitlines()
             if line.startswith("!!! danger")}
    assert boxes and all(line.startswith(tuple(EMERGENCY.values())) for line in boxes), boxes


def test_the_clinicians_medicine_page_lists_every_adverse_event_a_published_study_reports(real) -> None:
    """Harms sit beside benefits on the clinicians' cross-study page too (an outside clinician: it had a forest plot
    and nine outcome tables, and no harms): every adverse-event figure of a published study, as n/N, not pooled."""
    studies, generated = real
    page = generated.files["clinicians/topics/upadacitinib/index.md"].decode()
    assert "## Adverse events across studies" in page and "Not pooled" in page
    harms = [v for v in generated.book if ".rae_" in v.id  # ids.reported: an adverse-event row
             and not next(s for s in studies if v.id.startswith(s.id + ".")).synthetic]
    assert len(harms) >= 8
    table = page[page.index("## Adverse events across studies"):]
    for v in harms:
        assert f"{v.numerator}/{v.denominator}" in table, v.id


def test_the_home_page_gives_each_studys_side_effects_beside_its_result(real) -> None:
    """An outside clinician: the home page gave one benefit per study and no harm. Each study with a result there
    now has its side-effect figure, the harms its source names, or the words that its report gives none."""
    _, generated = real
    home = generated.files["index.md"].decode()
    part = home[home.index("Health problems during treatment in each study"):]
    assert "at least one health problem during treatment" in part  # a figure, counted
    assert "a rare tumour of the appendix" in part  # harms named without a figure
    assert "the report we could read gives no figures for side effects." in part


def test_a_medicines_family_pages_point_a_teenager_to_their_own_part_near_the_top(real) -> None:
    """A parent: the young people's part was reachable on a phone only by scrolling past the boxed warning. The
    medicine's family page and its page about the medicine (both languages) link to it before their findings."""
    _, generated = real
    for lang in ("", "es/"):
        topic = generated.files[f"{lang}families/topics/upadacitinib/index.md"].decode()
        assert topic.index("medicine.md#young-people") < topic.index('<div class="key-messages"'), lang
        medicine = generated.files[f"{lang}families/topics/upadacitinib/medicine.md"].decode()
        assert medicine.index("](#young-people)") < medicine.index("!!! danger"), lang


def test_no_list_item_of_any_page_runs_into_the_next(real) -> None:
    """A template line ending in a block tag loses its line break (trim_blocks): a list then reads
    "... started.- **Crohn's disease ...", one item on a phone. No generated page has an item glued on."""
    _, generated = real
    glued = re.compile(r"[.):]- (\*\*|\[|[A-Z])")
    for p in generated.pages:
        text = generated.files[p.md_path].decode()
        for line in text.splitlines():
            assert not glued.search(line), (p.md_path, line[:160])


def test_the_home_page_says_how_sure_its_results_are_and_where_the_warning_signs_are(real) -> None:
    """The home page gives one result per study: beside them, how sure the evidence is (the topic's rating, as
    the topic page words it) and a link to the medicine's warning signs; the Spanish home links to its own."""
    _, generated = real
    home = generated.files["index.md"].decode()
    assert "We are very uncertain whether the medicine helps children like the ones in these studies." in home
    assert "[Warning signs that need help straight away](families/topics/upadacitinib/medicine.md)" in home
    spanish = generated.files["es/index.md"].decode()  # the Spanish home too, in Spanish, to the Spanish page
    assert "[Señales de alarma que necesitan ayuda enseguida](families/topics/upadacitinib/medicine.md)" in spanish


def test_the_printed_handouts_say_how_sure_the_evidence_is(real) -> None:
    """A family may have only the printed sheet: beside its results, how sure the evidence is, in its language."""
    _, generated = real
    english = generated.files["families/topics/upadacitinib/handout.md"].decode()
    spanish = generated.files["es/families/topics/upadacitinib/handout.md"].decode()
    assert "We are very uncertain whether the medicine helps children like the ones in these studies." in english
    assert "No estamos nada seguros de si el medicamento ayuda a niños y niñas como los de estos estudios." in spanish


@pytest.mark.parametrize("count", [0, 100])
def test_none_or_all_of_the_children_is_said_once_not_as_all_were_not(tmp_path: Path, count: int) -> None:
    """A family figure of 0 or all of the children says both sides in one sentence ("No children ... had acne");
    the other side's sentence would read "All children were not", which reads as "not all" (outside research
    coordinator), and in Spanish "Todos los niños y niñas, no"."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    row = "adverse_event,ae_acne,all_started,all,8,12,100,,reported"
    assert row in csv.read_text(encoding="utf-8")
    csv.write_text(csv.read_text(encoding="utf-8").replace(row, row.replace(",12,100,", f",{count},100,")),
                   encoding="utf-8")
    files = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs()).files
    english, spanish = (files[f"{lang}families/cohen/index.md"].decode() for lang in ("", "es/"))
    line = next(x for x in english.splitlines() if "acne (spots)" in x)
    said = "No children" if count == 0 else "All children"
    assert f"**{said}** with Crohn's disease were found to have acne (spots)" in line, line
    assert "were not." not in line and "All children" not in line.replace(f"**{said}**", ""), line
    line_es = next(x for x in spanish.splitlines() if "acné (granos)" in x)
    assert ", no." not in line_es and "Todos los niños y niñas, no" not in line_es, line_es
    other = next(x for x in english.splitlines() if "clearly better on the doctor" in x)  # 75 of 100: both sides
    assert "were not." in other, other


def test_a_baseline_figure_is_at_the_start_not_at_a_time_not_stated(real) -> None:
    """Baseline rows have no week: the clinicians' table says when they were measured (outside research
    coordinator: "time not stated" read as a missing time point)."""
    _, generated = real
    page = generated.files["clinicians/cohen-2025-apt-cd/index.md"].decode()
    age = next(line for line in page.split("<tr>") if "Age at start of upadacitinib" in line)
    assert "at the start" in age and "time not stated" not in page, age


def test_a_published_median_keeps_the_source_s_precision_and_a_value_s_source_reads_as_a_reference(
        tmp_path: Path) -> None:
    """A source's "14" is not printed "14.0" (its 15.8 stays 15.8), and a value's source in numbers.json is
    "Authors. Title. Venue (year)", the year once (outside research coordinator: the title was missing, no stop
    after the authors, the year twice)."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    assert "summary,15.8,14.3,17.2" in csv.read_text(encoding="utf-8")
    studies = {"whole": "summary,14,12,16.5", "as is": "summary,15.8,14.3,17.2"}
    for name, row in studies.items():
        csv.write_text(re.sub(r"summary,[\d.]+,[\d.]+,[\d.]+", row, csv.read_text(encoding="utf-8"), count=1),
                       encoding="utf-8")
        generated = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs())
        page = generated.files["clinicians/cohen/index.md"].decode()
        shown = "14 <span class=\"nowrap\">(IQR 12–16.5)</span>" if name == "whole" else \
            "15.8 <span class=\"nowrap\">(IQR 14.3–17.2)</span>"
        assert shown in page, name
        age = next(v for v in generated.manifest()["values"] if "age_start" in v["id"])
        assert age["published_value"] == ("14" if name == "whole" else "15.8")
    spec = yaml.safe_load((COHEN / "study.yml").read_text(encoding="utf-8"))["publication"]
    assert age["source"].startswith(f"{spec['authors']}. {spec['title'].rstrip('.')}. {spec['venue']}: ")
    assert age["source"].count("2025") == 1, age["source"]


def test_the_side_effect_that_stands_for_a_study_is_its_broadest_whatever_the_order_of_results_csv(
        tmp_path: Path) -> None:
    """The home page and a medicine's handout give each study's broadest side-effect figure (any side effect, 24 of
    100) beside its findings; a sheet sorted by key (acne first, then stopping) once put acne (12 of 100) there
    (outside hostile tester)."""
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    csv = tmp_path / "studies" / "cohen" / "results.csv"
    header, *rows = csv.read_text(encoding="utf-8").splitlines()
    ordered = sorted(rows, key=lambda line: line.split(",")[1])
    assert ordered.index(next(r for r in ordered if ",ae_acne," in r)) < ordered.index(
        next(r for r in ordered if ",ae_any," in r))
    csv.write_text("\n".join([header, *ordered]) + "\n", encoding="utf-8")
    files = generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs()).files
    for name in ("index.md", "families/topics/upadacitinib/handout.md", "es/families/topics/upadacitinib/handout.md"):
        page = files[name].decode()
        harms = page[page.index("Health problems during" if not name.startswith("es/") else "Problemas de salud"):]
        assert "24 of the 100" in harms or "24 de los 100" in harms, (name, harms[:600])
        assert "acne" not in harms[:400] and "acné" not in harms[:400], (name, harms[:400])


@pytest.mark.parametrize(("other", "shown"), [("all_started", "13 of the 100"), ("unclear", "13 of the 31"),
                                              ("on_treatment", "13 of the 100"), ("all_started,all,", "13 of the 100"),
                                              ("all_started,all,9", "13 of the 100")])
def test_a_headline_given_among_several_populations_lists_the_children_once(tmp_path: Path, other: str,
                                                                             shown: str) -> None:
    """The headline on a measure with a row among the children who had the test (13 of 31) and one more among
    another population at the same week: the home page and the handouts give the study's finding once, among all
    who started where there is such a row (outside hostile tester: both sentences were listed, the same 13
    children twice, also with unclear and on_treatment)."""
    def headline_on_combined(meta: dict) -> None:
        measures = meta["measures"]
        del measures["steroid_free_remission"]["headline"]
        measures["combined_remission"].update(
            headline=True, families=True, plain="in remission with a calm gut test",
            plain_es="estaban en remisión con una prueba del intestino tranquila")

    row = "outcome,combined_remission,all_started,all,8,13,100,13,reported"  # other: another population or week
    studies = _edited(tmp_path, study_yml=headline_on_combined,
                      results=(row, row.replace("all_started,all,8" if "," in other else "all_started", other)))
    files = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs()).files
    for name in ("index.md", "families/topics/upadacitinib/handout.md", "es/families/topics/upadacitinib/handout.md"):
        page = files[name].decode()
        found = page[:page.index("Health problems during" if not name.startswith("es/") else "Problemas de salud")]
        lines = [x for x in found.splitlines()
                 if x.startswith("- ") and ("calm gut test" in x or "intestino tranquila" in x)]
        assert len(lines) == 1, (name, lines)
        assert shown in lines[0] or shown.replace("of the", "de los") in lines[0], (name, lines)
    study_page = files["families/cohen/index.md"].decode()  # the study's own page still gives both
    assert "13 of the 31" in study_page and "13 of the 100" in study_page


@pytest.mark.parametrize("name", ["studies", "studies-2", "topics"])
def test_a_study_named_like_the_site_s_own_pages_is_refused_by_the_build_and_by_validate(
        tmp_path: Path, name: str) -> None:
    """A study folder named ``studies`` replaced both lists of every study with its own pages, without a word, and
    ``validate`` passed it (outside hostile tester); ``topics`` put a study where the medicines' pages are."""
    import build

    shutil.copytree(COHEN, tmp_path / "studies" / name)
    with pytest.raises(BuildError, match="a name the site uses for its own pages") as caught:
        generate(load_studies(tmp_path / "studies"), paths.TEMPLATES, site=site_inputs())
    assert "rename that folder" in str(caught.value) and repr(name) in str(caught.value)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = build.main(["validate", "--studies", str(tmp_path / "studies")])
    assert code == 1 and "a name the site uses for its own pages" in err.getvalue(), err.getvalue()


def test_validate_reports_what_the_build_refuses_in_site_yml_beside_the_studies(tmp_path: Path) -> None:
    """A trust statement in Spanish only stops `site`; `validate` passed it (outside hostile tester)."""
    import build

    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    site = yaml.safe_load((paths.DATA / "site.yml").read_text(encoding="utf-8"))
    site["trust"]["conflicts"], site["trust"]["conflicts_es"] = "", "Ninguno"
    (tmp_path / "site.yml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = build.main(["validate", "--studies", str(tmp_path / "studies")])
    assert code == 1 and "trust.conflicts_es" in err.getvalue() and "Spanish only" in err.getvalue(), err.getvalue()


def test_two_generated_pages_at_one_address_stop_the_build(tmp_path: Path) -> None:
    """The backstop for any other way to it (a template plan whose slugs meet): two generated pages at one address
    are refused, naming both."""
    from evidence_site.urls import check_generated_clashes

    with pytest.raises(BuildError, match="published at one address") as caught:
        check_generated_clashes(["families/a/results.md", "families/a/results/index.md"], {"a"})
    assert "families/a/results.md and families/a/results/index.md" in str(caught.value)


def _edited(tmp_path: Path, study_yml=None, results=None) -> Path:
    shutil.copytree(COHEN, tmp_path / "studies" / "cohen")
    folder = tmp_path / "studies" / "cohen"
    if study_yml:
        meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
        study_yml(meta)
        (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    if results:
        csv = folder / "results.csv"
        old, new = results
        assert old in csv.read_text(encoding="utf-8")
        csv.write_text(csv.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return tmp_path / "studies"


def _no_headline(meta: dict) -> None:
    del meta["measures"]["steroid_free_remission"]["headline"]


def _headline_not_shown(meta: dict) -> None:
    _no_headline(meta)
    meta["measures"]["crp_normal"]["headline"] = True


def _headline_on_a_side_effect(meta: dict) -> None:
    _no_headline(meta)
    meta["measures"]["ae_acne"]["headline"] = True


def _harms(english: str, spanish: str):
    def edit(meta: dict) -> None:
        meta["family_harms"], meta["family_harms_es"] = english, spanish
    return edit


def _top(field: str, words: str):
    def edit(meta: dict) -> None:
        meta[field] = words
    return edit


def _measure_words(field: str, words: str):
    def edit(meta: dict) -> None:
        meta["measures"]["steroid_free_remission"][field] = words
    return edit


def _caveats(index: int, words: str):
    def edit(meta: dict) -> None:
        key = "family_caveats" if index == 0 else "family_caveats_es"
        meta[key][0] = words
    return edit


@pytest.mark.parametrize(("edit", "said"), [
    ({"study_yml": _no_headline}, "No measure is the study's headline"),
    ({"study_yml": _headline_not_shown}, "The headline is a measure families are not shown"),
    ({"study_yml": _headline_on_a_side_effect}, "The headline is not an outcome"),
    ({"results": ("ae_any,all_started,all,8,24,100,", "ae_any,all_started,all,8,24,50,")},
     "does not count all of them"),
    ({"study_yml": _harms("No serious harm; 95 out of 100 felt fine", "Ninguno grave; 95 de 100 bien")},
     "hold a figure"),
    ({"study_yml": _harms("", "Un tumor raro del apéndice")}, "named in Spanish only"),
    ({"study_yml": _harms("   ", "\u200b")}, "The side effects are blank"),
    ({"results": ("summary,15.8,14.3,17.2", "summary,inf,14.3,17.2")}, "not a figure a source could print"),
    ({"results": ("summary,15.8,14.3,17.2", "summary,1e30,14.3,17.2")}, "not a figure a source could print"),
    ({"results": ("outcome,steroid_free_remission,all_started,all,8,52,100,52,derived,,,,,abstract,primary,intention "
                  "to treat\n", "")}, "The headline is not an outcome"),
    ({"results": ("ae_any,all_started,all,8,24,100,", "ae_any,all_started,CD,8,24,50,")},
     "does not count all of them"),
    ({"study_yml": _caveats(0, "No child had a serious infection: 0 of 22 (0%), and 95 out of 100 felt fine.")},
     "Family words hold a figure"),
    ({"study_yml": _caveats(1, "Ningún niño tuvo una infección grave: 95 de cada 100 se sintieron bien.")},
     "Family words hold a figure"),
    ({"study_yml": _caveats(0, "About 9 out of every 10 children were in remission.")}, "Family words hold a figure"),
    ({"study_yml": _measure_words("plain", "in remission (95% of them) without steroids")},
     "Family words hold a figure"),
    ({"study_yml": _measure_words("family_note", "None of the 22 children had an operation.")},
     "Family words hold a figure"),
    ({"study_yml": _measure_words("plain", "in remission (about ½ of them)")}, "Family words hold a figure"),
    ({"study_yml": _measure_words("plain_es", "Ⅸ de Ⅹ se sintieron mejor")}, "Family words hold a figure"),
    ({"study_yml": _top("family_about", "After 8 weeks, 95% were in remission.")}, "Words about the study hold a "
                                                                                   "result"),
    ({"results": ("ae_any,all_started,all,8,24,100,", "ae_any,all_started,all,0,24,100,")},
     "at week 0 is a figure from before the first dose"),
], ids=["no-headline", "headline-not-shown", "headline-a-side-effect", "all-started-not-all", "harms-with-figures",
        "harms-spanish-only", "harms-blank", "median-inf", "median-overflow", "headline-without-rows",
        "all-started-only-diagnosis", "caveat-with-figures", "caveat-es-with-figures", "caveat-out-of-every",
        "plain-with-a-share", "family-note-with-a-count", "plain-with-a-fraction", "plain-es-with-roman-numerals",
        "about-with-a-share", "side-effect-at-week-0"])
def test_a_slip_that_would_change_what_families_read_stops_the_build(tmp_path: Path, edit: dict, said: str) -> None:
    """Each slip an outside hostile tester made that the build took without a word, and that changed a figure or
    words families read (the home page, the handout): now a data error naming the field or row."""
    with pytest.raises(BuildError, match=said) as caught:
        load_studies(_edited(tmp_path, **edit))
    assert "hint:" in str(caught.value)


def test_a_figure_among_the_children_who_had_the_test_says_so_on_both_sides_and_counts_every_child_who_started(
        tmp_path: Path) -> None:
    """A family figure of those who had the test (with_data) said "About 6 out of every 10 children were not", of
    every child (outside hostile tester): both sides now say whom they count, and every child who started is
    counted too, as for a figure among those still taking the medicine."""
    def shown(meta: dict) -> None:
        meta["measures"]["combined_remission"] |= {
            "families": True, "plain": "in remission with a calm gut test",
            "plain_es": "estaban en remisión con una prueba de intestino en calma"}
    files = generate(load_studies(_edited(tmp_path, study_yml=shown)), paths.TEMPLATES, site=site_inputs()).files
    english = files["families/cohen/index.md"].decode()
    line = next(x for x in english.splitlines() if "calm gut test" in x and "13 of the 31" in x)
    assert "About 6 out of every 10 children who had the test were not." in line, line
    assert "Children who did not have the test are not counted here." in line, line
    assert "of all 100 children who started, 13 had the test and were in remission with a calm gut test" in line
    spanish = files["es/families/cohen/index.md"].decode()
    line_es = next(x for x in spanish.splitlines() if "intestino en calma" in x and "13 de los 31" in x)
    assert "que se hicieron la prueba, no." in line_es and "13 se hicieron la prueba y estaban" in line_es, line_es


def test_a_reference_ends_each_part_once() -> None:
    """A title that ends in a question mark and a venue that ends in a stop gave "Disease?." and "2025.."
    (outside hostile tester): each part ends once, the year is given once."""
    from types import SimpleNamespace

    from evidence_site.summarise.aggregate import citation

    pub = SimpleNamespace(authors="Roe A, et al.", title="Does it work in Crohn's disease?",
                          venue="Aliment Pharmacol Ther 2025;61:1-9.", year=2025)
    assert citation(pub) == "Roe A, et al. Does it work in Crohn's disease? Aliment Pharmacol Ther 2025;61:1-9"
    assert citation(SimpleNamespace(authors="Roe A", title="A study", venue="Gut", year=2024)) == \
        "Roe A. A study. Gut (2024)"


@pytest.mark.parametrize(("percent", "said"), [("0", "No children"), ("100", "All children")])
def test_a_reported_none_or_all_without_a_count_is_said_as_none_or_all(tmp_path: Path, percent: str,
                                                                       said: str) -> None:
    """A reported 0% with no denominator read "Fewer than 1 out of every 10 children" (outside hostile tester, second
    look); 0% and 100% are none and all, said once, as 0 of N and N of N are."""
    files = generate(load_studies(_edited(tmp_path, results=(
        "adverse_event,ae_acne,all_started,all,8,12,100,,reported",
        f"adverse_event,ae_acne,all_started,all,8,,,{percent},percent_only"))), paths.TEMPLATES,
        site=site_inputs()).files
    line = next(x for x in files["families/cohen/index.md"].decode().splitlines() if "acne (spots)" in x)
    assert f"**{said}** with Crohn's disease were found to have acne" in line, line
    assert "were not." not in line and "out of every 10" not in line, line
    line_es = next(x for x in files["es/families/cohen/index.md"].decode().splitlines() if "acné (granos)" in x)
    assert ", no." not in line_es and "menos de 1" not in line_es, line_es


def test_numbers_json_carries_no_direction_overrides_or_other_invisible_controls(tmp_path: Path) -> None:
    """A right-to-left override in a label is printed as a space on every page; numbers.json, offered for reuse,
    kept it raw (outside hostile tester): it is a space there too."""
    def overridden(meta: dict) -> None:
        meta["measures"]["ae_acne"]["label"] = "Acne \u202e0001\u202c"
        meta["title"] = meta["title"] + "\u2066"

    generated = generate(load_studies(_edited(tmp_path, study_yml=overridden)), paths.TEMPLATES, site=site_inputs())
    text = json.dumps(generated.manifest(), ensure_ascii=False)
    assert "Acne  0001 " in text
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f]", text)
