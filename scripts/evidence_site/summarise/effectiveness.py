"""Effectiveness at each time point, by diagnosis, with two denominators (pure pandas; the test from ``stats``).

For each outcome, time point (after baseline) and group (``all`` or a diagnosis):

* ``itt``: all who started in the group (for CRP, those whose CRP was raised at baseline). Anyone who
  had stopped, or was not assessed, counts as not achieving the outcome.
* ``obs``: as observed, those still on treatment and assessed for that outcome at that week.

Ids: ``eff_<outcome>_w<week>_<group>_<itt|obs>``; endoscopy ``eff_endoscopic_remission_<group>_<itt|obs>``;
biomarker change ``chg_<marker>_<group>_{base,end,diff,p}``; earlier tofacitinib failure
``tofa_<outcome>_w<week>_<itt|obs>``.
"""

from __future__ import annotations

import pandas as pd

from ..numbers import Value, count, proportion
from ..stats import wilcoxon_p
from ..validate import Study
from .baseline import groups, median_value
from .outcomes import ALL_STARTED, DIAGNOSIS_NAMES, ON_TREATMENT, endoscopy_outcomes, patient_outcomes

# outcome key -> (column of patient_outcomes, study.yml outcome key)
OUTCOMES = {
    "response": ("response", "clinical_response"),
    "remission": ("remission", "clinical_remission"),
    "sf_remission": ("steroid_free_remission", "steroid_free_remission"),
    "crp_normal": ("crp_normal", "crp_normal"),
    "calprotectin": ("calprotectin_below", "calprotectin_remission"),
}
ITT_RULE = "Denominator: all who started; anyone who stopped or was not assessed counts as not achieving it."
OBS_RULE = "Denominator: patients still on treatment and assessed at the week (as observed)."
WILCOXON_METHOD = "Wilcoxon signed-rank test, two-sided (scipy.stats.wilcoxon, default method)"


def group_label(group: str) -> str:
    return "all diagnoses" if group == "all" else DIAGNOSIS_NAMES[group]


def _pair(study: Study, group: str, column: str, outcome: str, week: int, out: pd.DataFrame, prefix: str,
          label_suffix: str, population: str) -> list[Value]:
    """The ITT and as-observed proportions for one outcome, week and set of patients ``out``."""
    o = study.meta["outcomes"][outcome]
    if column == "crp_normal":
        out = out[out["crp_raised_at_start"].fillna(False).astype(bool)]
        population += " with CRP above the limit at baseline"
    achieved = out[column].fillna(False).astype(bool) & out["on_treatment"]
    assessed = out[column].notna()
    label = f"{o['label']} at week {week}{label_suffix}"
    return [
        proportion(f"{prefix}_itt", label, int(achieved.sum()), len(out), population=population,
                   timepoint_weeks=week, method=f"{o['definition']}. {ITT_RULE}"),
        proportion(f"{prefix}_obs", label, int(achieved[assessed].sum()), int(assessed.sum()),
                   population=f"{ON_TREATMENT} and assessed at week {week}, {population[0].lower()}{population[1:]}",
                   timepoint_weeks=week, method=f"{o['definition']}. {OBS_RULE}"),
    ]


def effectiveness_values(study: Study) -> list[Value]:
    """Every outcome × week × group × denominator; ids without the study prefix."""
    weeks = [w for w in study.meta["timepoints_weeks"] if w > 0]
    values: list[Value] = []
    for week in weeks:
        table = patient_outcomes(study, week)
        for group, population in groups(study).items():
            rows = table if group == "all" else table[table["diagnosis"] == group]
            for key, (column, outcome) in OUTCOMES.items():
                values += _pair(study, group, column, outcome, week, rows, f"eff_{key}_w{week}_{group}",
                                f", {group_label(group)}", population)
    values += endoscopy_values(study)
    values += biomarker_values(study)
    values += tofacitinib_values(study)
    return values


def endoscopy_values(study: Study) -> list[Value]:
    """Endoscopic remission at the last repeat endoscopy, of all who started and of those scoped."""
    scopes = endoscopy_outcomes(study)
    dx = study.patients.set_index("patient_id")["diagnosis"]
    o = study.meta["outcomes"]["endoscopic_remission"]
    values = []
    for group, population in groups(study).items():
        members = dx.index if group == "all" else dx.index[dx == group]
        seen = scopes.loc[scopes.index.intersection(members)]
        hits = int(seen["remission"].fillna(False).astype(bool).sum())
        label = f"{o['label']}, {group_label(group)}"
        values.append(proportion(f"eff_endoscopic_remission_{group}_itt", label, hits, len(members),
                                 population=population, method=f"{o['definition']}. Anyone without a repeat "
                                 "endoscopy counts as not in endoscopic remission."))
        values.append(proportion(f"eff_endoscopic_remission_{group}_obs", label, hits, len(seen),
                                 population=f"Patients with a repeat endoscopy, {group_label(group)}",
                                 method=o["definition"]))
    return values


