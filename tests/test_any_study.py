"""A generator, not a template: two fixture studies unlike the demonstration build beside it and alone.

``tests/fixtures/library/studies/`` holds a tofacitinib study (ulcerative colitis and IBD-unclassified, four
centres, weeks 0/8/16/52, many stopping early, colectomies after stopping, patients lost to follow-up,
twice-daily and liquid dosing) and an ustekinumab study (Crohn's disease only, PCDAI, other earlier
therapies, a dose every eight weeks, no calprotectin column). Both are made by
``tests/fixtures/make_fixture_studies.py``. Their key figures are checked against calculations written
here with pandas, statsmodels and scipy, not with the package's own functions.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import chi2
from statsmodels.stats.proportion import proportion_confint

from conftest import FIXTURES, built_once_per_run, load_study
from evidence_site import paths
from evidence_site.pipeline import build_site, generate, load_studies, site_inputs
from evidence_site.summarise import summarise

LIBRARY = FIXTURES / "library"
FIXTURE_IDS = ("tofacitinib-uc-multicentre", "ustekinumab-cd-pcdai")
DEMO = "example-clinic-records"


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration study and both fixtures built into one site (the real build, MkDocs included), once per
    test run (conftest.built_once_per_run: the test processes share it and only read it)."""
    return built_once_per_run(tmp_path_factory, "together", _build_together)


def _build_together(root: Path) -> None:
    studies = root / "library" / "studies"
    shutil.copytree(paths.STUDIES / DEMO, studies / DEMO)
    for sid in FIXTURE_IDS:
        shutil.copytree(LIBRARY / "studies" / sid, studies / sid)
    shutil.copytree(LIBRARY / "medicines", root / "library" / "medicines")
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    build_site(studies, paths.TEMPLATES, root / "docs", root / "site", paths.MKDOCS_YML, root / "build",
               progress=lambda _: None, warn=lambda _: None)


@pytest.mark.parametrize("study_id", FIXTURE_IDS)
def test_each_fixture_study_generates_alone(study_id: str, tmp_path: Path) -> None:
    studies = tmp_path / "library" / "studies"
    shutil.copytree(LIBRARY / "studies" / study_id, studies / study_id)
    shutil.copytree(LIBRARY / "medicines", tmp_path / "library" / "medicines")
    generated = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())
    assert {p.study for p in generated.pages if p.study} == {study_id}
    assert f"families/{study_id}/index.md" in generated.files


def test_families_are_not_told_a_child_whose_follow_up_ended_had_stopped(together: Path) -> None:
    """The other side of 'still taking it' counts children whose follow-up ended early too: the words say so
    where a study has them (the tofacitinib fixture), and only there."""
    words = "had stopped, or their follow-up had ended."
    for sid, lost in (("tofacitinib-uc-multicentre", True), (DEMO, False)):
        for page in ("index.html", "handout/index.html"):
            file = together / "site" / "families" / sid / page
            if file.is_file():
                assert (words in file.read_text(encoding="utf-8")) is lost, (sid, page)


def test_a_follow_up_that_ends_at_a_time_point_counts_in_the_next_interval(tmp_path: Path) -> None:
    """A patient whose follow-up ends exactly at a time point was assessed there (on treatment), then lost: the
    patient flow balances (on at week 16 = stopped + on + lost by week 52) and the build goes through the audit
    (it stopped with 'the published figures contradict each other' when the patient fell between intervals)."""
    sid = "tofacitinib-uc-multicentre"
    studies = tmp_path / "library" / "studies"
    shutil.copytree(LIBRARY / "studies" / sid, studies / sid)
    shutil.copytree(LIBRARY / "medicines", tmp_path / "library" / "medicines")
    patients = studies / sid / "patients.csv"
    table = pd.read_csv(patients, dtype=str, keep_default_na=False)
    moved = table["follow_up_end_week"] == "20"
    assert moved.sum() >= 2
    table.loc[moved, "follow_up_end_week"] = "16"
    table.to_csv(patients, index=False)
    for name in ("visits.csv", "events.csv"):  # nothing recorded after the new end of follow-up
        rows = pd.read_csv(studies / sid / name, dtype=str, keep_default_na=False)
        late = rows["patient_id"].isin(table.loc[moved, "patient_id"]) & (rows["week"].astype(float) > 16)
        rows[~late].to_csv(studies / sid / name, index=False)

    generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())  # the audit accepts the flow
    study = load_study(studies / sid)
    values = {x.id.split(".", 1)[1]: x.value for x in summarise(replace(study, spec=replace(study.spec, min_cell=0)))}
    p, e = study.patients, study.events
    stop = p.patient_id.map(e[e.event_type == "discontinuation"].groupby("patient_id").week.min())
    stop = stop.astype(float).fillna(np.inf).to_numpy()
    end = p.follow_up_end_week.astype(float).fillna(52.0).to_numpy()
    lost = (end < 52) & (stop > end)
    assert values["flow_lost_w52"] == int((lost & (end >= 16)).sum()) >= int(moved.sum())
    assert values["flow_on_w16"] == values["flow_stop_w52"] + values["flow_on_w52"] + values["flow_lost_w52"]


