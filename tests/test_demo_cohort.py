"""The synthetic demonstration cohort: deterministic, committed as generated, and true to the published figures.

The headline figures are recomputed here from the CSV files with plain pandas, independently of the
generator's own checks.
"""

from __future__ import annotations

from pathlib import Path

import demo_cohort
import pandas as pd
import pytest

from evidence_site import schema

STUDY = Path(__file__).resolve().parents[1] / "data" / "studies" / "example-clinic-records"
FILES = ("patients.csv", "visits.csv", "events.csv")
YES_NO = {"yes": True, "no": False}


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {f.split(".")[0]: pd.read_csv(folder / f, dtype=str, keep_default_na=False) for f in FILES}
    for table in schema.TABLES:
        df = frames[table.file.split(".")[0]]
        for col in table.columns:
            if col.name not in df.columns:
                continue
            if col.type in ("integer", "number"):
                df[col.name] = pd.to_numeric(df[col.name].replace("", None))
            elif col.type == "date":
                df[col.name] = pd.to_datetime(df[col.name].replace("", None), format="%Y-%m-%d")
            elif col.type == "boolean":
                df[col.name] = df[col.name].map(YES_NO).astype("boolean")
            else:
                df[col.name] = df[col.name].mask(df[col.name] == "")
    return frames


@pytest.fixture(scope="module")
def cohort() -> dict[str, pd.DataFrame]:
    return _read(STUDY)


def _pct(num: int, den: int) -> int:
    return int(100 * num / den + 0.5)  # half up, as a reader would round


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        demo_cohort.write_cohort(demo_cohort.make_cohort(), tmp_path / run)
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_committed_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    demo_cohort.write_cohort(demo_cohort.make_cohort(), tmp_path)
    for f in FILES:
        assert (STUDY / f).read_bytes() == (tmp_path / f).read_bytes(), (
            f"{f} differs from a fresh generation: run `make demo-data` instead of editing it by hand")


def test_files_are_utf8_with_unix_line_endings_and_schema_columns() -> None:
    for table in schema.TABLES:
        raw = (STUDY / table.file).read_bytes()
        assert b"\r" not in raw
        header = tuple(raw.decode("utf-8").splitlines()[0].split(","))
        required = tuple(c.name for c in table.columns if not c.optional)
        assert set(required) <= set(header) and set(header) <= set(table.column_names)
        assert header == tuple(c for c in table.column_names if c in header)  # in the contract's order


@pytest.mark.parametrize("seed", [1, 2, 3, 12345])
def test_other_seeds_also_reproduce_the_figures(seed: int) -> None:
    demo_cohort.make_cohort(seed)  # raises AssertionError if any figure is missed


def test_patients_and_prior_therapies(cohort: dict[str, pd.DataFrame]) -> None:
    p = cohort["patients"]
    assert len(p) == 48
    assert p.diagnosis.value_counts().to_dict() == {"UC": 27, "CD": 21}
    assert round(p.age_at_diagnosis_years.mean(), 1) == 10.9
    assert round(p.age_at_start_years.mean(), 1) == 14.1
    prior = p.prior_therapies.fillna("").str.split(";").map(lambda xs: {x.strip() for x in xs})
    counts = {t: int(prior.map(lambda s, t=t: t in s).sum()) for t in demo_cohort.PRIOR_THERAPIES}
    assert counts == {"anti_tnf": 47, "ustekinumab": 27, "vedolizumab": 22, "tofacitinib": 7, "risankizumab": 3}
    assert {t: _pct(k, 48) for t, k in counts.items()} == {
        "anti_tnf": 98, "ustekinumab": 56, "vedolizumab": 46, "tofacitinib": 15, "risankizumab": 6}


def test_persistence_at_week_52(cohort: dict[str, pd.DataFrame]) -> None:
    p, e = cohort["patients"], cohort["events"]
    stops = e[(e.event_type == "discontinuation") & (e.week < 52)]
    assert stops.patient_id.is_unique and len(stops) == 9
    assert p.set_index("patient_id").loc[stops.patient_id, "diagnosis"].value_counts().to_dict() == {"UC": 5, "CD": 4}
    assert _pct(48 - len(stops), 48) == 81
    assert "adverse_event" in set(stops.reason)
    ae_stop = e[(e.event_type == "adverse_event") & e.led_to_discontinuation.eq(True)]
    assert set(zip(ae_stop.patient_id, ae_stop.week, strict=True)) == set(
        zip(stops.patient_id[stops.reason == "adverse_event"], stops.week[stops.reason == "adverse_event"],
            strict=True))


def _week52(cohort: dict[str, pd.DataFrame]) -> pd.DataFrame:
    v, p = cohort["visits"], cohort["patients"]
    base = v[v.week == 0].set_index("patient_id")[["activity_score", "crp_mg_l"]].add_suffix("_0")
    w52 = v[(v.week == 52) & v.on_treatment].set_index("patient_id").join(base)
    p = p.assign(prior_tofacitinib=p.prior_therapies.fillna("").str.contains("tofacitinib"))
    return w52.join(p.set_index("patient_id")[["diagnosis", "prior_tofacitinib"]])


