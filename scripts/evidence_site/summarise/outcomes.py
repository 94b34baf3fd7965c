"""Per-patient outcomes at a time point, and the headline effectiveness values (pure pandas)."""

from __future__ import annotations

import pandas as pd

from ..numbers import Value, proportion
from ..validate import Study

DIAGNOSIS_NAMES = {"CD": "Crohn's disease", "UC": "ulcerative colitis", "IBDU": "IBD-unclassified"}
ALL_STARTED = "All who started"
ON_TREATMENT = "Still on treatment"


def stop_weeks(study: Study) -> pd.Series:
    """Week of each patient's first discontinuation; NaN for those who never stopped."""
    events = study.events
    stops = events[events["event_type"] == "discontinuation"].groupby("patient_id")["week"].min()
    return study.patients["patient_id"].map(stops).astype("Float64").set_axis(study.patients["patient_id"].values)


def patient_outcomes(study: Study, week: int) -> pd.DataFrame:
    """One row per patient: on treatment at ``week``, assessed, and each outcome there (NA when not assessed).

    A patient is on treatment at ``week`` unless a discontinuation event has a week at or before it.
    Outcomes come from the visit row of that week; response compares with the week-0 score.
    """
    o = study.meta["outcomes"]
    patients = study.patients.set_index("patient_id")
    visits = study.visits.set_index(["patient_id", "week"])
    at = visits.xs(week, level="week") if week in visits.index.get_level_values("week") else visits.iloc[0:0]
    base = visits.xs(0, level="week")
    stopped = stop_weeks(study)
    out = pd.DataFrame(index=patients.index)
    out["diagnosis"] = patients["diagnosis"]
    out["on_treatment"] = ~(stopped <= week).fillna(False).astype(bool)
    out["on_treatment"] &= at["on_treatment"].reindex(out.index).fillna(True).astype(bool)
    score = at["activity_score"].reindex(out.index)
    index = at["activity_index"].reindex(out.index)
    out["assessed"] = out["on_treatment"] & score.notna()
    remission_cut = index.map(o["clinical_remission"]["thresholds"]).astype("Float64")
    response_cut = index.map(o["clinical_response"]["thresholds"]).astype("Float64")
    out["remission"] = (score < remission_cut).where(out["assessed"])
    out["response"] = ((base["activity_score"].reindex(out.index) - score) >= response_cut).where(out["assessed"])
    steroids = at["steroids"].reindex(out.index)
    out["steroid_free_remission"] = (out["remission"] & (steroids == False)).where(  # noqa: E712
        out["assessed"] & steroids.notna())
    limit = o["crp_normal"]["upper_limit_mg_l"]
    out["crp_raised_at_start"] = base["crp_mg_l"].reindex(out.index) > limit
    crp = at["crp_mg_l"].reindex(out.index)
    out["crp_normal"] = (crp <= limit).where(out["on_treatment"] & crp.notna())
    calpro = at["calprotectin_ug_g"].reindex(out.index)
    out["calprotectin_below"] = (calpro < o["calprotectin_remission"]["threshold_ug_g"]).where(
        out["on_treatment"] & calpro.notna())
    return out


def endoscopy_outcomes(study: Study) -> pd.DataFrame:
    """One row per patient with a repeat endoscopy (week > 0): the last one, and whether it shows remission."""
    cuts = study.meta["outcomes"]["endoscopic_remission"]["thresholds"]
    ev = study.events
    scopes = ev[(ev["event_type"] == "endoscopy") & (ev["week"] > 0)].sort_values(["patient_id", "week"])
    last = scopes.groupby("patient_id").tail(1).set_index("patient_id")
    last["remission"] = last["endoscopy_score"] <= last["endoscopy_index"].map(cuts).astype("Float64")
    return last[["week", "endoscopy_index", "endoscopy_score", "remission"]]


def headline_values(study: Study) -> list[Value]:
    """The values behind the published headline figures (and their companions), ids without the study prefix."""
    weeks = study.meta["timepoints_weeks"]
    end = weeks[-1]
    n = len(study.patients)
    at_end = patient_outcomes(study, end)
    on = at_end[at_end["on_treatment"]]
    o = study.meta["outcomes"]
    values = [
        proportion(f"persistence_w{end}", f"Still on upadacitinib at week {end}", int(at_end["on_treatment"].sum()), n,
                   population=ALL_STARTED, timepoint_weeks=end,
                   method="Patients with no discontinuation event up to the week, of all who started"),
    ]
    for dx in sorted(study.patients["diagnosis"].unique()):
        group = on[on["diagnosis"] == dx]
        values.append(proportion(
            f"sf_remission_w{end}_{dx}", f"{o['steroid_free_remission']['label']} at week {end}, {DIAGNOSIS_NAMES[dx]}",
            int(group["steroid_free_remission"].fillna(False).sum()), len(group),
            population=f"{ON_TREATMENT} at week {end}, {DIAGNOSIS_NAMES[dx]}", timepoint_weeks=end,
            method=f"{o['steroid_free_remission']['definition']}; {o['clinical_remission']['definition']}. "
                   "Not assessed counts as not in remission."))
        values.append(proportion(
            f"on_treatment_w{end}_{dx}", f"Still on upadacitinib at week {end}, {DIAGNOSIS_NAMES[dx]}",
            len(group), int((at_end["diagnosis"] == dx).sum()), population=f"{ALL_STARTED}, {DIAGNOSIS_NAMES[dx]}",
            timepoint_weeks=end, method="Patients with no discontinuation event up to the week"))
    raised = on[on["crp_raised_at_start"]]
    values.append(proportion(
        f"crp_normalised_w{end}", f"CRP normalised at week {end}", int(raised["crp_normal"].fillna(False).sum()),
        len(raised), population=f"{ON_TREATMENT} at week {end} with CRP above the limit at baseline",
        timepoint_weeks=end, method=o["crp_normal"]["definition"] + ". Not measured counts as not normalised."))
    scopes = endoscopy_outcomes(study)
    values.append(proportion(
        "repeat_endoscopy", f"Had a repeat endoscopy within {end} weeks", len(scopes), n, population=ALL_STARTED,
        method="Patients with at least one endoscopy after the first dose, at any time during follow-up"))
    values.append(proportion(
        "endoscopic_remission", "Endoscopic remission at the last repeat endoscopy", int(scopes["remission"].sum()),
        len(scopes), population="Patients with a repeat endoscopy",
        method=o["endoscopic_remission"]["definition"] + "; the last repeat endoscopy at any time during follow-up"))
    tofa = at_end[study.patients.set_index("patient_id")["prior_tofacitinib"].astype(bool)]
    values.append(proportion(
        "tofacitinib_response", f"Clinical response at week {end} after earlier tofacitinib failure",
        int(tofa["response"].fillna(False).sum()), len(tofa),
        population=f"{ALL_STARTED} with earlier tofacitinib failure", timepoint_weeks=end,
        method=o["clinical_response"]["definition"] + ". Anyone who stopped counts as not responding."))
    return values