def _own_words(study_id: str, folder: Path) -> str:
    """Everything the study itself declares (its study.yml and its medicine): words it may legitimately use."""
    spec = (folder / "study.yml").read_text(encoding="utf-8")
    medicine = yaml.safe_load(spec)["medicine"]
    for where in (paths.DATA / "medicines", LIBRARY / "medicines"):
        if (where / f"{medicine}.yml").is_file():
            spec += (where / f"{medicine}.yml").read_text(encoding="utf-8")
    return spec.lower()


def _identity(folder: Path) -> set[str]:
    """Words that identify a study: its medicine and brand, its hospital and its condition."""
    spec = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    medicine = spec["medicine"]
    where = paths.DATA / "medicines" if (paths.DATA / "medicines" / f"{medicine}.yml").is_file() \
        else LIBRARY / "medicines"
    med = yaml.safe_load((where / f"{medicine}.yml").read_text(encoding="utf-8"))
    words = {med["name"], med["brand"], spec["condition"]}
    words |= set(re.findall(r"\(([^)]*hospital[^)]*)\)", spec["design"]["setting"], re.IGNORECASE))
    words |= {w for w in ("Boston",) if w in spec["design"]["setting"]}
    return {w.lower() for w in words}


# The hidden mark that search puts before made-up studies' results (render.MADE_UP_PARTIAL): words for search, not a
# sentence on the page.
MADE_UP_LIST = re.compile(r'<div id="made-up-pages" hidden data-mark="[^"]*"></div>')


def test_no_study_names_another_studys_medicine_hospital_or_condition(together: Path) -> None:
    folders = {DEMO: paths.STUDIES / DEMO, **{sid: LIBRARY / "studies" / sid for sid in FIXTURE_IDS}}
    for sid, folder in folders.items():
        own = _own_words(sid, folder)
        foreign = {w for other, f in folders.items() if other != sid for w in _identity(f) if w not in own}
        assert foreign, sid
        files = [p for audience in ("families", "clinicians") for p in (together / "docs" / audience / sid).rglob("*")
                 if p.is_file() and p.suffix in (".md", ".csv", ".svg")]
        files += [p for audience in ("families", "clinicians")
                  for p in (together / "site" / audience / sid).rglob("index.html")]
        assert len(files) > 20, sid
        for path in files:
            text = MADE_UP_LIST.sub("", path.read_text(encoding="utf-8")).lower()
            if path.suffix == ".html":  # the navigation lists every study: check the page's own article only
                text = text.split('<article', 1)[-1].split("</article>", 1)[0]
            found = sorted(w for w in foreign if w in text)
            assert not found, f"{path.relative_to(together)} names another study: {found}"


def test_every_section_of_every_page_has_content(together: Path) -> None:
    for sid in (DEMO, *FIXTURE_IDS):
        for md in [p for audience in ("families", "clinicians") for p in (together / "docs" / audience / sid).glob(
                "*.md")]:
            lines = md.read_text(encoding="utf-8").split("\n---\n", 1)[-1].splitlines()
            heads = [(i, len(m.group(1)), m.group(2)) for i, line in enumerate(lines)
                     if (m := re.match(r"^(#{2,4}) (.*)", line))]
            for k, (i, level, title) in enumerate(heads):
                stop = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(lines))
                content = [line for line in lines[i + 1:stop] if not line.startswith("#")]
                where = f"{md.relative_to(together)}: {title!r} is empty"
                assert any(re.search(r"\w", line) for line in content), where


def test_page_titles_of_a_study_name_its_own_medicine(together: Path) -> None:
    for sid in FIXTURE_IDS:
        med = yaml.safe_load((LIBRARY / "studies" / sid / "study.yml").read_text(encoding="utf-8"))["medicine"]
        html = (together / "site" / "families" / sid / "index.html").read_text(encoding="utf-8")
        assert med in html.lower() and "upadacitinib" not in MADE_UP_LIST.sub("", html.split("<article", 1)[-1]).lower()