def test_steroid_free_remission_at_week_52(cohort: dict[str, pd.DataFrame]) -> None:
    w52 = _week52(cohort)
    assert len(w52) == 39
    remission = ((w52.activity_index == "PUCAI") & (w52.activity_score < 10)) | (
        (w52.activity_index == "wPCDAI") & (w52.activity_score < 12.5))
    sfr = remission & ~w52.steroids.astype(bool)
    got = {dx: (int(sfr[w52.diagnosis == dx].sum()), int((w52.diagnosis == dx).sum())) for dx in ("CD", "UC")}
    assert got == {"CD": (8, 17), "UC": (16, 22)}
    assert _pct(8, 17) == 47 and _pct(16, 22) == 73


def test_crp_normalised(cohort: dict[str, pd.DataFrame]) -> None:
    w52 = _week52(cohort)
    raised = w52[w52.crp_mg_l_0 > 5]
    assert (len(raised), int((raised.crp_mg_l <= 5).sum())) == (30, 22)
    assert _pct(22, 30) == 73


def test_endoscopy(cohort: dict[str, pd.DataFrame]) -> None:
    p, e = cohort["patients"], cohort["events"]
    endo = e[e.event_type == "endoscopy"]
    assert set(endo.patient_id[endo.week == 0]) == set(p.patient_id)
    repeat = endo[endo.week > 0]
    assert repeat.week.between(20, 52).all()
    last = repeat.sort_values("week", kind="stable").groupby("patient_id").tail(1)
    healed = ((last.endoscopy_index == "Mayo") & (last.endoscopy_score <= 1)) | (
        (last.endoscopy_index == "SES-CD") & (last.endoscopy_score <= 2))
    assert (len(last), int(healed.sum())) == (26, 12)
    assert 50 < 100 * 26 / 48 < 60 and _pct(12, 26) == 46
    dx = p.set_index("patient_id").diagnosis
    assert (endo.endoscopy_index == endo.patient_id.map(dx).map({"UC": "Mayo", "CD": "SES-CD"})).all()


def test_response_after_tofacitinib(cohort: dict[str, pd.DataFrame]) -> None:
    p, w52 = cohort["patients"], _week52(cohort)
    fall = w52.activity_score_0 - w52.activity_score
    response = ((w52.activity_index == "PUCAI") & (fall >= 20)) | ((w52.activity_index == "wPCDAI") & (fall >= 17.5))
    tofa = p.prior_therapies.fillna("").str.contains("tofacitinib")
    assert (int((response & w52.prior_tofacitinib).sum()), int(tofa.sum())) == (6, 7)


def test_plausibility(cohort: dict[str, pd.DataFrame]) -> None:
    p, v, e = cohort["patients"], cohort["visits"], cohort["events"]
    assert p.patient_id.tolist() == [f"P{i:03d}" for i in range(1, 49)]
    assert (p.age_at_start_years < 18).all() and (p.age_at_diagnosis_years >= 2).all()
    assert (p.age_at_start_years > p.age_at_diagnosis_years).all()
    assert p.start_date.between("2021-01-01", "2024-06-30").all()
    assert set(v.week) <= {0, 8, 12, 26, 52} and v.on_treatment.all()
    assert not v.drop(columns=["patient_id", "visit_date", "on_treatment"]).isna().any().any()
    base = v[v.week == 0].set_index("patient_id")
    assert set(base.index) == set(p.patient_id)
    assert (base.steroids == p.set_index("patient_id").baseline_steroids.reindex(base.index)).all()
    assert 15 <= int(base.steroids.sum()) <= 24 and 30 <= int((base.crp_mg_l > 5).sum()) <= 40
    assert (base.height_z < -1.64).sum() >= 1 and base.weight_z.mean() < 0
    uc = base.activity_index == "PUCAI"
    assert base.activity_score[uc].between(35, 70).all() and base.activity_score[~uc].between(40, 80).all()
    start = p.set_index("patient_id").start_date
    gap = (v.visit_date - v.patient_id.map(start)).dt.days - 7 * v.week
    assert gap.abs().max() <= 3
    for _, rows in v.groupby("patient_id"):
        assert rows.week.is_monotonic_increasing and rows.visit_date.is_monotonic_increasing
        assert rows.visit_date.diff().dropna().dt.days.gt(0).all()
    stop_week = e[e.event_type == "discontinuation"].set_index("patient_id").week
    assert (v.week <= v.patient_id.map(stop_week).fillna(52)).all()
    assert e.event_id.tolist() == [f"E{i:04d}" for i in range(1, len(e) + 1)]
    assert (e.week <= e.patient_id.map(stop_week).fillna(52)).all()
    for _, rows in e.groupby("patient_id", sort=False):
        assert rows.week.is_monotonic_increasing and rows.event_date.is_monotonic_increasing
        if (rows.event_type == "discontinuation").any():
            assert rows.event_type.iloc[-1] == "discontinuation"
    assert e.patient_id.is_monotonic_increasing
    ae = e.event_type == "adverse_event"
    assert e.loc[ae, ["ae_type", "serious", "led_to_discontinuation"]].notna().all().all()
    assert e.loc[~ae, ["ae_type", "serious", "led_to_discontinuation"]].isna().all().all()
    assert 1 <= int(e.serious.eq(True).sum()) <= 2
    esc = e[e.event_type == "dose_change"]
    assert esc.week.between(12, 40).all() and set(esc.new_dose) <= {30, 45} and 8 <= len(esc) <= 12
    assert e.notes.notna().sum() >= 3
