"""Every statistic on the clinician pages against an independent calculation with a known answer.

Each test works the answer out by hand (in the docstring) or with a different formula than the code uses,
on inputs small enough to check on paper. Producers are called directly, before small-cell protection.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gamma, norm

from conftest import MINIMAL, load_study
from evidence_site.summarise.baseline import baseline_values
from evidence_site.summarise.durability import durability_values, km_at
from evidence_site.summarise.effectiveness import effectiveness_values
from evidence_site.summarise.safety import WEEKS_PER_YEAR, incidence, poisson_ci, safety_values, zero_event_upper


def by_id(values) -> dict:
    return {v.id: v for v in values}


# --- Kaplan–Meier ---------------------------------------------------------------------------------------------


def test_kaplan_meier_on_five_patients_worked_by_hand() -> None:
    """Five patients; weeks on treatment, with S = stopped and C = censored (still on it when follow-up ended):

        2 S, 4 C, 6 S, 8 S, 10 C

    | week | at risk | stopped | S(t)                         |
    |------|---------|---------|------------------------------|
    | 2    | 5       | 1       | 4/5 = 0.8                    |
    | 4    | 4       | 0       | 0.8 (one censored)           |
    | 6    | 3       | 1       | 0.8 × 2/3 = 0.5333           |
    | 8    | 2       | 1       | 0.5333 × 1/2 = 0.2667        |
    | 10   | 1       | 0       | 0.2667 (censored)            |

    Log-log band at week 2 (exponential Greenwood): Greenwood variance of log S is d/(n(n-d)) = 1/20;
    the standard error of log(-log S) is sqrt(1/20) / |log 0.8|; the limits are S ** exp(±1.96 × se).
    """
    times = pd.DataFrame({"time": [2.0, 4, 6, 8, 10], "stopped": [True, False, True, True, False]})
    table = km_at(times, np.array([0.0, 2, 4, 6, 8, 10]))
    assert table["surv"].tolist() == pytest.approx([1.0, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3 / 2, 0.8 * 2 / 3 / 2])
    assert table["at_risk"].tolist() == [5, 5, 4, 3, 2, 1]
    se = math.sqrt(1 / 20) / abs(math.log(0.8))
    z = norm.ppf(0.975)
    low, high = 0.8 ** math.exp(z * se), 0.8 ** math.exp(-z * se)
    assert table.loc[1, "low"] == pytest.approx(low, abs=1e-6)
    assert table.loc[1, "high"] == pytest.approx(high, abs=1e-6)


def test_persistence_on_the_minimal_study(minimal) -> None:
    """P3 stops at week 20 and P6 at week 30; the other four are censored at 52.
    S(52) = 5/6 × 4/5 = 4/6. At risk at week 52: the four who never stopped."""
    values = by_id(durability_values(minimal))
    assert values["km_w52"].value == pytest.approx(4 / 6)
    assert values["km_at_risk_w52"].value == 4
    assert values["km_at_risk_w0"].value == 6
    assert (values["stopped"].numerator, values["stopped"].denominator) == (2, 6)
    assert values["stop_week"].value == pytest.approx(25.0)
    assert (values["stop_reason_lack_of_response"].numerator, values["stop_reason_adverse_event"].numerator) == (1, 1)
    assert values["flow_on_w52"].value == 4
    assert values["flow_stop_w52"].value == 2
    assert (values["esc_any"].numerator, values["esc_any"].denominator) == (1, 6)
    assert values["esc_week"].value == 20
    # P5 (escalated) is still on treatment at 52 but PUCAI 40 -> 30 is a fall of 10 (< 20): no response.
    assert (values["esc_on_treatment_w52"].numerator, values["esc_response_w52"].numerator) == (1, 0)


# --- Exact Poisson interval -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("events", "low", "high"), [
    (0, 0.0, 3.689),    # the textbook upper limit for zero events
    (1, 0.0253, 5.572),
    (5, 1.623, 11.668),
])
def test_exact_poisson_interval_matches_published_table_values(events: int, low: float, high: float) -> None:
    got = poisson_ci(events)
    assert got == pytest.approx((low, high), abs=5e-4)


@pytest.mark.parametrize("events", [0, 1, 2, 7, 30])
def test_exact_poisson_interval_matches_the_gamma_form(events: int) -> None:
    """The chi-squared form equals the gamma form: lower Gamma(k).ppf(0.025), upper Gamma(k+1).ppf(0.975)."""
    low = 0.0 if events == 0 else gamma.ppf(0.025, events)
    assert poisson_ci(events) == pytest.approx((low, gamma.ppf(0.975, events + 1)))


def test_incidence_per_100_patient_years() -> None:
    """2 events in 50 patient-years: 4.0 per 100, interval 100 × (0.2422, 7.2247) / 50."""
    v = incidence("x", "x", 2, 50.0, population="p")
    assert v.value == pytest.approx(4.0)
    assert (v.ci_low, v.ci_high) == pytest.approx((0.4844, 14.4494), abs=1e-3)


def test_safety_on_the_minimal_study(minimal) -> None:
    """One serious infection (P6, week 30) that led to stopping. Events and exposure share one window, the
    whole follow-up on or off treatment: six patients for 52 weeks = 312 / (365.25 / 7) patient-years."""
    values = by_id(safety_values(minimal))
    py = 312 / (365.25 / 7)
    assert pytest.approx(52.1786, abs=1e-4) == WEEKS_PER_YEAR
    assert values["exposure_py"].value == pytest.approx(py)
    for short in ("ae_any", "ae_serious", "ae_led_to_stop", "ae_patients_infection"):
        assert (values[short].numerator, values[short].denominator) == (1, 6), short
    assert values["ae_events_infection"].value == 1
    assert values["ae_rate_any"].value == pytest.approx(100 / py)
    assert values["ae_rate_any"].ci_high == pytest.approx(100 * 5.5716 / py, abs=1e-2)


def test_zero_event_upper_limit_is_the_closed_form() -> None:
    """With 0 events in n, the exact upper 97.5% limit solves (1 - p) ** n = 0.025."""
    assert zero_event_upper(48).value == pytest.approx(1 - 0.025 ** (1 / 48))
    assert zero_event_upper(48).value == pytest.approx(0.0739, abs=1e-4)


def test_family_safety_ids_exist_for_every_adverse_event_type() -> None:
    from evidence_site import paths

    study = load_study(paths.STUDIES / "example-clinic-records")
    values = by_id(safety_values(study))
    ev = study.events
    ae = ev[ev["event_type"] == "adverse_event"]
    for short in ("ae_any", "ae_serious", "ae_led_to_stop"):
        assert values[short].kind == "proportion" and values[short].denominator == len(study.patients)
    for t in ae["ae_type"].dropna().unique():
        v = values[f"ae_patients_{t}"]
        assert v.numerator == ae.loc[ae["ae_type"] == t, "patient_id"].nunique()
        assert v.denominator == len(study.patients)
    assert values["ae_any"].numerator == ae["patient_id"].nunique()


# --- Effectiveness: two denominators ---------------------------------------------------------------------------


def test_two_denominators_on_the_minimal_study(minimal) -> None:
    """Week 52: P3 and P6 have stopped; P1, P2, P4, P5 are on treatment and assessed.
    Response (fall ≥ 17.5 wPCDAI / ≥ 20 PUCAI): P1 50→10 yes, P2 45→10 yes, P4 50→5 yes, P5 40→30 no.
    Steroid-free remission: P1 yes, P2 on steroids no, P4 yes, P5 no.
    CRP raised at baseline (> 5): P1, P3, P4, P5, P6; normal at 52: P1 (2) and P4 (3); P5 (9) not.
    Repeat endoscopy: P1 SES-CD 2 (remission), P5 Mayo 2 (not), P6 Mayo 1 (remission)."""
    values = by_id(effectiveness_values(minimal))

    def nn(short):
        return values[short].numerator, values[short].denominator

    assert nn("eff_response_w52_all_itt") == (3, 6)
    assert nn("eff_response_w52_all_obs") == (3, 4)
    assert nn("eff_response_w52_UC_obs") == (1, 2)
    assert nn("eff_sf_remission_w52_all_itt") == (2, 6)
    assert nn("eff_sf_remission_w52_all_obs") == (2, 4)
    assert nn("eff_crp_normal_w52_all_itt") == (2, 5)
    assert nn("eff_crp_normal_w52_all_obs") == (2, 3)
    assert nn("eff_endoscopic_remission_all_itt") == (2, 6)
    assert nn("eff_endoscopic_remission_all_obs") == (2, 3)
    assert nn("eff_endoscopic_remission_CD_obs") == (1, 1)
    assert nn("tofa_response_w52_itt") == (1, 1)  # P4 only
    # CRP pairs on treatment at 52: P1 20→2, P2 3→4, P4 12→3, P5 8→9; change -18, +1, -9, +1.
    assert values["chg_crp_all_n"].value == 4
    assert values["chg_crp_all_base"].value == pytest.approx(10.0)  # median of 3, 8, 12, 20
    assert values["chg_crp_all_diff"].value == pytest.approx(-4.0)  # median of -18, -9, 1, 1


# --- Table 1 ---------------------------------------------------------------------------------------------------


def test_table_one_on_the_minimal_study(minimal) -> None:
    """By hand from patients.csv and the week-0 visits of the minimal study:
    female P1, P3, P5 = 3/6; age at diagnosis in Crohn's disease (P1-P3) 8, 10, 12: mean 10, SD 2;
    years from diagnosis to start 5, 4, 3, 3, 5, 1: median 3.5, quartiles 3.0 and 4.75 (linear);
    Crohn's: all three had two earlier advanced therapies; wPCDAI 50, 45, 60: median 50 [47.5 to 55];
    CRP above 5 at baseline: all but P2 (3 mg/L) = 5/6."""
    values = by_id(baseline_values(minimal))
    assert values["t1_n_CD"].value == 3 and values["t1_n_UC"].value == 3
    assert "t1_n_all" not in values and "t1_age_at_diagnosis_all" not in values  # cohort values are reused
    assert (values["t1_female_all"].numerator, values["t1_female_all"].denominator) == (3, 6)
    assert values["t1_age_at_diagnosis_CD"].value == pytest.approx(10.0)
    assert values["t1_age_at_diagnosis_CD"].sd == pytest.approx(2.0)
    d = values["t1_duration_all"]
    assert (d.value, d.q1, d.q3) == pytest.approx((3.5, 3.0, 4.75))
    assert (values["t1_prior_2plus_CD"].numerator, values["t1_prior_2plus_CD"].denominator) == (3, 3)
    w = values["t1_wpcdai_CD"]
    assert (w.value, w.q1, w.q3) == pytest.approx((50.0, 47.5, 55.0))
    assert "t1_wpcdai_UC" not in values and "t1_pucai_CD" not in values
    assert (values["t1_crp_raised_all"].numerator, values["t1_crp_raised_all"].denominator) == (5, 6)
    assert values["t1_calprotectin_all_missing"].value == 0


def test_table_one_counts_missing_values(tmp_path: Path) -> None:
    """Blank P2's baseline calprotectin: 1 missing overall and in Crohn's disease; the median uses the other
    five (900, 1500, 1100, 800, 2000 -> 1100)."""
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    visits = (folder / "visits.csv").read_text(encoding="utf-8")
    visits = visits.replace("P2,0,2022-02-14,yes,wPCDAI,45,yes,3,700,", "P2,0,2022-02-14,yes,wPCDAI,45,yes,3,,")
    (folder / "visits.csv").write_text(visits, encoding="utf-8")
    values = by_id(baseline_values(load_study(folder)))
    assert values["t1_calprotectin_all_missing"].value == 1
    assert values["t1_calprotectin_CD_missing"].value == 1
    assert values["t1_calprotectin_UC_missing"].value == 0
    assert values["t1_calprotectin_all"].value == pytest.approx(1100.0)
    assert values["t1_calprotectin_all"].denominator == 5
