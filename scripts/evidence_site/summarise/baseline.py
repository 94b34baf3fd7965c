"""Table 1: baseline characteristics, overall and by diagnosis, with missing counts (pure pandas).

Ids are ``t1_<row>_<group>`` (group ``all`` or a diagnosis code) and ``t1_<row>_<group>_missing`` for the
number of patients in the group without that item. Percentages use the patients with the item recorded.
Rows come from the data: an item no patient has recorded (a column the study does not carry) is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .. import ids
from ..numbers import Value, count, mean, proportion
from ..validate import Study
from .common import advanced_therapies, groups, median_value, medicine

NUMBER_WORDS = {2: "Two", 3: "Three"}


@dataclass(frozen=True)
class Row:
    """One row of Table 1."""

    key: str
    label: str
    kind: str  # proportion, mean or median
    unit: str = ""
    diagnoses: tuple[str, ...] = ()  # rows meant for some diagnoses only (an activity index)
    alias: str = ""  # the overall figure is already this cohort value


def _dose_text(dose: float, unit: str, frequency: str) -> str:
    return f"{dose:g} {unit} {frequency}"


def baseline_frame(study: Study) -> tuple[pd.DataFrame, list[Row]]:
    """One row per patient with the Table 1 items, and the rows in display order."""
    p = study.patients.set_index("patient_id")
    v = study.visits
    base = v[v["week"] == 0].set_index("patient_id").reindex(p.index)
    out = pd.DataFrame(index=p.index)
    rows: list[Row] = []
    out["diagnosis"] = p["diagnosis"]
    out["female"] = (p["sex"] == "F").astype("boolean").where(p["sex"].notna())
    out["age_at_diagnosis"] = p["age_at_diagnosis_years"].astype("Float64")
    out["age_at_start"] = p["age_at_start_years"].astype("Float64")
    out["duration"] = out["age_at_start"] - out["age_at_diagnosis"]
    rows += [Row("female", "Female", "proportion"),
             Row("age_at_diagnosis", "Age at diagnosis", "mean", "years", alias=ids.AGE_AT_DIAGNOSIS_MEAN),
             Row("age_at_start", f"Age at start of {medicine(study)}", "mean", "years", alias=ids.AGE_AT_START_MEAN),
             Row("duration", "Time from diagnosis to start", "median", "years")]
    if study.spec.prior_therapies:
        counted = set(advanced_therapies(study))  # not thiopurines or methotrexate, which are listed on their own
        n_prior = p["prior_therapies"].map(lambda codes: len(counted.intersection(codes)))
        for t in study.spec.prior_therapies:
            out[f"prior_{t}"] = p["prior_therapies"].map(lambda codes, t=t: t in codes).astype("boolean")
            rows.append(Row(f"prior_{t}", f"Earlier {study.vocab.therapies[t].label} failure", "proportion",
                            alias=ids.prior(t)))
        for k in ids.PRIOR_AT_LEAST:
            out[ids.prior_at_least(k)] = (n_prior >= k).astype("boolean")
            rows.append(Row(ids.prior_at_least(k), f"{NUMBER_WORDS[k]} or more earlier advanced therapies failed",
                            "proportion"))
    if p["baseline_steroids"].notna().any():
        out["steroids"] = p["baseline_steroids"].astype("boolean")
        rows.append(Row("steroids", "On systemic corticosteroids at start", "proportion", alias=ids.BASELINE_STEROIDS))
    if p["starting_dose"].notna().any():
        unit = p["dose_unit"].fillna("mg")
        freq = p["dose_frequency"].fillna("once_daily")
        text = pd.Series([_dose_text(d, u, study.vocab.frequencies[f].label) if pd.notna(d) else pd.NA
                          for d, u, f in zip(p["starting_dose"], unit, freq, strict=True)], index=p.index)
        for regimen in sorted(text.dropna().unique(), key=lambda t: (len(t), t)):
            key = "dose_" + re.sub(r"[^a-z0-9]+", "_", regimen.lower()).strip("_")
            out[key] = (text == regimen).astype("boolean").where(text.notna())
            rows.append(Row(key, f"Starting dose {regimen}", "proportion"))
    if (p["formulation"] == "liquid").any():
        out["liquid"] = (p["formulation"].fillna("tablet") == "liquid").astype("boolean")
        rows.append(Row("liquid", "Liquid formulation", "proportion"))
    score = base["activity_score"].astype("Float64")
    for index in [i for i in study.vocab.activity if (base["activity_index"] == i).any()]:
        ix = study.vocab.activity[index]
        out[index.lower()] = score.where(base["activity_index"] == index)
        only = tuple(ix.diagnoses)
        which = " and ".join(study.vocab.diagnoses[d].label for d in only if d in study.spec.diagnoses)
        rows.append(Row(index.lower(), f"{ix.label} at baseline" + (f" ({which} only)" if which else ""),
                        "median", "points", diagnoses=only))
    for column, key, label, unit in (("crp_mg_l", "crp", "CRP at baseline", "mg/L"),
                                     ("calprotectin_ug_g", "calprotectin", "Faecal calprotectin at baseline", "µg/g")):
        if base[column].notna().any():
            out[key] = base[column].astype("Float64")
            rows.append(Row(key, label, "median", unit))
            limit = _raised_limit(study, column)
            if key == "crp" and limit is not None:
                out["crp_raised"] = (out["crp"] > limit).astype("boolean").where(out["crp"].notna())
                rows.append(Row("crp_raised", f"CRP above {limit:g} mg/L at baseline", "proportion"))
    for column, label in (("weight_z", "Weight-for-age z-score at baseline"),
                          ("height_z", "Height-for-age z-score at baseline")):
        if base[column].notna().any():
            out[column] = base[column].astype("Float64")
            rows.append(Row(column, label, "mean"))
    return out, rows


def _raised_limit(study: Study, column: str) -> float | None:
    """The limit of the first lab rule on ``column`` (its 'raised at baseline' cut-off), if any."""
    return next((o.limit for o in study.spec.outcomes.values() if o.lab == column and o.limit is not None), None)


def baseline_values(study: Study) -> list[Value]:
    """Table 1 values for every group; ids without the study prefix."""
    frame, rows = baseline_frame(study)
    values: list[Value] = []
    for group, population in groups(study).items():
        members = frame if group == "all" else frame[frame["diagnosis"] == group]
        if group != "all":  # overall: n_patients
            values.append(count(ids.table1_n(group), f"Patients, {population.lower()}", len(members),
                                population=population))
        for row in rows:
            eligible = members[members["diagnosis"].isin(row.diagnoses)] if row.diagnoses else members
            if eligible.empty:
                continue
            data = eligible[row.key]
            vid = ids.table1(row.key, group)
            if group == "all" and row.alias:
                pass  # the cohort value is printed; only the missing count is added below
            elif row.kind == "proportion":
                known = data.dropna()
                values.append(proportion(vid, row.label, int(known.sum()), len(known), population=population,
                                         timepoint_weeks=0, method="Patients with the characteristic, of those "
                                         "with it recorded"))
            elif row.kind == "mean":
                values.append(mean(vid, row.label, data, population=population, unit=row.unit))
            else:
                values.append(median_value(vid, row.label, data, population=population, unit=row.unit,
                                           timepoint_weeks=0))
            values.append(count(ids.table1_missing(row.key, group), f"{row.label}: not recorded",
                                int(data.isna().sum()), population=population,
                                method="Patients in the group without this item recorded"))
    return values
