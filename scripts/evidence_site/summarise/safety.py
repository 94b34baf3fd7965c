"""Adverse events: who had them, how many, how serious, and how often per patient-year (pandas + ``stats``).

Population: everyone who started. One window for events and exposure alike: from the first dose to the end
of each patient's follow-up (the study's follow-up, or earlier when it ended early), whether or not the
patient was still taking the medicine. Events after stopping therefore count, and so does the time after
stopping: the rate is per 100 patient-years of follow-up, not of treatment.
"""

from __future__ import annotations

import pandas as pd

from .. import ids, stats
from ..numbers import Value, count, proportion
from ..validate import Study
from .common import ALL_STARTED
from .outcomes import follow_up_end

WEEKS_PER_YEAR = 365.25 / 7
PER = 100  # incidence is expressed per 100 patient-years
POISSON_METHOD = "Exact (Garwood) Poisson interval from the chi-squared distribution, 95%"


def ae_name(study: Study, ae_type: str) -> str:
    return study.vocab.adverse_events[ae_type].label


def poisson_ci(events: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided interval for a Poisson count: chi2(alpha/2, 2k)/2 to chi2(1-alpha/2, 2k+2)/2."""
    return stats.poisson_interval(events, alpha)


def exposure_weeks(study: Study) -> pd.Series:
    """Weeks of follow-up per patient (indexed by patient id): the window in which events are counted."""
    return follow_up_end(study).astype(float)


def adverse_events(study: Study) -> pd.DataFrame:
    """Adverse-event rows within follow-up (private columns are not carried further than this)."""
    ev = study.events
    ae = ev[(ev["event_type"] == "adverse_event") & (ev["week"] <= study.spec.follow_up_weeks)]
    return ae[["patient_id", "week", "ae_type", "serious", "led_to_discontinuation"]].copy()


def ae_types(study: Study) -> list[str]:
    """Adverse-event types present, most patients first, then by name."""
    ae = adverse_events(study)
    per_type = ae.groupby("ae_type")["patient_id"].nunique()
    return sorted(per_type.index, key=lambda t: (-per_type[t], t))


def incidence(id: str, label: str, events: int, patient_years: float, *, population: str) -> Value:
    """Events per 100 patient-years with an exact Poisson 95% CI."""
    low, high = poisson_ci(events)
    return Value(
        id, label, "rate", PER * events / patient_years, "Events per 100 patient-years of follow-up "
        f"(exposure {patient_years:.1f} patient-years)", population, numerator=events,
        ci_low=PER * low / patient_years, ci_high=PER * high / patient_years, ci_method=POISSON_METHOD,
        unit="per 100 patient-years")


def zero_event_upper(n: int) -> Value:
    """Upper 95% (two-sided, Clopper–Pearson) bound for a harm seen in none of ``n`` patients."""
    high = stats.zero_event_upper(n) if n else None
    return Value(ids.ZERO_EVENT_UPPER, "Highest frequency of a harm compatible with seeing it in no patient",
                 "bound", high, "Upper limit of the exact (Clopper–Pearson) 95% interval for 0 events "
                 f"in {n} patients", ALL_STARTED, numerator=0, denominator=n, ci_low=0.0 if n else None,
                 ci_high=high, ci_method="Clopper–Pearson exact interval, 95%" if n else None)


def safety_values(study: Study) -> list[Value]:
    """Patients with events, event counts and exposure-adjusted incidence; ids without the study prefix."""
    n = len(study.patients)
    ae = adverse_events(study)
    weeks = study.spec.follow_up_weeks
    py = float(exposure_weeks(study).sum()) / WEEKS_PER_YEAR
    method = f"Patients with at least one such adverse event recorded in the first {weeks} weeks, of all who started"
    values = [
        Value(ids.EXPOSURE, "Follow-up time", "rate", py,
              f"Sum over patients of weeks of follow-up within the first {weeks} weeks (on or off treatment), "
              f"divided by {WEEKS_PER_YEAR:.2f} weeks per year", ALL_STARTED, unit="patient-years"),
    ]
    groups = {
        "any": ("Any adverse event", ae),
        "serious": ("Serious adverse event", ae[ae["serious"].fillna(False).astype(bool)]),
        "led_to_stop": ("Adverse event that led to stopping",
                        ae[ae["led_to_discontinuation"].fillna(False).astype(bool)]),
    }
    for key, (label, rows) in groups.items():
        values.append(proportion(ids.ae_patients(key), f"{label}: patients with at least one",
                                 rows["patient_id"].nunique(), n, population=ALL_STARTED, method=method,
                                 timepoint_weeks=weeks))
        values.append(count(ids.ae_events(key), f"{label}: number of events", len(rows), population=ALL_STARTED,
                            method=f"Adverse-event records in the first {weeks} weeks"))
        values.append(incidence(ids.ae_rate(key), f"{label}: events per 100 patient-years", len(rows), py,
                                population=ALL_STARTED))
    values.append(zero_event_upper(n))
    for ae_type in ae_types(study):
        rows = ae[ae["ae_type"] == ae_type]
        name = ae_name(study, ae_type)
        values.append(proportion(ids.ae_patients(ae_type), f"{name}: patients with at least one",
                                 rows["patient_id"].nunique(), n, population=ALL_STARTED, method=method,
                                 timepoint_weeks=weeks))
        values.append(count(ids.ae_events(ae_type), f"{name}: number of events", len(rows), population=ALL_STARTED,
                            method=f"Adverse-event records in the first {weeks} weeks"))
        values.append(count(ids.ae_serious(ae_type), f"{name}: serious events",
                            int(rows["serious"].fillna(False).astype(bool).sum()), population=ALL_STARTED,
                            method="Events recorded as serious adverse events"))
        values.append(count(ids.ae_stop(ae_type), f"{name}: events that led to stopping",
                            int(rows["led_to_discontinuation"].fillna(False).astype(bool).sum()),
                            population=ALL_STARTED, method="Events after which treatment was stopped"))
        values.append(incidence(ids.ae_rate(ae_type), f"{name}: events per 100 patient-years", len(rows), py,
                                population=ALL_STARTED))
    return values
