"""Summaries checked against values worked out by hand on the minimal fixture, and against independent formulas."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from evidence_site import fmt
from evidence_site.numbers import proportion
from evidence_site.summarise import summarise
from evidence_site.summarise.outcomes import patient_outcomes


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out from its formula (independent of statsmodels)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(0, 5), (1, 7), (6, 7), (39, 48), (8, 17), (16, 22), (48, 48)])
def test_proportion_interval_is_wilson(k: int, n: int) -> None:
    v = proportion("x", "x", k, n, population="p", method="m")
    low, high = wilson(k, n)
    assert v.ci_low == pytest.approx(low, abs=1e-9)
    assert v.ci_high == pytest.approx(high, abs=1e-9)
    ref = proportion_confint(k, n, method="wilson")
    assert (v.ci_low, v.ci_high) == pytest.approx(ref)
    assert v.ci_low <= v.value <= v.ci_high


def test_proportion_with_empty_denominator_is_not_estimable() -> None:
    v = proportion("x", "x", 0, 0, population="p", method="m")
    assert not v.estimable
    assert fmt.clinical(v) == "not estimable (no patients in this group)"


def test_outcomes_of_minimal_study_match_hand_calculation(minimal) -> None:
    """Worked by hand from tests/fixtures/studies/minimal:

    - P3 (CD) stopped at week 20 and P6 (UC) at week 30: 4 of 6 on treatment at week 52.
    - CD on treatment: P1 wPCDAI 10, no steroids (remission, steroid-free); P2 wPCDAI 10 on steroids
      (remission, not steroid-free): 1/2 (the "still on treatment" denominator, ``_on``).
    - UC on treatment: P4 PUCAI 5, no steroids (yes); P5 PUCAI 30 (no): 1/2.
    - CRP > 5 at baseline and on treatment at 52: P1 (20 -> 2), P4 (12 -> 3), P5 (8 -> 9): 2/3 normal.
    - Repeat endoscopy: P1 SES-CD 2 (remission), P5 Mayo 2 (no), P6 Mayo 1 (remission): 3/6, 2 of 3 in remission.
    - Tofacitinib before: P4 only; PUCAI 50 -> 5, a fall of 45 >= 20: 1/1 response.
    - Mean age at start (13+14+15+12+16+14)/6 = 14.0; at diagnosis (8+10+12+9+11+13)/6 = 10.5.
    """
    values = {v.id.split(".", 1)[1]: v for v in summarise(minimal)}
    expected = {
        "persistence_w52": (4, 6), "eff_sf_remission_w52_CD_on": (1, 2), "eff_sf_remission_w52_UC_on": (1, 2),
        "on_treatment_w52_CD": (2, 3), "eff_crp_normal_w52_all_on": (2, 3), "repeat_endoscopy": (3, 6),
        "eff_endoscopic_remission_all_obs": (2, 3), "tofa_response_w52_itt": (1, 1), "prior_ustekinumab": (2, 6),
        "baseline_steroids": (2, 6),
    }
    for short, (k, n) in expected.items():
        assert (values[short].numerator, values[short].denominator) == (k, n), short
    assert values["age_at_start_mean"].value == pytest.approx(14.0)
    assert values["age_at_diagnosis_mean"].value == pytest.approx(10.5)
    assert values["age_at_diagnosis_mean"].sd == pytest.approx(1.870828693, abs=1e-6)


def test_patient_outcomes_mark_stopped_patients_as_not_assessed(minimal) -> None:
    table = patient_outcomes(minimal, 52)
    assert not table.loc["P3", "on_treatment"]
    assert table.loc["P3", ["response", "remission", "sf_remission"]].isna().all()  # stopped: not assessed
    assert table.loc["P2", "remission"] and not table.loc["P2", "sf_remission"]
    assert table.loc["P1", "response"]  # wPCDAI 50 -> 10: a fall of 40 >= 17.5


def test_published_figures_attach_and_agree_in_minimal_study(minimal) -> None:
    values = {v.id.split(".", 1)[1]: v for v in summarise(minimal)}
    assert values["persistence_w52"].published_value == "67%"
    assert values["persistence_w52"].agrees_with_published  # 4/6 = 66.7% rounds to 67%
    assert values["n_patients"].agrees_with_published
    assert values["tofa_response_w52_itt"].published_value is None


def test_ids_carry_the_study_prefix(minimal) -> None:
    assert all(v.id.startswith("minimal.") for v in summarise(minimal))