# --- Key figures against an independent calculation -----------------------------------------------------------


def _tables(study_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    folder = LIBRARY / "studies" / study_id
    p = pd.read_csv(folder / "patients.csv", dtype={"prior_therapies": str})
    v = pd.read_csv(folder / "visits.csv")
    e = pd.read_csv(folder / "events.csv")
    spec = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    return p, v, e, spec


def _values(study_id: str) -> dict:
    study = load_study(LIBRARY / "studies" / study_id)
    return {x.id.split(".", 1)[1]: x for x in summarise(replace(study, spec=replace(study.spec, min_cell=0)))}


@pytest.fixture(scope="module", params=FIXTURE_IDS)
def fixture(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return request.param, _values(request.param)


def _yes(s: pd.Series) -> pd.Series:
    return s.astype(str).str.lower().isin(["yes", "true"])


def test_n_and_on_treatment_at_each_time_point_with_wilson_interval(fixture) -> None:
    sid, values = fixture
    p, _v, e, spec = _tables(sid)
    n = len(p)
    assert values["n_patients"].value == n
    stop = e[e.event_type == "discontinuation"].groupby("patient_id").week.min()
    end = p.set_index("patient_id").get("follow_up_end_week", pd.Series(dtype=float)).reindex(p.patient_id)
    end = end.fillna(spec["follow_up_weeks"])
    for week in spec["timepoints_weeks"][1:]:
        on = (~(p.patient_id.map(stop) <= week)) & (end.values >= week)
        assert values[f"flow_on_w{week}"].value == int(on.sum()), week
    last = spec["timepoints_weeks"][-1]
    on = (~(p.patient_id.map(stop) <= last)) & (end.values >= last)
    x = values[f"persistence_w{last}"]
    low, high = proportion_confint(int(on.sum()), n, method="wilson")
    assert (x.numerator, x.denominator) == (int(on.sum()), n)
    assert (x.ci_low, x.ci_high) == pytest.approx((low, high), abs=1e-9)


def test_two_or_more_earlier_advanced_therapies_leaves_out_conventional_ones(fixture) -> None:
    """Thiopurines and methotrexate are listed as earlier therapies but are not advanced therapies (outside
    research coordinator: Table 1 counted them in 'two or more earlier advanced therapies failed')."""
    sid, values = fixture
    p, _v, _e, spec = _tables(sid)
    advanced = {"anti_tnf", "vedolizumab", "ustekinumab", "tofacitinib", "risankizumab"} & set(spec["prior_therapies"])
    assert set(spec["prior_therapies"]) - advanced  # each fixture lists a conventional therapy too
    counts = p.prior_therapies.fillna("").map(lambda cell: len(advanced & {c.strip() for c in cell.split(";")}))
    x = values["t1_prior_2plus_all"]
    assert (x.numerator, x.denominator) == (int((counts >= 2).sum()), len(p)), sid


def test_a_study_of_one_diagnosis_names_it_instead_of_all_diagnoses(fixture) -> None:
    sid, values = fixture
    p, _v, _e, _spec = _tables(sid)
    labels = [v.label for k, v in values.items() if k.endswith(("_all_itt", "_all_obs"))]
    assert labels
    if p.diagnosis.nunique() == 1:  # the ustekinumab fixture: Crohn's disease only
        assert not [x for x in labels if "all diagnoses" in x] and any("Crohn" in x for x in labels), labels[:3]
    else:
        assert any("all diagnoses" in x for x in labels)


def test_remission_with_both_denominators(fixture) -> None:
    sid, values = fixture
    p, v, e, spec = _tables(sid)
    last = spec["timepoints_weeks"][-1]
    o = spec["outcomes"]["sf_remission" if "sf_remission" in spec["outcomes"] else "remission"]
    key = "sf_remission" if "sf_remission" in spec["outcomes"] else "remission"
    cut = spec["outcomes"]["remission"]["thresholds"]
    rule = spec["outcomes"]["remission"]["rule"]
    stop = e[e.event_type == "discontinuation"].groupby("patient_id").week.min()
    end = p.set_index("patient_id").get("follow_up_end_week", pd.Series(dtype=float)).reindex(p.patient_id)
    end = pd.Series(end.fillna(spec["follow_up_weeks"]).values, index=p.patient_id)
    on = p.patient_id[(~(p.patient_id.map(stop) <= last)) & (end.values >= last)]
    at = v[(v.week == last) & v.patient_id.isin(on)].set_index("patient_id")
    at = at[_yes(at.on_treatment)]
    score_ok = at.apply(lambda r: (r.activity_score < cut[r.activity_index]) if rule == "score_below"
                        else (r.activity_score <= cut[r.activity_index]), axis=1) if len(at) else pd.Series(dtype=bool)
    hits = score_ok & at.activity_score.notna()
    if o.get("steroid_free"):
        hits &= ~_yes(at.steroids)
    k = int(hits.sum())
    assert (values[f"eff_{key}_w{last}_all_itt"].numerator, values[f"eff_{key}_w{last}_all_itt"].denominator) == \
        (k, len(p))
    assert (values[f"eff_{key}_w{last}_all_on"].numerator, values[f"eff_{key}_w{last}_all_on"].denominator) == \
        (k, len(on))
    low, high = proportion_confint(k, len(p), method="wilson")
    assert values[f"eff_{key}_w{last}_all_itt"].ci_low == pytest.approx(low, abs=1e-9)
    assert values[f"eff_{key}_w{last}_all_itt"].ci_high == pytest.approx(high, abs=1e-9)


def _kaplan_meier(times: np.ndarray, stopped: np.ndarray, at: float) -> float:
    """The product-limit estimate written out: the product over stopping times t <= at of (1 - d/n)."""
    s = 1.0
    for t in np.unique(times[stopped]):
        if t > at:
            break
        n_at_risk = (times >= t).sum()
        d = ((times == t) & stopped).sum()
        s *= 1 - d / n_at_risk
    return s


def test_kaplan_meier_persistence_censors_those_lost_to_follow_up(fixture) -> None:
    sid, values = fixture
    p, _v, e, spec = _tables(sid)
    stop = p.patient_id.map(e[e.event_type == "discontinuation"].groupby("patient_id").week.min())
    end = p.get("follow_up_end_week", pd.Series(np.nan, index=p.index)).fillna(spec["follow_up_weeks"])
    stopped = (stop.notna() & (stop <= end)).to_numpy()
    times = np.where(stopped, stop, end).astype(float)
    for week in spec["timepoints_weeks"]:
        assert values[f"km_w{week}"].value == pytest.approx(_kaplan_meier(times, stopped, week), abs=1e-12), week
        assert values[f"km_at_risk_w{week}"].value == int((times >= week).sum())
    if "follow_up_end_week" in p and p.follow_up_end_week.notna().any():
        naive = 1 - stopped.mean()
        assert values[f"km_w{spec['timepoints_weeks'][-1]}"].value != pytest.approx(naive)  # censoring counts


def test_adverse_events_and_exposure_adjusted_rates(fixture) -> None:
    sid, values = fixture
    p, _v, e, spec = _tables(sid)
    ae = e[e.event_type == "adverse_event"]
    assert (values["ae_any"].numerator, values["ae_any"].denominator) == (ae.patient_id.nunique(), len(p))
    end = p.get("follow_up_end_week", pd.Series(np.nan, index=p.index)).fillna(spec["follow_up_weeks"])
    years = end.sum() / (365.25 / 7)
    assert values["exposure_py"].value == pytest.approx(years)
    k = len(ae)
    rate = values["ae_rate_any"]
    assert rate.value == pytest.approx(100 * k / years)
    assert rate.ci_low == pytest.approx(100 * chi2.ppf(0.025, 2 * k) / 2 / years)
    assert rate.ci_high == pytest.approx(100 * chi2.ppf(0.975, 2 * k + 2) / 2 / years)
    for t in ae.ae_type.unique():
        assert values[f"ae_patients_{t}"].numerator == ae[ae.ae_type == t].patient_id.nunique()


def test_surgery_after_stopping_is_reported(fixture) -> None:
    sid, values = fixture
    _p, _v, e, _spec = _tables(sid)
    ops = e[e.event_type == "surgery"]
    assert values["surgery_any"].numerator == ops.patient_id.nunique()
    if len(ops):
        stop = ops.patient_id.map(e[e.event_type == "discontinuation"].groupby("patient_id").week.min())
        first = ops.sort_values("week").groupby("patient_id").head(1)
        after = (first.week >= first.patient_id.map(e[e.event_type == "discontinuation"].groupby(
            "patient_id").week.min())).sum()
        assert values["surgery_after_stop"].numerator == int(after)
        assert stop.notna().any()


def test_fixture_generator_is_reproducible(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixture_studies", FIXTURES / "make_fixture_studies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for sid, make in module.STUDIES.items():
        for file, (columns, rows) in make().items():
            module._write(tmp_path / sid / file, columns, rows)
            assert (tmp_path / sid / file).read_bytes() == (LIBRARY / "studies" / sid / file).read_bytes(), (sid, file)
