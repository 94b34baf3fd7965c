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


def _cohen(tmp_path: Path, old: str = "", new: str = "", file: str = "results.csv") -> Path:
    folder = tmp_path / "studies" / "cohen"
    shutil.copytree(COHEN, folder)
    if old:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


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

    from conftest import MINIMAL

    folder = tmp_path / "studies" / "minimal"
    shutil.copytree(MINIMAL, folder)
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    shared = yaml.safe_load((paths.DATA / "vocab" / "diagnoses.yml").read_text(encoding="utf-8"))
    meta["vocab"] = {"diagnoses": {"CD": shared["CD"], "PSC": {"label": "Primary sclerosing cholangitis",
                                                               "plain": "a liver disease"}}}
    (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    assert load_study(folder).vocab.diagnoses["PSC"].plain == "a liver disease"