def biomarker_pairs(study: Study, column: str, group: str) -> pd.DataFrame:
    """Paired baseline and final-week values for patients on treatment at the final week with both measured."""
    end = study.meta["timepoints_weeks"][-1]
    v = study.visits.set_index(["patient_id", "week"])[column].astype("Float64")
    on = patient_outcomes(study, end)
    on = on[on["on_treatment"]]
    if group != "all":
        on = on[on["diagnosis"] == group]
    frame = pd.DataFrame({"base": v.xs(0, level="week").reindex(on.index),
                          "end": v.xs(end, level="week").reindex(on.index) if end in v.index.get_level_values(
                              "week") else pd.Series(pd.NA, index=on.index, dtype="Float64")})
    return frame.dropna().astype(float)


MARKERS = {"crp": ("crp_mg_l", "CRP", "mg/L", None), "calprotectin": ("calprotectin_ug_g", "Faecal calprotectin",
                                                                     "µg/g", None),
           "pucai": ("activity_score", "PUCAI", "points", ("UC", "IBDU")),
           "wpcdai": ("activity_score", "wPCDAI", "points", ("CD",))}


def biomarker_values(study: Study) -> list[Value]:
    """Median [IQR] at baseline and at the final week, median paired change, and the Wilcoxon p-value."""
    end = study.meta["timepoints_weeks"][-1]
    values = []
    for marker, (column, name, unit, only) in MARKERS.items():
        for group in groups(study):
            if only and group not in only:
                continue
            pairs = biomarker_pairs(study, column, group)
            population = f"{ON_TREATMENT} at week {end} with both measurements, {group_label(group)}"
            prefix = f"chg_{marker}_{group}"
            values.append(count(f"{prefix}_n", f"{name}: patients with both measurements", len(pairs),
                                population=population, method="Patients with the measurement at baseline and at "
                                f"week {end}, still on treatment"))
            values.append(median_value(f"{prefix}_base", f"{name} at baseline", pairs["base"], population=population,
                                       unit=unit, timepoint_weeks=0))
            values.append(median_value(f"{prefix}_end", f"{name} at week {end}", pairs["end"], population=population,
                                       unit=unit, timepoint_weeks=end))
            values.append(median_value(f"{prefix}_diff", f"Change in {name} from baseline to week {end}",
                                       pairs["end"] - pairs["base"], population=population, unit=unit,
                                       timepoint_weeks=end))
            values.append(wilcoxon_value(f"{prefix}_p", f"{name}: baseline vs week {end}", pairs, population, end))
    return values


def wilcoxon_value(id: str, label: str, pairs: pd.DataFrame, population: str, week: int) -> Value:
    """Two-sided Wilcoxon signed-rank p-value; not estimable with fewer than 2 pairs or all differences zero."""
    diff = pairs["end"] - pairs["base"]
    if len(pairs) < 2 or (diff == 0).all():
        return Value(id, label, "p_value", None, WILCOXON_METHOD, population, week, denominator=len(pairs))
    p = wilcoxon_p(pairs["end"].tolist(), pairs["base"].tolist())
    return Value(id, label, "p_value", p, WILCOXON_METHOD, population, week,
                 denominator=len(pairs))


def tofacitinib_values(study: Study) -> list[Value]:
    """Response, remission and steroid-free remission after earlier tofacitinib failure, two denominators."""
    weeks = [w for w in study.meta["timepoints_weeks"] if w > 0]
    tofa = study.patients.set_index("patient_id")["prior_tofacitinib"].astype(bool)
    if not tofa.any():
        return []
    values = []
    for week in weeks:
        table = patient_outcomes(study, week)[tofa]
        for key in ("response", "remission", "sf_remission"):
            column, outcome = OUTCOMES[key]
            values += _pair(study, "all", column, outcome, week, table, f"tofa_{key}_w{week}",
                            ", earlier tofacitinib failure", f"{ALL_STARTED} with earlier tofacitinib failure")
    return values
