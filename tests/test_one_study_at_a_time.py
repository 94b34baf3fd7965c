"""A build holds one study's patient-level tables at a time: each study is read, validated, summarised and drawn,
then its tables go before the next is read; what the pages need of all studies at once comes from what was kept.
The problems of every study are still reported together, naming file, row and column."""

from __future__ import annotations

import gc
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import MINIMAL
from evidence_site import paths
from evidence_site.errors import BuildError
from evidence_site.pipeline import generate, load_studies, read_studies, site_inputs
from evidence_site.validate import Study, StudyInfo

IDS = ("study-a", "study-b", "study-c")


def _library(tmp_path: Path, broken: tuple[str, ...] = ()) -> Path:
    studies = tmp_path / "studies"
    for sid in IDS:
        shutil.copytree(MINIMAL, studies / sid)
        if sid in broken:  # an age that is not a number, in the first patient's row
            patients = studies / sid / "patients.csv"
            lines = patients.read_text(encoding="utf-8").splitlines(keepends=True)
            lines[1] = lines[1].replace(",8,13,", ",eight,13,", 1)
            patients.write_text("".join(lines), encoding="utf-8")
    return studies


def test_a_build_lets_each_study_s_tables_go_before_reading_the_next(tmp_path: Path) -> None:
    held: list[weakref.ref] = []

    def watched(studies: Iterator[Study]) -> Iterator[Study]:
        for study in studies:
            gc.collect()
            assert all(r() is None for r in held), "an earlier study's tables are still held"
            held.extend(weakref.ref(getattr(study, table)) for table in ("patients", "visits", "events"))
            yield study
            del study

    generated = generate(watched(read_studies(_library(tmp_path))), paths.TEMPLATES, site=site_inputs())
    gc.collect()
    assert len(held) == 3 * len(IDS) and all(r() is None for r in held)
    assert [s.id for s in generated.studies] == list(IDS)
    assert all(isinstance(s, StudyInfo) and not hasattr(s, "patients") for s in generated.studies)
    assert all(f"clinicians/{sid}/index.md" in generated.files for sid in IDS)


def test_the_same_pages_from_studies_read_one_at_a_time_or_all_at_once(tmp_path: Path) -> None:
    studies = _library(tmp_path)
    at_once = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    in_turn = generate(read_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert in_turn.files == at_once.files
    assert in_turn.manifest() == at_once.manifest()


def test_problems_of_every_study_are_reported_together_and_no_later_study_is_summarised(tmp_path: Path) -> None:
    yielded: list[str] = []
    with pytest.raises(BuildError) as raised:
        for study in read_studies(_library(tmp_path, broken=("study-b", "study-c"))):
            yielded.append(study.id)
    message = str(raised.value)
    assert "study-b" in message and "study-c" in message and "patients.csv" in message and "'eight'" in message
    assert yielded == ["study-a"]  # after the first study with problems the rest are only checked


def test_the_build_log_names_every_study_once_all_are_read(tmp_path: Path) -> None:
    said: list[str] = []
    assert [s.id for s in read_studies(_library(tmp_path), progress=said.append)] == list(IDS)
    assert said == ["validated 3 study(ies): " + ", ".join(f"{sid} (6 patients, synthetic data)" for sid in IDS)]
