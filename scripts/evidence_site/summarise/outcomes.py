"""Outcome rules evaluated per patient (pure pandas). The rules are declared in study.yml; nothing here names
an outcome.

A patient is *on treatment* at a week when no discontinuation event has a week at or before it, their
follow-up has not ended before it (``follow_up_end_week``), and the visit of that week (if any) does not say
otherwise. A patient is *assessed* for an outcome at a week when on treatment and every measurement the
rule needs is recorded.
"""

from __future__ import annotations

import pandas as pd

from ..spec import Outcome, StudySpec
from ..validate import Study
from .memo import per_study

ENDOSCOPY_RULE = "endoscopy_at_most"


def weekly_outcomes(spec: StudySpec) -> dict[str, Outcome]:
    """Outcomes evaluated at each time point (every rule except endoscopy), in declaration order."""
    return {k: o for k, o in spec.outcomes.items() if o.rule != ENDOSCOPY_RULE}


def endoscopy_outcomes_of(spec: StudySpec) -> dict[str, Outcome]:
    return {k: o for k, o in spec.outcomes.items() if o.rule == ENDOSCOPY_RULE}


@per_study
def stop_weeks(study: Study) -> pd.Series:
    """Week of each patient's first discontinuation; NA for those who never stopped (indexed by patient id)."""
    events = study.events
    stops = events[events["event_type"] == "discontinuation"].groupby("patient_id")["week"].min()
    ids = study.patients["patient_id"]
    return ids.map(stops).astype("Float64").set_axis(ids.values)


@per_study
def follow_up_end(study: Study) -> pd.Series:
    """Week each patient's follow-up ended: their follow_up_end_week, else the study's follow-up."""
    end = float(study.spec.follow_up_weeks)
    ids = study.patients["patient_id"]
    return study.patients["follow_up_end_week"].astype("Float64").fillna(end).clip(upper=end).set_axis(ids.values)


@per_study
def patients_by_id(study: Study) -> pd.DataFrame:
    """The patients table indexed by patient id."""
    return study.patients.set_index("patient_id")


@per_study
def visits_by_patient_week(study: Study) -> pd.DataFrame:
    """The visits table indexed by (patient id, week)."""
    return study.visits.set_index(["patient_id", "week"])


@per_study
def visits_at(study: Study, week: int) -> pd.DataFrame:
    """Each patient's visit at ``week`` (one row per patient, in the patients' order; all missing without one)."""
    visits = visits_by_patient_week(study)
    at = visits.xs(week, level="week") if week in visits.index.get_level_values("week") else visits.iloc[0:0]
    return at.reindex(patients_by_id(study).index)


@per_study
def patient_outcomes(study: Study, week: int) -> pd.DataFrame:
    """One row per patient at ``week``: diagnosis, on_treatment, and for each weekly outcome ``<key>`` (True,
    False or NA when not assessed) and ``<key>__eligible`` (in the outcome's population: lab rules among
    patients raised at baseline)."""
    spec = study.spec
    patients = patients_by_id(study)
    at, base = visits_at(study, week), visits_at(study, 0)
    out = pd.DataFrame(index=patients.index)
    out["diagnosis"] = patients["diagnosis"]
    stopped = (stop_weeks(study) <= week).fillna(False).astype(bool)
    followed = (follow_up_end(study) >= week).astype(bool)
    out["followed"] = followed
    out["on_treatment"] = ~stopped & followed & at["on_treatment"].fillna(True).astype(bool)
    for key, o in weekly_outcomes(spec).items():
        achieved, measured, eligible = _evaluate(o, spec, at, base, out)
        out[key] = achieved.where(out["on_treatment"] & measured & eligible).astype("boolean")
        out[f"{key}__eligible"] = eligible
    return out


def _evaluate(o: Outcome, spec: StudySpec, at: pd.DataFrame, base: pd.DataFrame, done: pd.DataFrame
              ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(achieved, measured, eligible) for one rule at one week."""
    everyone = pd.Series(True, index=at.index)
    if o.rule in ("score_below", "score_at_most", "fall_from_baseline"):
        score = at["activity_score"].astype("Float64")
        cut = at["activity_index"].map(o.thresholds).astype("Float64")
        if o.rule == "fall_from_baseline":
            same_index = base["activity_index"] == at["activity_index"]
            fall = base["activity_score"].astype("Float64") - score
            return (fall >= cut).fillna(False), score.notna() & cut.notna() & fall.notna() & same_index.fillna(
                False), everyone
        hit = score < cut if o.rule == "score_below" else score <= cut
        return hit.fillna(False), score.notna() & cut.notna(), everyone
    if o.rule in ("lab_below", "lab_at_most"):
        value = at[o.lab].astype("Float64")
        hit = value < o.limit if o.rule == "lab_below" else value <= o.limit
        eligible = everyone
        if o.among == "raised_at_baseline":
            eligible = (base[o.lab].astype("Float64") > o.limit).fillna(False).astype(bool)
        return hit.fillna(False), value.notna(), eligible
    # all_of: every component achieved (and, if steroid-free, no steroids at the visit)
    parts = [done[k] for k in o.of]
    measured = pd.concat([p.notna() for p in parts], axis=1).all(axis=1)
    achieved = pd.concat([p.fillna(False) for p in parts], axis=1).all(axis=1)
    eligible = pd.concat([done[f"{k}__eligible"] for k in o.of], axis=1).all(axis=1)
    if o.steroid_free:
        steroids = at["steroids"]
        measured &= steroids.notna()
        achieved &= (steroids == False).fillna(False)  # noqa: E712
    return achieved, measured, eligible


def endoscopy_results(study: Study, key: str) -> pd.DataFrame:
    """One row per patient with a repeat endoscopy that counts (week > 0; with ``scopes: on_treatment`` only
    before stopping): the last one, and whether it meets the rule."""
    o = study.spec.outcomes[key]
    ev = study.events
    scopes = ev[(ev["event_type"] == "endoscopy") & (ev["week"] > 0)
                & ev["endoscopy_index"].isin(list(o.thresholds))]
    if o.scopes == "on_treatment":
        stop = scopes["patient_id"].map(stop_weeks(study))
        scopes = scopes[~(scopes["week"] >= stop).fillna(False)]
    last = scopes.sort_values(["patient_id", "week"], kind="stable").groupby("patient_id").tail(1)
    last = last.set_index("patient_id")
    last["achieved"] = last["endoscopy_score"] <= last["endoscopy_index"].map(o.thresholds).astype("Float64")
    return last[["week", "endoscopy_index", "endoscopy_score", "achieved"]]
