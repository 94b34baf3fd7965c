"""Durability: Kaplan–Meier treatment persistence, reasons for stopping, dose changes, surgery (pandas + ``stats``).

Persistence time is the week of the first discontinuation event; patients who never stopped are censored
at the end of follow-up. The Kaplan–Meier estimate and its 95% band come from ``scipy.stats.ecdf`` on
right-censored data (log-log interval).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from .. import ids, stats
from ..numbers import Value, count, proportion
from ..validate import Study
from .common import ALL_STARTED, median_value, medicine
from .memo import summary
from .outcomes import follow_up_end, patient_outcomes, stop_weeks, weekly_outcomes

KM_METHOD = ("Kaplan–Meier estimate (scipy.stats.ecdf), right-censored at the end of each patient's follow-up "
             "(the study's end, or earlier when follow-up ended early)")
KM_CI = "Log-log (exponential Greenwood) interval, 95%, pointwise"


def persistence_times(study: Study) -> pd.DataFrame:
    """Per patient: ``time`` in weeks and ``stopped`` (True: stopped then; False: censored at the end of their
    follow-up)."""
    end = follow_up_end(study).astype(float)
    stops = stop_weeks(study).astype(float)
    stopped = stops.notna() & (stops <= end)
    return pd.DataFrame({"time": stops.where(stopped, end), "stopped": stopped})


def kaplan_meier(times: pd.DataFrame) -> stats.SurvivalCurve:
    """The Kaplan–Meier estimate for the persistence times (as ``scipy.stats.ecdf(...).sf``; see ``stats``)."""
    return stats.kaplan_meier(times["time"].tolist(), times["stopped"].tolist())


def km_curve(study: Study, at_visits: bool = False) -> pd.DataFrame:
    """Step points of the curve with its 95% band, starting at week 0: one row per distinct stopping time, or
    with ``at_visits`` one row per assessment week (each drop drawn at the visit by which it happened). The
    stopping weeks themselves are individual children's values: a curve that steps at each of them gives
    them all back (an outside tester read every one from the chart), so protected studies step at visits."""
    times = persistence_times(study)
    end = float(study.spec.follow_up_weeks)
    steps = study.spec.timepoints_weeks if at_visits else times.loc[times["stopped"], "time"]
    grid = np.array(sorted({0.0, end, *map(float, steps)}))
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


@summary
def durability_values(study: Study) -> list[Value]:
    """Persistence, stopping reasons, patient flow, dose changes and surgery; ids without the study prefix."""
    weeks = study.spec.timepoints_weeks
    end = weeks[-1]
    name = medicine(study)
    times = persistence_times(study)
    table = km_at(times, np.array(weeks, dtype=float))
    n = len(times)
    values: list[Value] = []
    for row in table.itertuples():
        w = int(row.week)
        low = None if np.isnan(row.low) else float(row.low)
        high = None if np.isnan(row.high) else float(row.high)
        values.append(Value(ids.km(w), f"Still on {name} at week {w} (Kaplan–Meier)", "survival",
                            float(row.surv), KM_METHOD, ALL_STARTED, w, ci_low=low, ci_high=high,
                            ci_method=KM_CI if low is not None else None))
        values.append(count(ids.km_at_risk(w), f"Number at risk at week {w}", row.at_risk, population=ALL_STARTED,
                            method="Patients still on treatment and under follow-up at the week"))
    at_end = patient_outcomes(study, end)
    values.append(proportion(ids.persistence(end), f"Still on {name} at week {end}",
                             int(at_end["on_treatment"].sum()), n, population=ALL_STARTED, timepoint_weeks=end,
                             method="Patients known to be on treatment at the week (no discontinuation event and "
                                    "still under follow-up), of all who started"))
    for dx in sorted(at_end["diagnosis"].unique()):
        group = at_end[at_end["diagnosis"] == dx]
        label = study.vocab.diagnoses[dx].label
        values.append(proportion(ids.on_treatment(end, dx), f"Still on {name} at week {end}, {label}",
                                 int(group["on_treatment"].sum()), len(group), population=f"{ALL_STARTED}, {label}",
                                 timepoint_weeks=end, method="Patients known to be on treatment at the week"))
    stopped = times[times["stopped"]]
    values.append(proportion(ids.STOPPED, f"Stopped {name} within {end} weeks", len(stopped), n,
                             population=ALL_STARTED, timepoint_weeks=end,
                             method="Patients with a discontinuation event within follow-up"))
    values.append(median_value(ids.STOP_WEEK, "Week of stopping", stopped["time"],
                               population="Patients who stopped", unit="weeks"))
    ev = study.events
    reasons = ev[(ev["event_type"] == "discontinuation") & ev["patient_id"].isin(stopped.index)]
    first = reasons.sort_values("week").groupby("patient_id").head(1)
    for reason, term in study.vocab.stop_reasons.items():
        k = int((first["reason"] == reason).sum())
        if k:
            values.append(proportion(ids.stop_reason(reason), term.label, k, len(stopped),
                                     population="Patients who stopped",
                                     method="Reason recorded at the first discontinuation"))
    values += flow_values(study)
    values += dose_values(study)
    values += surgery_values(study)
    return values


def flow_values(study: Study) -> list[Value]:
    """Patient flow: on treatment at each time point, who stopped in each interval (with reasons), and whose
    follow-up ended in it."""
    weeks = study.spec.timepoints_weeks
    ev = study.events
    stops = ev[ev["event_type"] == "discontinuation"].sort_values("week").groupby("patient_id").head(1)
    ended = follow_up_end(study)
    stop_at = stop_weeks(study)
    lost = ended[(ended < float(study.spec.follow_up_weeks)) & ~(stop_at <= ended).fillna(False)]
    values = []
    for before, week in pairwise(weeks):
        on = patient_outcomes(study, week)["on_treatment"]
        values.append(count(ids.flow_on(week), f"On treatment at week {week}", int(on.sum()),
                            population=ALL_STARTED, method="Patients with no discontinuation event up to the week "
                                                           "and still under follow-up"))
        lo = -1 if before == weeks[0] else before  # stops at week 0 belong to the first interval
        window = stops[(stops["week"] > lo) & (stops["week"] <= week)]
        values.append(count(ids.flow_stop(week), f"Stopped after week {before}, up to week {week}", len(window),
                            population=ALL_STARTED, method="First discontinuation events in the interval"))
        for reason, term in study.vocab.stop_reasons.items():
            k = int((window["reason"] == reason).sum())
            if k:
                values.append(count(ids.flow_stop(week, reason), f"{term.label}, stopped after week "
                                    f"{before}, up to week {week}", k, population=ALL_STARTED,
                                    method="First discontinuation events in the interval, by recorded reason"))
        if len(lost):
            # From `before` (a follow-up that ends at a time point ends after that assessment, which counts the
            # patient on treatment) to just before `week`; the last interval takes every early end after it.
            after = lost > lo if before == weeks[0] else lost >= before
            k = int((after & (lost < week)).sum()) if week != weeks[-1] else int(after.sum())
            values.append(count(ids.flow_lost(week), f"Follow-up ended early after week {before}, before week "
                                f"{week}", k, population=ALL_STARTED,
                                method="Patients whose follow-up ended in the interval while on treatment "
                                       "(censored in the Kaplan–Meier analysis)"))
    return values


def dose_histories(study: Study) -> pd.DataFrame:
    """Per dose change: the regimen before and after, and whether the daily amount went up or down."""
    p = study.patients.set_index("patient_id")
    per_day = {k: f.per_day for k, f in study.vocab.frequencies.items()}
    ev = study.events
    changes = ev[ev["event_type"] == "dose_change"].sort_values(["patient_id", "week"], kind="stable")
    rows = []
    frequency = [f if pd.notna(f) else "once_daily" for f in p["dose_frequency"]]
    current = dict(zip(p.index, zip(p["starting_dose"], frequency, strict=True), strict=True))
    units = dict(zip(p.index, p["dose_unit"], strict=True))
    for r in changes.itertuples():
        dose, freq = current[r.patient_id]
        new_freq = r.new_dose_frequency if pd.notna(r.new_dose_frequency) else freq
        before = float(dose) * per_day[freq] if pd.notna(dose) else None
        after = float(r.new_dose) * per_day[new_freq]
        unit = units[r.patient_id] if pd.notna(units[r.patient_id]) else "mg"
        rows.append({"patient_id": r.patient_id, "week": r.week, "dose": float(r.new_dose), "frequency": new_freq,
                     "unit": unit, "up": before is not None and after > before,
                     "down": before is not None and after < before})
        current[r.patient_id] = (r.new_dose, new_freq)
    return pd.DataFrame(rows, columns=["patient_id", "week", "dose", "frequency", "unit", "up", "down"])


def dose_values(study: Study) -> list[Value]:
    """How many had the dose raised (when, to what, how they did at the final week) or lowered."""
    end = study.spec.timepoints_weeks[-1]
    hist = dose_histories(study)
    n = len(study.patients)
    if hist.empty and study.patients["starting_dose"].isna().all():
        return []
    up = hist[hist["up"].astype(bool)]
    first = up.groupby("patient_id").head(1).set_index("patient_id")
    within = f"within {study.spec.follow_up_weeks} weeks"
    values = [proportion(ids.ESC_ANY, "Dose escalated", len(first), n, population=ALL_STARTED, timepoint_weeks=end,
                         method=f"Patients with at least one dose increase (daily amount) {within}"),
              median_value(ids.ESC_WEEK, "Week of the first dose escalation", first["week"],
                           population="Patients whose dose was escalated", unit="weeks")]
    down = hist[hist["down"].astype(bool)]["patient_id"].nunique()
    if down:
        values.append(proportion(ids.REDUCED_ANY, "Dose reduced", down, n, population=ALL_STARTED,
                                 timepoint_weeks=end, method=f"Patients with at least one dose decrease {within}"))
    for regimen, rows in first.groupby([first["dose"], first["unit"], first["frequency"]]):
        dose, unit, freq = regimen
        words = f"{dose:g} {unit} {study.vocab.frequencies[freq].label}"
        values.append(proportion(ids.escalated_to(dose, unit, freq), f"Escalated to {words}", len(rows), len(first),
                                 population="Patients whose dose was escalated",
                                 method="New dose at the first escalation"))
    if first.empty:
        return values
    after = patient_outcomes(study, end).loc[first.index]
    population = "Patients whose dose was escalated"
    values.append(proportion(ids.escalation_on_treatment(end), f"Still on {medicine(study)} at week {end} after "
                             "escalation", int(after["on_treatment"].sum()), len(after), population=population,
                             timepoint_weeks=end, method="No discontinuation event up to the week"))
    for key, o in weekly_outcomes(study.spec).items():
        if o.rule in ("lab_below", "lab_at_most") or any(
                study.spec.outcomes[k].rule in ("lab_below", "lab_at_most") for k in o.of):
            continue
        values.append(proportion(
            ids.escalation(key, end), f"{o.label} at week {end} after escalation",
            int((after[key].fillna(False).astype(bool) & after["on_treatment"]).sum()), len(after),
            population=population, timepoint_weeks=end,
            method=f"{o.definition}. Anyone who stopped or was not assessed counts as not achieving it."))
    return values


def surgery_values(study: Study) -> list[Value]:
    """Surgery within follow-up: patients with any, by type, after stopping the medicine, and when."""
    ev = study.events
    ops = ev[ev["event_type"] == "surgery"]
    n = len(study.patients)
    weeks = study.spec.follow_up_weeks
    method = f"Patients with at least one such operation recorded in the first {weeks} weeks, of all who started"
    first = ops.sort_values("week").groupby("patient_id").head(1)
    values = [proportion(ids.SURGERY_ANY, "Surgery", first["patient_id"].nunique(), n, population=ALL_STARTED,
                         timepoint_weeks=weeks, method=method)]
    for kind, term in study.vocab.surgery.items():
        k = ops[ops["surgery_type"] == kind]["patient_id"].nunique()
        if k:
            values.append(proportion(ids.surgery(kind), term.label, k, n, population=ALL_STARTED,
                                     timepoint_weeks=weeks, method=method))
    if len(first):
        stop = first["patient_id"].map(stop_weeks(study))
        values.append(proportion(ids.SURGERY_AFTER_STOP, f"Surgery on or after stopping {medicine(study)}",
                                 int((first["week"] >= stop).fillna(False).sum()), len(first),
                                 population="Patients who had surgery",
                                 method="First operation in the week of stopping or later"))
        values.append(median_value(ids.SURGERY_WEEK, "Week of the first operation", first["week"],
                                   population="Patients who had surgery", unit="weeks"))
    return values
