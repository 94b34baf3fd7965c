"""The value-id grammar: the one place that builds the id of a computed value.

Every producer in ``summarise/`` and every prepared table in ``present.py`` names values through these
functions; templates never assemble ids. Ids are stable across builds (``numbers.json`` and ``make diff``
key on them). In ``numbers.json`` each id is prefixed with the study id: ``<study-id>.<id>``.

``group`` is ``all`` or a diagnosis code; ``basis`` is one of :data:`BASES`.
"""

from __future__ import annotations

from typing import Literal

Basis = Literal["itt", "on", "obs"]
# itt: all who started (stopped, lost or not assessed count as not achieving);
# on: still on treatment at the week (not assessed counts as not achieving);
# obs: on treatment and assessed (as observed).
BASES: tuple[Basis, ...] = ("itt", "on", "obs")
ENDOSCOPY_BASES: tuple[Basis, ...] = ("itt", "obs")


def qualified(study_id: str, short: str) -> str:
    """The id as written in numbers.json."""
    return f"{study_id}.{short}"


# Cohort and Table 1 --------------------------------------------------------------------------------------------

N_PATIENTS = "n_patients"
AGE_AT_DIAGNOSIS_MEAN = "age_at_diagnosis_mean"
AGE_AT_START_MEAN = "age_at_start_mean"
BASELINE_STEROIDS = "baseline_steroids"
N_CENTRES = "n_centres"


def diagnosis(dx: str) -> str:
    return f"diagnosis_{dx}"


def prior(therapy: str) -> str:
    return f"prior_{therapy}"


def prior_at_least(k: int) -> str:
    """The Table 1 row key of patients with at least ``k`` earlier advanced therapies failed (cumulative)."""
    return f"prior_{k}plus"


PRIOR_AT_LEAST = (2, 3)  # the cumulative rows Table 1 prints


def table1_n(group: str) -> str:
    return f"t1_n_{group}"


def table1(row: str, group: str) -> str:
    return f"t1_{row}_{group}"


def table1_missing(row: str, group: str) -> str:
    return f"t1_{row}_{group}_missing"


# Effectiveness -------------------------------------------------------------------------------------------------

def effect(outcome: str, week: int, group: str, basis: Basis) -> str:
    return f"eff_{outcome}_w{week}_{group}_{basis}"


def endoscopy(outcome: str, group: str, basis: Basis) -> str:
    return f"eff_{outcome}_{group}_{basis}"


REPEAT_ENDOSCOPY = "repeat_endoscopy"


def subgroup(key: str, outcome: str, week: int, basis: Basis) -> str:
    return f"{key}_{outcome}_w{week}_{basis}"


def change(marker: str, group: str, stat: Literal["n", "base", "end", "diff", "p"]) -> str:
    return f"chg_{marker}_{group}_{stat}"


# Durability ----------------------------------------------------------------------------------------------------

def persistence(week: int) -> str:
    return f"persistence_w{week}"


def on_treatment(week: int, dx: str) -> str:
    return f"on_treatment_w{week}_{dx}"


def km(week: int) -> str:
    return f"km_w{week}"


def km_at_risk(week: int) -> str:
    return f"km_at_risk_w{week}"


STOPPED = "stopped"
STOP_WEEK = "stop_week"
STOP_REASON_MISSING = "stop_reason_missing"


def stop_reason(reason: str) -> str:
    return f"stop_reason_{reason}"


def flow_on(week: int) -> str:
    return f"flow_on_w{week}"


def flow_stop(week: int, reason: str | None = None) -> str:
    return f"flow_stop_w{week}" + (f"_{reason}" if reason else "")


def flow_lost(week: int) -> str:
    return f"flow_lost_w{week}"


ESC_ANY = "esc_any"
ESC_WEEK = "esc_week"
REDUCED_ANY = "dose_reduced_any"


def escalated_to(dose: float, unit: str = "mg", frequency: str = "once_daily") -> str:
    """``esc_to_45`` for 45 mg once daily (the ids of earlier builds); other regimens name unit and frequency."""
    if (unit, frequency) == ("mg", "once_daily"):
        return f"esc_to_{dose:g}"
    return f"esc_to_{dose:g}_{unit.replace('/', '_per_')}_{frequency}"


def escalation(outcome: str, week: int) -> str:
    return f"esc_{outcome}_w{week}"


def escalation_on_treatment(week: int) -> str:
    return f"esc_on_treatment_w{week}"


def starting_dose(dose: str) -> str:
    return f"start_dose_{dose}"


# Safety --------------------------------------------------------------------------------------------------------

EXPOSURE = "exposure_py"
ZERO_EVENT_UPPER = "ae_zero_event_upper"
AE_SUMMARIES = ("any", "serious", "led_to_stop")


def ae_patients(kind: str) -> str:
    """Patients with at least one event: kind is any/serious/led_to_stop (``ae_<kind>``) or an ae_type."""
    return f"ae_{kind}" if kind in AE_SUMMARIES else f"ae_patients_{kind}"


def ae_events(kind: str) -> str:
    return f"ae_events_{kind}"


def ae_rate(kind: str) -> str:
    return f"ae_rate_{kind}"


def ae_serious(ae_type: str) -> str:
    return f"ae_serious_{ae_type}"


def ae_stop(ae_type: str) -> str:
    return f"ae_stop_{ae_type}"


SURGERY_ANY = "surgery_any"
SURGERY_WEEK = "surgery_week"
SURGERY_AFTER_STOP = "surgery_after_stop"


def surgery(kind: str) -> str:
    return f"surgery_{kind}"


# Aggregate studies (kind: aggregate): one value per row of results.csv -----------------------------------------

def reported(section: str, key: str, week: int | None, group: str, population: str) -> str:
    """A figure a publication reports: ``res_<key>_w<week>_<group>_<population>`` (``wna``: no time point);
    adverse events ``rae_…`` and baseline rows ``base_…`` instead of ``res_``."""
    prefix = {"outcome": "res", "adverse_event": "rae", "baseline": "base"}[section]
    when = "wna" if week is None else f"w{week}"
    return f"{prefix}_{key}_{when}_{group}_{population}"


STUDY_N = "study_n"


def pooled(medicine: str, comparable: str) -> str:
    """A random-effects pooled estimate across studies of one medicine (qualified: no study prefix)."""
    return f"topic-{medicine}.pooled_{comparable}"
