"""The per-study memo of the summary layer: frames are shared while one study is summarised, never across
studies or after its summary is done, and a study's values are the same however its producers are called."""

from __future__ import annotations

import pandas as pd

from conftest import FIXTURES, load_study
from evidence_site.summarise import PRODUCERS
from evidence_site.summarise.memo import one_study
from evidence_site.summarise.outcomes import patient_outcomes
from evidence_site.validate import Study

OTHER = FIXTURES / "library" / "studies" / "ustekinumab-cd-pcdai"


def test_a_frame_is_computed_once_while_its_study_is_summarised(minimal: Study) -> None:
    week = minimal.spec.timepoints_weeks[-1]
    with one_study(minimal):
        assert patient_outcomes(minimal, week) is patient_outcomes(minimal, week)


def test_outside_a_summary_each_call_computes_afresh(minimal: Study) -> None:
    week = minimal.spec.timepoints_weeks[-1]
    first, second = patient_outcomes(minimal, week), patient_outcomes(minimal, week)
    assert first is not second
    pd.testing.assert_frame_equal(first, second)


def test_nothing_is_kept_after_the_summary_ends(minimal: Study) -> None:
    week = minimal.spec.timepoints_weeks[-1]
    with one_study(minimal):
        inside = patient_outcomes(minimal, week)
    assert patient_outcomes(minimal, week) is not inside


def test_another_study_is_never_served_from_the_memo(minimal: Study) -> None:
    other = load_study(OTHER)
    week = other.spec.timepoints_weeks[-1]
    with one_study(minimal):
        patient_outcomes(minimal, minimal.spec.timepoints_weeks[-1])
        assert patient_outcomes(other, week) is not patient_outcomes(other, week)
        pd.testing.assert_frame_equal(patient_outcomes(other, week), patient_outcomes(other, week))


def test_producers_give_the_same_values_alone_and_sharing_one_memo(minimal: Study) -> None:
    alone = [v for produce in PRODUCERS for v in produce(minimal)]
    with one_study(minimal):
        shared = [v for produce in PRODUCERS for v in produce(minimal)]
    assert alone == shared
