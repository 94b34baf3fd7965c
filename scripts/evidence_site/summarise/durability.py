"""Durability: Kaplan–Meier treatment persistence, reasons for stopping, dose escalation (pandas + ``stats``).

Persistence time is the week of the first discontinuation event; patients who never stopped are censored
at the end of follow-up. The Kaplan–Meier estimate and its 95% band are computed as ``scipy.stats.ecdf`` gives them, on
right-censored data (log-log interval).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from .. import stats
from ..numbers import Value, count, proportion
from ..schema import DISCONTINUATION_REASONS
from ..validate import Study
from .baseline import median_value
from .outcomes import ALL_STARTED, patient_outcomes, stop_weeks

KM_METHOD = "Kaplan–Meier estimate (scipy.stats.ecdf, right-censored at the end of follow-up)"
KM_CI = "Log-log (exponential Greenwood) interval, 95%"
REASON_NAMES = {"lack_of_response": "No response", "loss_of_response": "Response lost",
                "adverse_event": "Adverse event", "patient_choice": "Patient or family choice", "other": "Other"}


def persistence_times(study: Study) -> pd.DataFrame:
    """Per patient: ``time`` in weeks and ``stopped`` (True: stopped then; False: censored at end of follow-up)."""
    end = float(study.meta["follow_up_weeks"])
    stops = stop_weeks(study).astype(float)
    stopped = stops.notna() & (stops <= end)
    return pd.DataFrame({"time": stops.where(stopped, end), "stopped": stopped})


def kaplan_meier(times: pd.DataFrame) -> stats.SurvivalCurve:
    """The Kaplan–Meier estimate for the persistence times (as ``scipy.stats.ecdf(...).sf``; see ``stats``)."""
    return stats.kaplan_meier(times["time"].tolist(), times["stopped"].tolist())


def km_curve(study: Study) -> pd.DataFrame:
    """Step points of the curve with its 95% band: one row per distinct stopping time, starting at week 0."""
    times = persistence_times(study)
    end = float(study.meta["follow_up_weeks"])
    grid = np.array(sorted({0.0, end, *times.loc[times["stopped"], "time"]}))
    return km_at(times, grid)


def km_at(times: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    """Estimate, band and number at risk at each week of ``grid`` (at risk: time on study ≥ the week)."""
    if not times["stopped"].any():
        ones = np.ones(len(grid))
        return pd.DataFrame({"week": grid, "surv": ones, "low": np.full(len(grid), np.nan),
                             "high": np.full(len(grid), np.nan),
                             "at_risk": [int((times["time"] >= w).sum()) for w in grid]})
    km = kaplan_meier(times)
    low, high = km.band()  # the log-log band is undefined (NaN) where the estimate is 1 or 0
    return pd.DataFrame({"week": grid, "surv": km.evaluate(grid), "low": km.evaluate(grid, low),
                         "high": km.evaluate(grid, high),
                         "at_risk": [int((times["time"] >= w).sum()) for w in grid]})


def durability_values(study: Study) -> list[Value]:
    """Persistence, stopping reasons and dose escalation; ids without the study prefix."""
    weeks = study.meta["timepoints_weeks"]
    end = weeks[-1]
    times = persistence_times(study)
    table = km_at(times, np.array(weeks, dtype=float))
    n = len(times)
    values: list[Value] = []
    for row in table.itertuples():
        w = int(row.week)
        low = None if np.isnan(row.low) else float(row.low)
        high = None if np.isnan(row.high) else float(row.high)
        values.append(Value(f"km_w{w}", f"Still on upadacitinib at week {w} (Kaplan–Meier)", "survival",
                            float(row.surv), KM_METHOD, ALL_STARTED, w, ci_low=low, ci_high=high,
                            ci_method=KM_CI if low is not None else None))
        values.append(count(f"km_at_risk_w{w}", f"Number at risk at week {w}", row.at_risk, population=ALL_STARTED,
                            method="Patients still on treatment and under follow-up at the week"))
    stopped = times[times["stopped"]]
    values.append(proportion("stopped", f"Stopped upadacitinib within {end} weeks", len(stopped), n,
                             population=ALL_STARTED, timepoint_weeks=end,
                             method="Patients with a discontinuation event within follow-up"))
    values.append(median_value("stop_week", "Week of stopping", stopped["time"],
                               population="Patients who stopped", unit="weeks"))
    ev = study.events
    reasons = ev[(ev["event_type"] == "discontinuation") & ev["patient_id"].isin(stopped.index)]
    first = reasons.sort_values("week").groupby("patient_id").head(1)
    for reason in DISCONTINUATION_REASONS:
        k = int((first["reason"] == reason).sum())
        if k:
            values.append(proportion(f"stop_reason_{reason}", REASON_NAMES[reason], k, len(stopped),
                                     population="Patients who stopped",
                                     method="Reason recorded at the first discontinuation"))
    unknown = int(first["reason"].isna().sum())
    if unknown:
        values.append(proportion("stop_reason_missing", "Reason not recorded", unknown, len(stopped),
                                 population="Patients who stopped",
                                 method="Reason recorded at the first discontinuation"))
    values += flow_values(study)
    values += escalation_values(study)
    return values


def flow_values(study: Study) -> list[Value]:
    """Patient flow: on treatment at each time point, and who stopped in each interval, with reasons."""
    weeks = study.meta["timepoints_weeks"]
    ev = study.events
    stops = ev[ev["event_type"] == "discontinuation"].sort_values("week").groupby("patient_id").head(1)
    values = []
    for before, week in pairwise(weeks):
        on = patient_outcomes(study, week)["on_treatment"]
        values.append(count(f"flow_on_w{week}", f"On treatment at week {week}", int(on.sum()),
                            population=ALL_STARTED, method="Patients with no discontinuation event up to the week"))
        lo = -1 if before == weeks[0] else before  # stops at week 0 belong to the first interval
        window = stops[(stops["week"] > lo) & (stops["week"] <= week)]
        values.append(count(f"flow_stop_w{week}", f"Stopped after week {before}, up to week {week}", len(window),
                            population=ALL_STARTED, method="First discontinuation events in the interval"))
        for reason in DISCONTINUATION_REASONS:
            k = int((window["reason"] == reason).sum())
            if k:
                values.append(count(f"flow_stop_w{week}_{reason}", f"{REASON_NAMES[reason]}, stopped after week "
                                    f"{before}, up to week {week}", k, population=ALL_STARTED,
                                    method="First discontinuation events in the interval, by recorded reason"))
    return values


def escalation_values(study: Study) -> list[Value]:
    """How many had the dose raised, when, to what, and how they were doing at the final week."""
    end = study.meta["timepoints_weeks"][-1]
    ev = study.events
    esc = ev[(ev["event_type"] == "dose_escalation") & (ev["week"] <= study.meta["follow_up_weeks"])]
    first = esc.sort_values("week").groupby("patient_id").head(1).set_index("patient_id")
    n = len(study.patients)
    values = [proportion("esc_any", "Dose escalated", len(first), n, population=ALL_STARTED, timepoint_weeks=end,
                         method=f"Patients with at least one dose escalation within {study.meta['follow_up_weeks']} "
                                "weeks"),
              median_value("esc_week", "Week of the first dose escalation", first["week"],
                           population="Patients whose dose was escalated", unit="weeks")]
    for dose in sorted(first["new_dose_mg"].dropna().astype(int).unique()):
        values.append(proportion(f"esc_to_{dose}", f"Escalated to {dose} mg daily",
                                 int((first["new_dose_mg"] == dose).sum()), len(first),
                                 population="Patients whose dose was escalated",
                                 method="New daily dose at the first escalation"))
    after = patient_outcomes(study, end).loc[first.index]
    population = "Patients whose dose was escalated"
    o = study.meta["outcomes"]
    values.append(proportion(f"esc_on_treatment_w{end}", f"Still on upadacitinib at week {end} after escalation",
                             int(after["on_treatment"].sum()), len(after), population=population,
                             timepoint_weeks=end, method="No discontinuation event up to the week"))
    for key, column in (("response", "response"), ("remission", "remission"),
                        ("sf_remission", "steroid_free_remission")):
        outcome = {"response": "clinical_response", "remission": "clinical_remission",
                   "sf_remission": "steroid_free_remission"}[key]
        values.append(proportion(
            f"esc_{key}_w{end}", f"{o[outcome]['label']} at week {end} after escalation",
            int(after[column].fillna(False).astype(bool).sum()), len(after), population=population,
            timepoint_weeks=end, method=f"{o[outcome]['definition']}. Anyone who stopped or was not assessed "
                                        "counts as not achieving it."))
    return values
