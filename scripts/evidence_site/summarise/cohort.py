"""Who was in the cohort: size, diagnoses, ages and earlier treatments (pure pandas)."""

from __future__ import annotations

from .. import ids
from ..numbers import Value, count, mean, proportion
from ..validate import Study
from .common import ALL_STARTED, diagnoses_present, diagnosis_label, medicine


def cohort_values(study: Study) -> list[Value]:
    """Size, diagnosis split, mean ages and earlier treatment failures; ids without the study prefix."""
    p = study.patients
    n = len(p)
    values = [count(ids.N_PATIENTS, f"Patients who started {medicine(study)}", n, population=ALL_STARTED)]
    for dx in diagnoses_present(study):
        k = int((p["diagnosis"] == dx).sum())
        values.append(proportion(ids.diagnosis(dx), f"Diagnosis: {diagnosis_label(study, dx)}", k, n,
                                 population=ALL_STARTED, method="Diagnosis recorded at the start of treatment"))
    values.append(mean(ids.AGE_AT_DIAGNOSIS_MEAN, "Mean age at diagnosis", p["age_at_diagnosis_years"],
                       population=ALL_STARTED, unit="years"))
    values.append(mean(ids.AGE_AT_START_MEAN, f"Mean age at start of {medicine(study)}", p["age_at_start_years"],
                       population=ALL_STARTED, unit="years"))
    for therapy in study.spec.prior_therapies:
        had = p["prior_therapies"].map(lambda codes, t=therapy: t in codes)
        values.append(proportion(
            ids.prior(therapy), f"Earlier {study.vocab.therapies[therapy].label} failure", int(had.sum()), n,
            population=ALL_STARTED, method="Earlier treatment that failed, as recorded in the chart"))
    if p["baseline_steroids"].notna().any():
        values.append(proportion(ids.BASELINE_STEROIDS, "On corticosteroids at start",
                                 int(p["baseline_steroids"].fillna(False).sum()), int(p["baseline_steroids"].notna()
                                                                                      .sum()),
                                 population=ALL_STARTED, timepoint_weeks=0,
                                 method="Systemic corticosteroids recorded at the start of treatment"))
    return values
