"""Who was in the cohort: size, diagnoses, ages and earlier treatments (pure pandas)."""

from __future__ import annotations

from ..numbers import Value, count, mean, proportion
from ..schema import PRIOR_THERAPIES
from ..validate import Study
from .outcomes import ALL_STARTED, DIAGNOSIS_NAMES

PRIOR_NAMES = {"anti_tnf": "anti-TNF", "ustekinumab": "ustekinumab", "vedolizumab": "vedolizumab",
               "tofacitinib": "tofacitinib", "risankizumab": "risankizumab"}


def cohort_values(study: Study) -> list[Value]:
    """Size, diagnosis split, mean ages and earlier treatment failures; ids without the study prefix."""
    p = study.patients
    n = len(p)
    values = [count("n_patients", "Patients who started upadacitinib", n, population=ALL_STARTED)]
    for dx, name in DIAGNOSIS_NAMES.items():
        k = int((p["diagnosis"] == dx).sum())
        if k:
            values.append(proportion(f"diagnosis_{dx}", f"Diagnosis: {name}", k, n, population=ALL_STARTED,
                                     method="Diagnosis recorded at the start of treatment"))
    values.append(mean("age_at_diagnosis_mean", "Mean age at diagnosis", p["age_at_diagnosis_years"],
                       population=ALL_STARTED, unit="years"))
    values.append(mean("age_at_start_mean", "Mean age at start of upadacitinib", p["age_at_start_years"],
                       population=ALL_STARTED, unit="years"))
    for therapy in PRIOR_THERAPIES:
        values.append(proportion(
            f"prior_{therapy}", f"Earlier {PRIOR_NAMES[therapy]} failure", int(p[f"prior_{therapy}"].sum()), n,
            population=ALL_STARTED, method="Earlier treatment that failed, as recorded in the chart"))
    values.append(proportion("baseline_steroids", "On corticosteroids at start", int(p["baseline_steroids"].sum()), n,
                             population=ALL_STARTED, timepoint_weeks=0,
                             method="Systemic corticosteroids recorded at the start of treatment"))
    return values
