"""Values that cannot be true are refused with file, row or field, expected, found and a hint (an outside hostile
tester found each of them published: "It had -100 children", "-15.8 (IQR 17.2–14.3) years", 150 of 100)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import load_study
from evidence_site import paths
from evidence_site.errors import DataError

COHEN = paths.STUDIES / "cohen-2025-apt-cd"
AGE_ROW = "baseline,age_start,all_started,all,,,100,,summary,15.8,14.3,17.2,years,abstract,primary,"


def _copied(study: Path, tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """A copy of ``study`` under ``tmp_path``/studies/, with the first ``old`` in ``file`` replaced by ``new``."""
    folder = tmp_path / "studies" / study.name
    shutil.copytree(study, folder)
    if file:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def _cohen(tmp_path: Path, old: str = "", new: str = "", file: str = "results.csv") -> Path:
    return _copied(COHEN, tmp_path, file if old else "", old, new)


def _problems(folder: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_study(folder)
    return str(caught.value)


def test_the_bundled_aggregate_study_is_valid(tmp_path: Path) -> None:
    assert load_study(_cohen(tmp_path)).spec.n == 100


@pytest.mark.parametrize("n", [-100, 0])
def test_an_aggregate_study_of_fewer_than_one_patient_is_refused(n: int, tmp_path: Path) -> None:
    text = _problems(_cohen(tmp_path, "n: 100", f"n: {n}", "study.yml"))
    assert "study.yml, field 'n': The number of patients who started must be at least 1" in text
    assert "expected: a whole number of at least 1" in text and f"found:    {n}" in text and "hint:" in text


def test_a_denominator_larger_than_the_study_is_refused(tmp_path: Path) -> None:
    text = _problems(_cohen(tmp_path, "outcome,clinical_response,all_started,all,8,75,100,75,derived",
                            "outcome,clinical_response,all_started,all,8,75,150,50,derived"))
    assert "results.csv, row 5, column 'denominator': The denominator is larger than the number of patients" in text
    assert "expected: at most 100 (n in study.yml)" in text and "found:    150" in text


def test_a_denominator_no_larger_than_the_study_is_accepted(tmp_path: Path) -> None:
    load_study(_cohen(tmp_path, "outcome,combined_remission,with_data,all,8,13,31,",
                      "outcome,combined_remission,with_data,all,8,13,100,"))


@pytest.mark.parametrize(("values", "column"), [("15.8,17.2,14.3", "q1"), ("18.0,14.3,17.2", "median"),
                                                ("12.1,14.3,17.2", "median")])
def test_a_median_outside_its_quartiles_is_refused(values: str, column: str, tmp_path: Path) -> None:
    text = _problems(_cohen(tmp_path, AGE_ROW, AGE_ROW.replace("15.8,14.3,17.2", values)))
    assert f"results.csv, row 2, column '{column}': The median and quartiles are not in order" in text
    assert "expected: q1 <= median <= q3" in text and "hint:" in text


def test_a_summary_row_with_one_quartile_is_refused(tmp_path: Path) -> None:
    text = _problems(_cohen(tmp_path, AGE_ROW, AGE_ROW.replace("15.8,14.3,17.2", "15.8,14.3,")))
    assert "results.csv, row 2, column 'q3': A summary row gives only one quartile" in text


def test_a_negative_age_is_refused(tmp_path: Path) -> None:
    text = _problems(_cohen(tmp_path, AGE_ROW, AGE_ROW.replace("15.8,14.3,17.2", "-15.8,-17.2,-14.3")))
    assert "results.csv, row 2, column 'median': A value in years cannot be negative" in text


def test_a_negative_median_in_a_unit_that_may_be_negative_is_accepted(tmp_path: Path) -> None:
    """A height z-score (or a change in a score) may be below zero."""
    load_study(_cohen(tmp_path, AGE_ROW, AGE_ROW.replace("15.8,14.3,17.2,years", "-0.8,-1.6,0.1,z-score")))


def test_a_study_vocab_may_add_a_code_or_repeat_a_shared_one_word_for_word(tmp_path: Path) -> None:
    import yaml

    folder = _minimal(tmp_path)
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    shared = yaml.safe_load((paths.DATA / "vocab" / "diagnoses.yml").read_text(encoding="utf-8"))
    meta["vocab"] = {"diagnoses": {"CD": shared["CD"], "PSC": {"label": "Primary sclerosing cholangitis",
                                                               "plain": "a liver disease"}}}
    (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    assert load_study(folder).vocab.diagnoses["PSC"].plain == "a liver disease"


def _minimal(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    from conftest import MINIMAL

    return _copied(MINIMAL, tmp_path, file, old, new)


def test_a_patients_end_of_follow_up_after_the_studys_is_refused(tmp_path: Path) -> None:
    folder = _minimal(tmp_path)
    path = folder / "patients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",follow_up_end_week,follow_up_end_reason", lines[1] + ",80,moved_away",
             *(line + ",," for line in lines[2:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = _problems(folder)
    assert "patients.csv, row 2, column 'follow_up_end_week': The end of follow-up is after the end" in text
    assert "expected: a week from 0 to 52 (follow_up_weeks in study.yml)" in text and "found:    80" in text


def test_a_data_date_in_the_future_is_refused(tmp_path: Path) -> None:
    text = _problems(_minimal(tmp_path, "study.yml", 'data_date: "2026-01-15"', 'data_date: "2099-01-15"'))
    assert "study.yml, field 'data_date': The data date is in the future" in text and "'2099-01-15'" in text


def test_a_data_date_before_the_latest_record_is_refused(tmp_path: Path) -> None:
    text = _problems(_minimal(tmp_path, "study.yml", 'data_date: "2026-01-15"', 'data_date: "2022-12-31"'))
    assert "study.yml, field 'data_date': The data date is before a date in the tables" in text
    assert "expected: on or after 2023-" in text and "(the latest date: visits.csv, row" in text


@pytest.mark.parametrize(("field", "text"), [("doi", "X129 <script>alert(1)</script>"),
                                             ("doi", "https://doi.org/10.1111/apt.70016"), ("pmid", "PMID 39921898")])
def test_free_text_where_a_doi_or_pubmed_id_belongs_is_refused(field: str, text: str, tmp_path: Path) -> None:
    old = {"doi": 'doi: "10.1111/apt.70016"', "pmid": 'pmid: "39921898"'}[field]
    message = _problems(_cohen(tmp_path, old, f"{field}: {text!r}", "study.yml"))
    assert f"study.yml, field 'publication.{field}': The " in message and "hint:" in message


def test_a_required_text_of_only_spaces_is_refused_with_its_field(tmp_path: Path) -> None:
    folder = _cohen(tmp_path)
    meta_file = folder / "study.yml"
    meta_file.write_text(meta_file.read_text(encoding="utf-8").replace(
        "  clinical_response: {label: \"Clinical response\"", "  clinical_response: {label: \" \u00a0 \"", 1),
        encoding="utf-8")
    text = _problems(folder)
    assert "study.yml, field 'measures.clinical_response.label': The field 'label' is blank." in text


def test_a_study_folder_hidden_by_its_name_is_named_in_a_warning(tmp_path: Path, capsys) -> None:
    from evidence_site.pipeline import load_studies

    folder = _minimal(tmp_path)
    shutil.copytree(folder, folder.parent / ".hidden-study")
    shutil.copytree(folder, folder.parent / "_draft")
    assert [s.id for s in load_studies(folder.parent)] == ["minimal"]
    warning = capsys.readouterr().err
    assert "WARNING: 2 folder(s)" in warning and ".hidden-study, _draft" in warning
    assert "left out of the site" in warning
