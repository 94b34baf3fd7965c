"""Wording and groupings shared by the summary producers, built from the study's spec and vocabulary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..numbers import Value
from ..validate import Study
from .memo import per_study

ALL_STARTED = "All who started"
ON_TREATMENT = "Still on treatment"
MEDIAN_METHOD = "Median with interquartile range (25th to 75th percentile, linear interpolation)"


def diagnosis_label(study: Study, dx: str) -> str:
    return study.vocab.diagnoses[dx].label


def group_label(study: Study, group: str) -> str:
    """A group in a value's label: its diagnosis; "all" is "all diagnoses", or the one diagnosis of a study that
    has only one (not "all diagnoses" of a study of ulcerative colitis alone)."""
    if group != "all":
        return diagnosis_label(study, group)
    present = diagnoses_present(study)
    return diagnosis_label(study, present[0]) if len(present) == 1 else "all diagnoses"


@per_study
def diagnoses_present(study: Study) -> list[str]:
    """The study's declared diagnoses that have at least one patient, in the declared order."""
    present = set(study.patients["diagnosis"])
    return [dx for dx in study.spec.diagnoses if dx in present]


def advanced_therapies(study: Study) -> tuple[str, ...]:
    """The study's earlier therapies that count in "k or more earlier advanced therapies" (biologics and small
    molecules; conventional ones such as thiopurines are listed on their own but not counted)."""
    return tuple(t for t in study.spec.prior_therapies if study.vocab.therapies[t].advanced)


def groups(study: Study) -> dict[str, str]:
    """'all' and each diagnosis present, with the population wording. A study with one diagnosis has 'all'
    only (the breakdown would repeat it)."""
    out = {"all": ALL_STARTED}
    present = diagnoses_present(study)
    if len(present) > 1:
        for dx in present:
            out[dx] = f"{ALL_STARTED}, {diagnosis_label(study, dx)}"
    return out


def medicine(study: Study) -> str:
    return study.medicine.name


def median_value(id: str, label: str, values: pd.Series, *, population: str, unit: str = "",
                 method: str = MEDIAN_METHOD, timepoint_weeks: int | None = None) -> Value:
    """Median [IQR] of a Series, ignoring missing values; not estimable when empty. The median and quartiles
    are those of pandas' ``Series.median`` and ``Series.quantile`` (numpy's nanmedian and linear quantile)."""
    known = pd.Series(values, dtype="Float64").dropna().to_numpy(dtype=float)
    if not len(known):
        return Value(id, label, "median", None, method, population, timepoint_weeks, denominator=0, unit=unit)
    return Value(id, label, "median", float(np.nanmedian(known)), method, population, timepoint_weeks,
                 denominator=len(known), unit=unit, q1=float(np.quantile(known, 0.25)),
                 q3=float(np.quantile(known, 0.75)))
