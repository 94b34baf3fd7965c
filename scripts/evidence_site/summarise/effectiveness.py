"""Effectiveness at each time point, by diagnosis, with three denominators (pure pandas).

For each weekly outcome rule of the study, time point (after baseline) and group (``all`` or a diagnosis):

* ``itt``: all who started in the group (for lab rules declared ``among: raised_at_baseline``, those raised at
  baseline). Anyone who had stopped, whose follow-up had ended, or who was not assessed counts as not
  achieving the outcome.
* ``on``: those still on treatment at the week; not assessed counts as not achieving it.
* ``obs``: as observed, those still on treatment and assessed for that outcome at that week.

Endoscopy rules are evaluated once, at the last repeat endoscopy. Biomarker and activity-score change from
baseline to the final week is described with medians. Subgroups declared in study.yml get the same
proportions for their outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import ids
from ..numbers import Value, count, proportion
from ..validate import Study
from .common import ALL_STARTED, ON_TREATMENT, group_label, groups, median_value
from .memo import per_study, summary
from .outcomes import endoscopy_outcomes_of, endoscopy_results, patient_outcomes, visits_at, weekly_outcomes

ITT_RULE = ("Denominator: all who started; anyone who had stopped, whose follow-up had ended, or who was not "
            "assessed counts as not achieving it.")
ON_RULE = "Denominator: patients still on treatment at the week; not assessed counts as not achieving it."
OBS_RULE = "Denominator: patients still on treatment and assessed at the week (as observed)."
LAB_NAMES = {"crp_mg_l": ("CRP", "mg/L"), "calprotectin_ug_g": ("Faecal calprotectin", "µg/g")}


def _eligible_text(study: Study, key: str) -> str:
    o = study.spec.outcomes[key]
    if o.rule in ("lab_below", "lab_at_most") and o.among == "raised_at_baseline":
        return f" with {LAB_NAMES[o.lab][0]} above the limit at baseline"
    for part in o.of:
        text = _eligible_text(study, part)
        if text:
            return text
    return ""


@dataclass(frozen=True)
class OutcomeCounts:
    """The counts behind the three denominators of one outcome among a set of patients at one week."""

    eligible: int  # in the outcome's population: the itt denominator
    on: int  # of those, on treatment at the week: the on denominator
    assessed: int  # of those, on treatment and assessed: the obs denominator
    achieved: int  # achieved it while on treatment: the itt and on numerator
    achieved_assessed: int  # of those assessed, achieved it: the obs numerator


@per_study
def outcome_arrays(study: Study, week: int) -> dict[str, np.ndarray]:
    """``patient_outcomes`` at ``week`` as arrays in the patients' order: ``diagnosis``, ``on_treatment``, and
    for each weekly outcome ``<key>__eligible``, ``<key>__achieved`` (True, or False when not achieved or not
    assessed) and ``<key>__assessed``."""
    table = patient_outcomes(study, week)
    arrays = {"diagnosis": table["diagnosis"].to_numpy(),
              "on_treatment": table["on_treatment"].to_numpy(dtype=bool)}
    for key in weekly_outcomes(study.spec):
        arrays[f"{key}__eligible"] = table[f"{key}__eligible"].to_numpy(dtype=bool)
        arrays[f"{key}__achieved"] = table[key].fillna(False).to_numpy(dtype=bool)
        arrays[f"{key}__assessed"] = table[key].notna().to_numpy(dtype=bool)
    return arrays


def group_members(arrays: dict[str, np.ndarray], group: str) -> np.ndarray:
    """Which patients (in the patients' order) are in ``group``: ``all`` or a diagnosis."""
    diagnosis = arrays["diagnosis"]
    return np.ones(len(diagnosis), dtype=bool) if group == "all" else diagnosis == group


def outcome_counts(arrays: dict[str, np.ndarray], key: str, members: np.ndarray) -> OutcomeCounts:
    """The counts of outcome ``key`` among the patients ``members`` (a mask in the patients' order)."""
    rows = members & arrays[f"{key}__eligible"]
    on = arrays["on_treatment"][rows]
    achieved = arrays[f"{key}__achieved"][rows] & on
    assessed = arrays[f"{key}__assessed"][rows]
    return OutcomeCounts(eligible=int(rows.sum()), on=int(on.sum()), assessed=int(assessed.sum()),
                         achieved=int(achieved.sum()), achieved_assessed=int(achieved[assessed].sum()))


def outcome_values(study: Study, key: str, week: int, counts: OutcomeCounts, population: str,
                   make_id, label_suffix: str) -> list[Value]:
    """The itt, on and obs proportions for one outcome and week, from the counts of one set of patients."""
    o = study.spec.outcomes[key]
    population += _eligible_text(study, key)
    label = f"{o.label} at week {week}{label_suffix}"
    lower = population[0].lower() + population[1:]
    return [
        proportion(make_id("itt"), label, counts.achieved, counts.eligible, population=population,
                   timepoint_weeks=week, method=f"{o.definition}. {ITT_RULE}"),
        proportion(make_id("on"), label, counts.achieved, counts.on,
                   population=f"{ON_TREATMENT} at week {week}, {lower}", timepoint_weeks=week,
                   method=f"{o.definition}. {ON_RULE}"),
        proportion(make_id("obs"), label, counts.achieved_assessed, counts.assessed,
                   population=f"{ON_TREATMENT} and assessed at week {week}, {lower}",
                   timepoint_weeks=week, method=f"{o.definition}. {OBS_RULE}"),
    ]


@summary
def effectiveness_values(study: Study) -> list[Value]:
    """Every weekly outcome × week × group × denominator, endoscopy, change from baseline and subgroups."""
    weeks = [w for w in study.spec.timepoints_weeks if w > 0]
    values: list[Value] = []
    for week in weeks:
        arrays = outcome_arrays(study, week)
        for group, population in groups(study).items():
            members = group_members(arrays, group)
            for key in weekly_outcomes(study.spec):
                values += outcome_values(study, key, week, outcome_counts(arrays, key, members), population,
                                         lambda b, k=key, g=group, w=week: ids.effect(k, w, g, b),
                                         f", {group_label(study, group)}")
    values += endoscopy_values(study)
    values += change_values(study)
    values += subgroup_values(study)
    return values


def endoscopy_values(study: Study) -> list[Value]:
    """Each endoscopy rule at the last repeat endoscopy, of all who started and of those scoped."""
    dx = study.patients.set_index("patient_id")["diagnosis"]
    values = []
    for key, o in endoscopy_outcomes_of(study.spec).items():
        scopes = endoscopy_results(study, key)
        which = "while on treatment" if o.scopes == "on_treatment" else "at any time after the first dose"
        for group, population in groups(study).items():
            members = dx.index if group == "all" else dx.index[dx == group]
            seen = scopes.loc[scopes.index.intersection(members)]
            hits = int(seen["achieved"].fillna(False).astype(bool).sum())
            label = f"{o.label}, {group_label(study, group)}"
            values.append(proportion(ids.endoscopy(key, group, "itt"), label, hits, len(members),
                                     population=population, method=f"{o.definition}; the last repeat endoscopy "
                                     f"{which}. Anyone without one counts as not achieving it."))
            values.append(proportion(ids.endoscopy(key, group, "obs"), label, hits, len(seen),
                                     population=f"Patients with a repeat endoscopy, {group_label(study, group)}",
                                     method=f"{o.definition}; the last repeat endoscopy {which}."))
    if endoscopy_outcomes_of(study.spec):
        ev = study.events
        scoped = ev[(ev["event_type"] == "endoscopy") & (ev["week"] > 0)]["patient_id"].nunique()
        values.append(proportion(
            ids.REPEAT_ENDOSCOPY, f"Had a repeat endoscopy within {study.spec.follow_up_weeks} weeks", scoped,
            len(study.patients), population=ALL_STARTED,
            method="Patients with at least one endoscopy after the first dose, at any time during follow-up"))
    return values


def markers(study: Study) -> dict[str, tuple[str, str, str, tuple[str, ...] | None]]:
    """Measures described from baseline to the final week: the labs recorded, and each activity index used.

    marker -> (column, name, unit, diagnoses or None for all)."""
    out: dict[str, tuple[str, str, str, tuple[str, ...] | None]] = {}
    for column, (name, unit) in LAB_NAMES.items():
        if study.visits[column].notna().any():
            out[name.split()[-1].lower()] = (column, name, unit, None)
    for column, key, name in (("height_z", "height_z", "Height-for-age z-score"),
                              ("weight_z", "weight_z", "Weight-for-age z-score")):
        if study.visits[column].notna().any():  # growth, where the data have it
            out[key] = (column, name, "z", None)
    for index in sorted(study.visits["activity_index"].dropna().unique()):
        spec = study.vocab.activity[index]
        out[index.lower()] = (f"activity_score:{index}", spec.label, "points", tuple(spec.diagnoses) or None)
    return out


@per_study
def marker_at(study: Study, column: str, week: int) -> pd.Series:
    """Each patient's ``column`` (``activity_score:<index>``: the score on that activity index) at ``week``, as
    Float64 indexed by patient id in the patients' order; missing when not recorded then."""
    at = visits_at(study, week)
    if not column.startswith("activity_score:"):
        return at[column].astype("Float64")
    column, index = column.split(":")
    return at[column].astype("Float64").where((at["activity_index"] == index).fillna(False).astype(bool))


def change_pairs(study: Study, column: str, group: str) -> pd.DataFrame:
    """Paired baseline and final-week values for patients on treatment at the final week with both measured."""
    end = study.spec.timepoints_weeks[-1]
    arrays = outcome_arrays(study, end)
    on = arrays["on_treatment"] & group_members(arrays, group)
    frame = pd.DataFrame({"base": marker_at(study, column, 0)[on], "end": marker_at(study, column, end)[on]})
    return frame.dropna().astype(float)


def change_values(study: Study) -> list[Value]:
    """Median [IQR] at baseline and at the final week, and the median paired change (descriptive only)."""
    end = study.spec.timepoints_weeks[-1]
    values = []
    single = len(groups(study)) == 1
    for marker, (column, name, unit, only) in markers(study).items():
        for group in groups(study):
            if only and not single and group not in only:
                continue  # an index meant for some diagnoses: reported for those diagnoses only
            pairs = change_pairs(study, column, group)
            population = f"{ON_TREATMENT} at week {end} with both measurements, {group_label(study, group)}"
            values.append(count(ids.change(marker, group, "n"), f"{name}: patients with both measurements",
                                len(pairs), population=population, method="Patients with the measurement at "
                                f"baseline and at week {end}, still on treatment"))
            values.append(median_value(ids.change(marker, group, "base"), f"{name} at baseline", pairs["base"],
                                       population=population, unit=unit, timepoint_weeks=0))
            values.append(median_value(ids.change(marker, group, "end"), f"{name} at week {end}", pairs["end"],
                                       population=population, unit=unit, timepoint_weeks=end))
            values.append(median_value(ids.change(marker, group, "diff"),
                                       f"Change in {name} from baseline to week {end}", pairs["end"] - pairs["base"],
                                       population=population, unit=unit, timepoint_weeks=end))
    return values


def subgroup_values(study: Study) -> list[Value]:
    """The declared subgroups' outcomes at each week, three denominators."""
    weeks = [w for w in study.spec.timepoints_weeks if w > 0]
    prior = study.patients["prior_therapies"]
    values: list[Value] = []
    for key, g in study.spec.subgroups.items():
        members = prior.map(lambda codes, t=g.prior_therapy: t in codes).to_numpy(dtype=bool)
        if not members.any():
            continue
        for week in weeks:
            arrays = outcome_arrays(study, week)
            for outcome in g.outcomes:
                values += outcome_values(study, outcome, week, outcome_counts(arrays, outcome, members),
                                         f"{ALL_STARTED}, {g.label.lower()}",
                                         lambda b, k=key, o=outcome, w=week: ids.subgroup(k, o, w, b),
                                         f", {g.label.lower()}")
    return values
