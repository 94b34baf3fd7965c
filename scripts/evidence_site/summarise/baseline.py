"""Table 1: baseline characteristics, overall and by diagnosis, with missing counts (pure pandas).

Ids are ``t1_<row>_<group>`` (group ``all`` or a diagnosis code) and ``t1_<row>_<group>_missing`` for the
number of patients in the group without that item. Percentages use the patients with the item recorded.
"""

from __future__ import annotations

import pandas as pd

from ..numbers import Value, count, mean, proportion
from ..schema import PRIOR_THERAPIES
from ..validate import Study
from .cohort import PRIOR_NAMES
from .outcomes import ALL_STARTED, DIAGNOSIS_NAMES

MEDIAN_METHOD = "Median with interquartile range (25th to 75th percentile, linear interpolation)"


def median_value(id: str, label: str, values: pd.Series, *, population: str, unit: str = "",
                 method: str = MEDIAN_METHOD, timepoint_weeks: int | None = None) -> Value:
    """Median [IQR] of a Series, ignoring missing values; not estimable when empty."""
    series = pd.Series(values, dtype="Float64").dropna().astype(float)
    if series.empty:
        return Value(id, label, "median", None, method, population, timepoint_weeks, denominator=0, unit=unit)
    return Value(id, label, "median", float(series.median()), method, population, timepoint_weeks,
                 denominator=len(series), unit=unit, q1=float(series.quantile(0.25)),
                 q3=float(series.quantile(0.75)))


def groups(study: Study) -> dict[str, str]:
    """'all' and each diagnosis present, with the population wording."""
    out = {"all": ALL_STARTED}
    for dx in sorted(study.patients["diagnosis"].unique()):
        out[dx] = f"{ALL_STARTED}, {DIAGNOSIS_NAMES[dx]}"
    return out


def baseline_frame(study: Study) -> pd.DataFrame:
    """One row per patient: the Table 1 items (patients.csv joined with the week-0 visit)."""
    p = study.patients.set_index("patient_id")
    v = study.visits
    base = v[v["week"] == 0].set_index("patient_id").reindex(p.index)
    out = pd.DataFrame(index=p.index)
    out["diagnosis"] = p["diagnosis"]
    out["female"] = (p["sex"] == "F").astype("boolean").where(p["sex"].notna())
    out["age_at_diagnosis"] = p["age_at_diagnosis_years"].astype("Float64")
    out["age_at_start"] = p["age_at_start_years"].astype("Float64")
    out["duration"] = out["age_at_start"] - out["age_at_diagnosis"]
    prior = p[[f"prior_{t}" for t in PRIOR_THERAPIES]].astype("boolean")
    for t in PRIOR_THERAPIES:
        out[f"prior_{t}"] = prior[f"prior_{t}"]
    n_prior = prior.astype("Int64").sum(axis=1, skipna=False)
    out["prior_2plus"] = (n_prior >= 2).astype("boolean")
    out["prior_3plus"] = (n_prior >= 3).astype("boolean")
    out["steroids"] = p["baseline_steroids"].astype("boolean")
    out["dose_45"] = (p["starting_dose_mg"] == 45).astype("boolean").where(p["starting_dose_mg"].notna())
    score = base["activity_score"].astype("Float64")
    out["pucai"] = score.where(base["activity_index"] == "PUCAI")
    out["wpcdai"] = score.where(base["activity_index"] == "wPCDAI")
    out["crp"] = base["crp_mg_l"].astype("Float64")
    limit = study.meta["outcomes"]["crp_normal"]["upper_limit_mg_l"]
    out["crp_raised"] = (out["crp"] > limit).astype("boolean").where(out["crp"].notna())
    out["calprotectin"] = base["calprotectin_ug_g"].astype("Float64")
    out["weight_z"] = base["weight_z"].astype("Float64")
    out["height_z"] = base["height_z"].astype("Float64")
    return out


def row_specs(study: Study) -> list[tuple[str, str, str, str]]:
    """(row key, label, summary kind, unit): the rows of Table 1 in display order."""
    limit = study.meta["outcomes"]["crp_normal"]["upper_limit_mg_l"]
    rows = [
        ("female", "Female", "proportion", ""),
        ("age_at_diagnosis", "Age at diagnosis", "mean", "years"),
        ("age_at_start", "Age at start of upadacitinib", "mean", "years"),
        ("duration", "Time from diagnosis to start", "median", "years"),
        *((f"prior_{t}", f"Earlier {PRIOR_NAMES[t]} failure", "proportion", "") for t in PRIOR_THERAPIES),
        ("prior_2plus", "Two or more earlier advanced therapies failed", "proportion", ""),
        ("prior_3plus", "Three or more earlier advanced therapies failed", "proportion", ""),
        ("steroids", "On systemic corticosteroids at start", "proportion", ""),
        ("dose_45", "Starting dose 45 mg daily", "proportion", ""),
        ("pucai", "PUCAI at baseline (ulcerative colitis and IBD-U only)", "median", "points"),
        ("wpcdai", "wPCDAI at baseline (Crohn's disease only)", "median", "points"),
        ("crp", "CRP at baseline", "median", "mg/L"),
        ("crp_raised", f"CRP above {limit} mg/L at baseline", "proportion", ""),
        ("calprotectin", "Faecal calprotectin at baseline", "median", "µg/g"),
        ("weight_z", "Weight-for-age z-score at baseline", "mean", ""),
        ("height_z", "Height-for-age z-score at baseline", "mean", ""),
    ]
    return rows


# Table 1 rows whose overall figure is already a cohort value (summarise/cohort.py): the "all" column prints
# that value instead of computing a second copy under another id.
ALL_ALIASES = {"age_at_diagnosis": "age_at_diagnosis_mean", "age_at_start": "age_at_start_mean",
               "steroids": "baseline_steroids", **{f"prior_{t}": f"prior_{t}" for t in PRIOR_THERAPIES}}

# Rows that only apply to one activity index: their missing count is among patients scored on that index.
INDEX_ROWS = {"pucai": ("UC", "IBDU"), "wpcdai": ("CD",)}


def baseline_values(study: Study) -> list[Value]:
    """Table 1 values for every group; ids without the study prefix."""
    frame = baseline_frame(study)
    values: list[Value] = []
    for group, population in groups(study).items():
        rows = frame if group == "all" else frame[frame["diagnosis"] == group]
        if group != "all":  # overall: n_patients
            values.append(count(f"t1_n_{group}", f"Patients, {population.lower()}", len(rows),
                                population=population))
        for key, label, kind, unit in row_specs(study):
            eligible = rows[rows["diagnosis"].isin(INDEX_ROWS[key])] if key in INDEX_ROWS else rows
            if eligible.empty:
                continue
            data = eligible[key]
            vid = f"t1_{key}_{group}"
            if group == "all" and key in ALL_ALIASES:
                pass  # the cohort value is printed; only the missing count is added below
            elif kind == "proportion":
                known = data.dropna()
                values.append(proportion(vid, label, int(known.sum()), len(known), population=population,
                                         timepoint_weeks=0, method="Patients with the characteristic, of those "
                                         "with it recorded"))
            elif kind == "mean":
                values.append(mean(vid, label, data, population=population, unit=unit))
            else:
                values.append(median_value(vid, label, data, population=population, unit=unit, timepoint_weeks=0))
            values.append(count(f"{vid}_missing", f"{label}: not recorded", int(data.isna().sum()),
                                population=population, method="Patients in the group without this item recorded"))
    return values
