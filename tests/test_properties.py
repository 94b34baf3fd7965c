"""Property-based tests of the summary layer: any valid cohort summarises without error, within bounds.

Cohorts are drawn by hypothesis as CSV text and pass through the real loader and validator, so every
generated cohort satisfies the data contract. The edge cases the issue names are forced in as well: every
patient stopping in week 1, a diagnosis with no patients, and a single patient.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL, shared_data
from evidence_site import fmt
from evidence_site.disclosure.policy import persistence_count
from evidence_site.errors import BuildError
from evidence_site.load import RawStudy, read_csv_text
from evidence_site.numbers import Value
from evidence_site.schema import EVENTS, PATIENTS, VISITS
from evidence_site.summarise import summarise
from evidence_site.validate import Study, validate

TIMEPOINTS = [0, 8, 12, 26, 52]
PRIOR_THERAPIES = ("anti_tnf", "ustekinumab", "vedolizumab", "tofacitinib", "risankizumab")
DISCONTINUATION_REASONS = ("lack_of_response", "loss_of_response", "adverse_event", "patient_choice", "other")
START = dt.date(2022, 1, 3)
AE_TYPES = ("acne", "infection", "herpes_zoster", "headache")
# A summary of a small cohort takes about 0.3 s, so the example counts are kept modest for CI time.
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def base_meta(min_cell: int) -> dict:
    meta = yaml.safe_load((MINIMAL / "study.yml").read_text(encoding="utf-8"))
    return meta | {"timepoints_weeks": TIMEPOINTS, "follow_up_weeks": 52, "published": [], "min_cell": min_cell,
                   "diagnoses": ["CD", "UC", "IBDU"], "certainty": None,
                   "disclosure": {"protection": "off-for-synthetic-test-data-only" if min_cell <= 1 else "on"}}


@st.composite
def patient(draw: st.DrawFn, stop: st.SearchStrategy[int | None]) -> dict:
    dx = draw(st.sampled_from(["CD", "UC", "IBDU"]))
    age_dx = draw(st.integers(1, 16))
    return {
        "diagnosis": dx, "sex": draw(st.sampled_from("FM")), "age_dx": age_dx,
        "age_start": draw(st.integers(age_dx, 17)), "prior": [draw(st.booleans()) for _ in PRIOR_THERAPIES],
        "steroids": draw(st.booleans()), "dose": draw(st.sampled_from([15, 30, 45])), "stop": draw(stop),
        "reason": draw(st.sampled_from(DISCONTINUATION_REASONS)),
        "scores": [draw(st.none() | st.integers(0, 16)) for _ in TIMEPOINTS],  # x5 PUCAI, x7.5 wPCDAI
        "crp": [draw(st.none() | st.integers(0, 80)) for _ in TIMEPOINTS],
        "calpro": [draw(st.none() | st.integers(0, 2500)) for _ in TIMEPOINTS],
        "on_steroids": [draw(st.booleans()) for _ in TIMEPOINTS],
        "scope_week": draw(st.none() | st.integers(1, 52)), "scope": draw(st.integers(0, 3)),
        "ae": draw(st.none() | st.tuples(st.integers(0, 52), st.sampled_from(AE_TYPES), st.booleans())),
        "escalate": draw(st.none() | st.integers(1, 52)),
    }


STOPS = st.none() | st.integers(1, 52)
COHORTS = st.one_of(
    st.lists(patient(STOPS), min_size=1, max_size=14),
    st.lists(patient(st.just(1)), min_size=1, max_size=8),  # everyone stops in week 1
    st.lists(patient(STOPS), min_size=1, max_size=1),  # a single patient
    st.lists(patient(STOPS).filter(lambda p: p["diagnosis"] == "CD"), min_size=2, max_size=6),  # no UC, no IBDU
)


def csv_bytes(columns: tuple[str, ...], records: list[dict]) -> bytes:
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in records]
    return ("\n".join(lines) + "\n").encode()


def yn(flag: bool) -> str:
    return "yes" if flag else "no"


def cohort(patients: list[dict], min_cell: int) -> Study:
    """The drawn patients as the three CSV files, read and validated by the real code."""
    prow, vrows, erows = [], [], []
    for i, p in enumerate(patients):
        pid, start, cd = f"X{i:03d}", START + dt.timedelta(days=3 * i), p["diagnosis"] == "CD"
        day = lambda week, start=start: (start + dt.timedelta(weeks=week)).isoformat()  # noqa: E731
        prow.append({"patient_id": pid, "diagnosis": p["diagnosis"], "sex": p["sex"],
                     "age_at_diagnosis_years": p["age_dx"], "age_at_start_years": p["age_start"],
                     "start_date": start.isoformat(), "baseline_steroids": yn(p["steroids"]),
                     "starting_dose": p["dose"],
                     "prior_therapies": "; ".join(t for t, f in zip(PRIOR_THERAPIES, p["prior"], strict=True) if f)})
        stop = p["stop"]
        for j, week in enumerate(TIMEPOINTS):
            score = p["scores"][j] if week else (p["scores"][j] or 9)
            vrows.append({"patient_id": pid, "week": week, "visit_date": day(week),
                          "on_treatment": yn(stop is None or week < stop),
                          "activity_index": "" if score is None else ("wPCDAI" if cd else "PUCAI"),
                          "activity_score": "" if score is None else score * (7.5 if cd else 5),
                          "steroids": yn(p["on_steroids"][j]),
                          "crp_mg_l": "" if p["crp"][j] is None else p["crp"][j],
                          "calprotectin_ug_g": "" if p["calpro"][j] is None else p["calpro"][j]})
        last = 52 if stop is None else stop
        events = [(0, {"event_type": "endoscopy", "endoscopy_index": "SES-CD" if cd else "Mayo",
                       "endoscopy_score": 12 if cd else 3})]
        if p["scope_week"] is not None and p["scope_week"] <= last:
            events.append((p["scope_week"], {"event_type": "endoscopy", "endoscopy_index": "SES-CD" if cd else "Mayo",
                                             "endoscopy_score": p["scope"] * (4 if cd else 1)}))
        if p["escalate"] is not None and p["escalate"] < last and p["dose"] < 45:
            events.append((p["escalate"], {"event_type": "dose_change", "new_dose": 45}))
        if p["ae"] is not None and p["ae"][0] <= last:
            week, kind, serious = p["ae"]
            events.append((week, {"event_type": "adverse_event", "ae_type": kind, "serious": yn(serious),
                                  "led_to_discontinuation": "no"}))
        if stop is not None:
            events.append((stop, {"event_type": "discontinuation", "reason": p["reason"]}))
        for week, fields in sorted(events, key=lambda e: e[0]):
            erows.append({"event_id": f"Y{len(erows):04d}", "patient_id": pid, "week": week,
                          "event_date": day(week), **fields})
    tables = {}
    for table, records in ((PATIENTS, prow), (VISITS, vrows), (EVENTS, erows)):
        frame, problems = read_csv_text(table.file, csv_bytes(table.column_names, records))
        assert not problems
        tables[table.file] = frame
    meta = base_meta(min_cell)
    # A cohort with no CRP (or calprotectin) at all declares no outcome on it, as the validator asks: a column an
    # outcome reads with no value in any row stops the build (every child would count as not achieving it).
    filled = {c for c in VISITS.column_names if (tables[VISITS.file][c].fillna("") != "").any()}
    meta["outcomes"] = {k: o for k, o in meta["outcomes"].items() if o.get("lab") in (None, *filled)}
    return validate(RawStudy("generated", Path("generated"), meta, tables, "0" * 12), shared_data())


def check_value(v: Value) -> None:
    for field in (v.value, v.ci_low, v.ci_high, v.sd, v.q1, v.q3):
        assert field is None or math.isfinite(field), v
    if v.kind == "proportion" and v.estimable:
        assert 0 <= v.value <= 1, v
        if v.ci_low is not None and v.ci_high is not None:
            assert 0 <= v.ci_low <= v.value + 1e-12 and v.value - 1e-12 <= v.ci_high <= 1, v
    if v.numerator is not None and v.denominator is not None and v.kind == "proportion":
        assert 0 <= v.numerator <= v.denominator, v
    for text in (fmt.clinical(v), fmt.percent(v), fmt.ci(v), fmt.n_of_n(v)):
        assert text.strip(), v
        assert not any(bad in text for bad in ("nan", "NaN", "None", "inf")), (text, v)
    if not v.estimable and not v.suppressed:
        assert fmt.clinical(v).startswith("not estimable (") and fmt.clinical(v).endswith(")"), fmt.clinical(v)
    if v.suppressed:
        assert v.value is None and v.numerator is None and v.ci_low is None and v.ci_high is None
        words = ("fewer than", "more than", "between", "or more", "suppressed", "withheld", "not shown")
        assert any(word in fmt.clinical(v) for word in words), fmt.clinical(v)
    if v.kind == "proportion":
        words = fmt.for_families(v)
        assert words.strip() and "None" not in words and "nan" not in words
        tenths = fmt.out_of_ten(v)
        assert tenths is None or 0 <= tenths <= 10


@SETTINGS
@given(patients=COHORTS)
def test_summaries_of_any_valid_cohort_are_within_bounds(patients: list[dict]) -> None:
    study = cohort(patients, min_cell=0)
    values = summarise(study)
    assert values
    for v in values:
        check_value(v)
        assert not v.suppressed
    by_id = {v.id.split(".", 1)[1]: v for v in values}
    assert by_id["n_patients"].value == len(patients)


@settings(SETTINGS, max_examples=20)
@given(patients=COHORTS, min_cell=st.sampled_from([3, 5, 11]))
def test_small_cells_are_withheld_in_any_valid_cohort(patients: list[dict], min_cell: int) -> None:
    """Either every published small cell is withheld, or the disclosure audit refuses to publish and names the
    cells (fail closed). A refusal is never a leak; protection leaves a breakdown out rather than refuse where it
    can, so refusals are rare (hypothesis statistics count them as 'failed to satisfy assume()'), and too many
    would make hypothesis fail (filter_too_much)."""
    study = cohort(patients, min_cell=min_cell)
    try:
        values = summarise(study)
    except BuildError as refused:
        assert "disclosure audit failed" in str(refused) and "a reader can work out" in str(refused)
        assume(False)
    for v in values:
        check_value(v)
        if not v.suppressed and not persistence_count(replace(v, id=v.id.split(".", 1)[1])):
            # counts of staying on treatment (at risk, on treatment, stopped) are published as they are
            for n in (v.numerator, v.denominator, v.value if v.kind == "count" else None):
                assert n is None or not 1 <= n < min_cell, v
            if v.kind == "proportion" and v.numerator is not None:
                assert not 1 <= v.denominator - v.numerator < min_cell, v


def test_the_forced_edge_cases_are_valid_cohorts() -> None:
    """The strategies' edge cases, written out once so that a failure names them plainly."""
    one = {"diagnosis": "UC", "sex": "F", "age_dx": 10, "age_start": 12, "prior": [True] * 5, "steroids": False,
           "dose": 45, "stop": 1, "reason": "adverse_event", "scores": [None] * 5, "crp": [None] * 5,
           "calpro": [None] * 5, "on_steroids": [False] * 5, "scope_week": None, "scope": 0, "ae": None,
           "escalate": None}
    for patients in ([one], [one, one | {"diagnosis": "CD"}], [one | {"stop": None}]):
        for min_cell in (0, 5):
            for v in summarise(cohort(patients, min_cell)):
                check_value(v)


@pytest.mark.parametrize("k", [0, 1])
def test_not_estimable_carries_a_reason(k: int) -> None:
    import pandas as pd

    from evidence_site.numbers import mean, proportion

    assert fmt.clinical(proportion("x", "x", 0, 0, population="p", method="m")) == \
        "not estimable (no patients in this group)"
    empty = mean("m", "m", pd.Series([None] * k, dtype="Float64"), population="p")
    assert fmt.clinical(empty).startswith("not estimable (")
