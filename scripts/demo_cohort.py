"""A SYNTHETIC demonstration cohort: invented children, not real patients.

The published abstract of Bachand et al. (Boston Children's Hospital, 2026) reports only aggregate
figures. This module invents 48 patients whose data reproduce those figures exactly at their published
precision, so the site can be built and tested end to end. Every value is made up: the counts are fixed
by the role tables below, and a seeded random generator fills in plausible values within them. The
published figures are checked at the end of :func:`make_cohort`, so the cohort can never drift silently.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from evidence_site import schema

PRIOR_THERAPIES = ("anti_tnf", "ustekinumab", "vedolizumab", "tofacitinib", "risankizumab")

TIMEPOINTS = (0, 8, 12, 26, 52)
START_DATES = (date(2021, 1, 1), date(2024, 6, 30))
# Per diagnosis: activity index, remission below, response fall, score step, baseline range, endoscopy index.
INDEX = {
    "UC": {"name": "PUCAI", "remission": 10.0, "response": 20.0, "step": 5.0, "max": 85.0, "base": (35, 70),
           "endo": "Mayo"},
    "CD": {"name": "wPCDAI", "remission": 12.5, "response": 17.5, "step": 2.5, "max": 125.0, "base": (40, 80),
           "endo": "SES-CD"},
}
ENDO_REMISSION = {"Mayo": 1, "SES-CD": 2}
CRP_NORMAL = 5.0

# The published figures as counts: numerator, denominator. The CD/UC split (21/27) and the CRP
# denominator (30) are not published; they are the assumptions this demonstration makes.
TARGETS: dict[str, object] = {
    "patients": 48, "CD": 21, "UC": 27, "mean_age_at_diagnosis": 10.9, "mean_age_at_start": 14.1,
    "prior": {"anti_tnf": 47, "ustekinumab": 27, "vedolizumab": 22, "tofacitinib": 7, "risankizumab": 3},
    "on_treatment_week_52": (39, 48), "cs_free_remission_CD": (8, 17), "cs_free_remission_UC": (16, 22),
    "crp_normalised": (22, 30), "repeat_endoscopy": (26, 48), "endoscopic_remission": (12, 26),
    "tofacitinib_response": (6, 7),
}

# Patients on treatment at week 52, by their week-52 state ("sfr": steroid-free remission; "rem_st":
# remission on steroids; "resp": response without remission; "nonresp"). Exact counts of the CRP course
# (raised then normal, raised and still raised, normal at baseline), of the last repeat endoscopy
# (remission, active, none) and of prior tofacitinib within each group.
COMPLETERS = (
    # dx, state, n, (norm, high, ok), (rem, active, none), tofacitinib
    ("CD", "sfr", 8, (6, 1, 1), (4, 1, 3), 0),
    ("CD", "rem_st", 2, (2, 0, 0), (0, 1, 1), 0),
    ("CD", "resp", 4, (1, 1, 2), (0, 2, 2), 0),
    ("CD", "nonresp", 3, (0, 2, 1), (0, 2, 1), 0),
    ("UC", "sfr", 16, (11, 1, 4), (8, 3, 5), 4),
    ("UC", "rem_st", 1, (1, 0, 0), (0, 1, 0), 1),
    ("UC", "resp", 3, (1, 1, 1), (0, 1, 2), 1),
    ("UC", "nonresp", 2, (0, 2, 0), (0, 1, 1), 0),
)
# Patients who stopped before week 52 (never on a visit week): dx, week, reason, raised baseline CRP,
# repeat endoscopy, prior tofacitinib, what else happened that week.
STOPPERS = (
    ("CD", 10, "lack_of_response", True, False, False, None),
    ("CD", 16, "adverse_event", True, False, False, ("acne", False)),
    ("CD", 30, "loss_of_response", True, True, False, None),
    ("CD", 40, "patient_choice", False, False, False, None),
    ("UC", 10, "lack_of_response", True, False, True, "surgery"),
    ("UC", 14, "lack_of_response", True, False, False, None),
    ("UC", 22, "adverse_event", False, False, False, ("infection", True)),
    ("UC", 34, "loss_of_response", True, True, False, None),
    ("UC", 44, "patient_choice", False, False, False, None),
)
AE_COUNTS = {"acne": 8, "infection": 6, "hyperlipidaemia": 5, "headache": 3, "cpk_increase": 3,
             "herpes_zoster": 2, "neutropenia": 1}
N_ESCALATIONS = 10
NOTES = ("seen in clinic", "phone follow-up with parent", "labs drawn at local hospital", "seen in clinic")
EVENT_ORDER = {"endoscopy": 0, "adverse_event": 1, "dose_change": 2, "surgery": 3, "discontinuation": 4}


def _spread(rng: np.random.Generator, counts: tuple[int, ...], labels: tuple) -> list:
    out = [lab for lab, k in zip(labels, counts, strict=True) for _ in range(k)]
    return [out[i] for i in rng.permutation(len(out))]


def _roles(rng: np.random.Generator) -> list[dict]:
    roles = []
    for dx, state, n, crp, endo, tofa in COMPLETERS:
        for c, e, t in zip(_spread(rng, crp, ("norm", "high", "ok")), _spread(rng, endo, ("rem", "active", "none")),
                           _spread(rng, (tofa, n - tofa), (True, False)), strict=True):
            roles.append({"dx": dx, "state": state, "stop": None, "crp": c, "endo": e, "tofa": t, "extra": None})
    for dx, week, reason, raised, endo, tofa, extra in STOPPERS:
        roles.append({"dx": dx, "state": reason, "stop": week, "crp": "high" if raised else "ok",
                      "endo": "active" if endo else "none", "tofa": tofa, "extra": extra})
    return [roles[i] for i in rng.permutation(len(roles))]


def _hit_mean(rng: np.random.Generator, tenths: np.ndarray, target: float, lo: np.ndarray, hi: np.ndarray):
    """Nudge integer tenths of a year, within [lo, hi], until their mean is exactly ``target``."""
    tenths = np.clip(tenths, lo, hi)
    gap = round(target * 10 * len(tenths)) - int(tenths.sum())
    while gap:
        step = 1 if gap > 0 else -1
        room = np.flatnonzero(tenths + step <= hi) if step > 0 else np.flatnonzero(tenths + step >= lo)
        i = rng.choice(room)
        tenths[i] += step
        gap -= step
    return tenths / 10


def _patients(rng: np.random.Generator, roles: list[dict]) -> pd.DataFrame:
    n = len(roles)
    start = _hit_mean(rng, np.round(rng.normal(14.1, 2.3, n) * 10).astype(int), TARGETS["mean_age_at_start"],
                      np.full(n, 60), np.full(n, 179))
    dx_age = np.round((start - rng.gamma(2.0, 1.6, n)) * 10).astype(int)
    dx_age = _hit_mean(rng, dx_age, TARGETS["mean_age_at_diagnosis"], np.full(n, 20),
                       np.round(start * 10).astype(int) - 3)
    span = (START_DATES[1] - START_DATES[0]).days
    df = pd.DataFrame({
        "patient_id": [f"P{i + 1:03d}" for i in range(n)],
        "diagnosis": [r["dx"] for r in roles],
        "sex": np.where(rng.random(n) < 0.55, "M", "F"),
        "age_at_diagnosis_years": dx_age, "age_at_start_years": start,
        "start_date": [START_DATES[0] + timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)],
    })
    cd, uc = np.flatnonzero(df.diagnosis == "CD"), np.flatnonzero(df.diagnosis == "UC")

    def pick(pool: np.ndarray, k: int) -> np.ndarray:
        flags = np.zeros(n, dtype=bool)
        flags[rng.choice(pool, k, replace=False)] = True
        return flags

    completer = np.array([r["stop"] is None for r in roles])
    df["prior_anti_tnf"] = ~pick(np.flatnonzero((df.diagnosis == "UC").to_numpy() & completer), 1)
    df["prior_ustekinumab"] = pick(cd, 17) | pick(uc, 10)
    df["prior_vedolizumab"] = pick(cd, 5) | pick(uc, 17)
    df["prior_tofacitinib"] = [r["tofa"] for r in roles]
    df["prior_risankizumab"] = pick(cd, 3)
    # About 40% on steroids at start; everyone in remission-on-steroids at week 52 started on them.
    forced = np.array([r["state"] == "rem_st" for r in roles])
    df["baseline_steroids"] = forced | pick(np.flatnonzero(~forced), 19 - int(forced.sum()))
    df["starting_dose"] = np.where(pick(np.arange(n), 4), 30, 45)
    df["dose_unit"] = "mg"
    df["dose_frequency"] = "once_daily"
    df["formulation"] = "tablet"
    df["prior_therapies"] = ["; ".join(t for t in PRIOR_THERAPIES if row[f"prior_{t}"]) for _, row in df.iterrows()]
    return df


def _round_step(x: float, step: float, top: float) -> float:
    return float(min(max(round(x / step) * step, 0.0), top))


def _score_path(rng: np.random.Generator, role: dict, base: float) -> tuple[float, list[float]]:
    """Week-52 score for the role, and the improvement fractions at weeks 0, 8, 12, 26, 52."""
    ix = INDEX[role["dx"]]
    step, rem, resp = ix["step"], ix["remission"], ix["response"]
    state = role["state"]
    if state in ("sfr", "rem_st"):
        end = step * rng.integers(0, int(np.ceil(rem / step)))  # below the remission threshold
    elif state in ("resp", "adverse_event", "patient_choice"):
        # At or above the remission threshold, and at least the response fall below baseline.
        end = step * rng.integers(int(np.ceil(rem / step)), int(min(35, base - resp) / step) + 1)
    elif state == "loss_of_response":
        end = step * rng.integers(2, 5)
    else:  # nonresp, lack_of_response: less than a response
        end = base - step * rng.integers(-1, int(np.ceil(resp / step)) - 1)
    if state in ("sfr", "rem_st"):  # those in remission at week 52 mostly improved early; some remit by week 8
        fractions = [0.0, rng.uniform(0.55, 1.0), rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.0), 1.0]
    else:
        fractions = [0.0, rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.85), rng.uniform(0.75, 1.0), 1.0]
    if state == "loss_of_response":
        fractions[3] = rng.uniform(-0.1, 0.2)
    return float(end), fractions


def _patient_rows(rng: np.random.Generator, role: dict, p: pd.Series) -> tuple[list[dict], list[dict]]:
    ix = INDEX[role["dx"]]
    stop = role["stop"]
    weeks = [w for w in TIMEPOINTS if stop is None or w < stop]
    base = float(ix["step"] * rng.integers(int(ix["base"][0] / ix["step"]), int(ix["base"][1] / ix["step"]) + 1))
    end, frac = _score_path(rng, role, base)
    crp0 = rng.uniform(0.3, 4.8) if role["crp"] == "ok" else min(max(np.exp(rng.normal(np.log(18), 0.7)), 5.5), 120)
    crp52 = {"ok": rng.uniform(0.2, 4.8), "norm": rng.uniform(0.2, 4.5), "high": rng.uniform(6, 25)}[role["crp"]]
    cal0 = min(max(np.exp(rng.normal(np.log(1200), 0.45)), 250), 4000)
    cal52 = rng.uniform(*{"sfr": (20, 200), "rem_st": (50, 300), "resp": (150, 600)}.get(role["state"], (400, 2000)))
    wz0, hz0 = rng.normal(-0.4, 1.0), (rng.uniform(-2.6, -1.8) if rng.random() < 0.1 else rng.normal(-0.3, 0.8))
    wgain = {"sfr": (0.1, 0.6), "rem_st": (0.0, 0.4), "resp": (-0.1, 0.4)}.get(role["state"], (-0.4, 0.2))
    wgain, hgain = rng.uniform(*wgain), rng.uniform(-0.1, 0.25)
    on_steroids = bool(p.baseline_steroids)
    visits = []
    for w, f in zip(TIMEPOINTS, frac, strict=True):
        if w not in weeks:
            continue
        if w == 52:
            on_steroids = role["state"] == "rem_st" or (role["state"] in ("resp", "nonresp") and rng.random() < 0.3)
        elif w >= 12 and on_steroids:
            on_steroids = rng.random() < (0.6 if w == 12 else 0.35) or role["state"] == "rem_st"
        noise = 0.0 if w in (0, 52) else rng.normal(0, 0.12)
        visits.append({
            "patient_id": p.patient_id, "week": w,
            "visit_date": p.start_date + timedelta(days=7 * w + (int(rng.integers(-3, 4)) if w else 0)),
            "on_treatment": True, "activity_index": ix["name"],
            "activity_score": _round_step(base - f * (base - end), ix["step"], ix["max"]),
            "steroids": on_steroids,
            "crp_mg_l": round(float(crp0 * (crp52 / crp0) ** f * np.exp(noise)), 1),
            "calprotectin_ug_g": float(round(cal0 * (cal52 / cal0) ** f * np.exp(noise))),
            "weight_z": round(float(np.clip(wz0 + wgain * w / 52 + rng.normal(0, 0.05), -5, 5)), 2),
            "height_z": round(float(np.clip(hz0 + hgain * w / 52, -5, 5)), 2),
        })
    visits[0]["steroids"] = bool(p.baseline_steroids)
    return visits, _events(rng, role, p, base)


def _events(rng: np.random.Generator, role: dict, p: pd.Series, base: float) -> list[dict]:
    endo_ix, stop = INDEX[role["dx"]]["endo"], role["stop"]
    mayo = endo_ix == "Mayo"
    e0 = int(rng.choice([2, 3], p=[0.4, 0.6])) if mayo else int(rng.integers(7, 26))
    events = [{"week": 0, "event_type": "endoscopy", "endoscopy_index": endo_ix, "endoscopy_score": e0}]
    if role["endo"] != "none":
        if stop is not None:
            repeat_weeks = [stop - int(rng.integers(1, 4))]
        elif rng.random() < 0.25:
            repeat_weeks = [int(rng.integers(20, 31)), int(rng.integers(44, 53))]
        else:
            repeat_weeks = [int(rng.integers(20, 53))]
        for k, w in enumerate(repeat_weeks, start=1):
            if role["endo"] == "rem" and k == len(repeat_weeks):
                score = int(rng.integers(0, ENDO_REMISSION[endo_ix] + 1))
            else:
                score = int(rng.choice([2, 3], p=[0.7, 0.3])) if mayo else max(3, round(e0 * rng.uniform(0.3, 0.8)))
            events.append({"week": w, "event_type": "endoscopy", "endoscopy_index": endo_ix, "endoscopy_score": score})
    extra = role["extra"]
    if extra == "surgery":
        events.append({"week": stop, "event_type": "surgery", "surgery_type": "colectomy"})
    elif extra is not None:
        events.append({"week": stop, "event_type": "adverse_event", "ae_type": extra[0], "serious": extra[1],
                       "led_to_discontinuation": True})
    if stop is not None:
        events.append({"week": stop, "event_type": "discontinuation", "reason": role["state"]})
    return events


def make_cohort(seed: int = 20260124) -> dict[str, pd.DataFrame]:
    """Build the synthetic cohort; raises AssertionError if any published figure is not reproduced."""
    rng = np.random.default_rng(seed)
    roles = _roles(rng)
    patients = _patients(rng, roles)
    visits, events = [], []
    for role, (_, p) in zip(roles, patients.iterrows(), strict=True):
        v, e = _patient_rows(rng, role, p)
        visits += v
        events += [{"patient_id": p.patient_id, **x} for x in e]
    _add_adverse_events(rng, roles, patients, events)
    _add_escalations(rng, roles, patients, events)
    start = dict(zip(patients.patient_id, patients.start_date, strict=True))
    ev = pd.DataFrame(events).reindex(columns=schema.EVENTS.column_names)
    ev["_order"] = ev.event_type.map(EVENT_ORDER)
    ev = ev.sort_values(["patient_id", "week", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    shift = {key: int(rng.integers(0, 3)) if key[1] else 0 for key in zip(ev.patient_id, ev.week, strict=True)}
    ev["event_date"] = [start[pid] + timedelta(days=7 * int(w) + shift[(pid, w)])
                        for pid, w in zip(ev.patient_id, ev.week, strict=True)]
    ev["event_id"] = [f"E{i + 1:04d}" for i in range(len(ev))]
    ev["notes"] = ev["notes"].astype(object)
    free = ev.index[ev.notes.isna() & (ev.event_type != "discontinuation") & (ev.event_type != "surgery")]
    ev.loc[rng.choice(free.to_numpy(), len(NOTES), replace=False), "notes"] = list(NOTES)
    for col in ("serious", "led_to_discontinuation"):
        ev[col] = ev[col].astype("boolean")
    ev["new_dose"] = ev["new_dose"].astype("Int64")
    frames = {"patients": patients, "visits": pd.DataFrame(visits), "events": ev}
    for key, table in zip(("patients", "visits", "events"), schema.TABLES, strict=True):
        frames[key] = frames[key].reindex(columns=table.column_names)
        for col in table.columns:
            if col.type == "date":
                frames[key][col.name] = pd.to_datetime(frames[key][col.name])
    check_figures(frames)
    return frames


def _add_adverse_events(rng: np.random.Generator, roles: list[dict], patients: pd.DataFrame, events: list) -> None:
    for ae, count in AE_COUNTS.items():
        had = {i for i, r in enumerate(roles) if isinstance(r["extra"], tuple) and r["extra"][0] == ae}
        pool = [i for i in range(len(roles)) if i not in had]
        for i in sorted(rng.choice(pool, count - len(had), replace=False).tolist()):
            last = roles[i]["stop"] or 52
            events.append({"patient_id": patients.patient_id[i], "week": int(rng.integers(1, last + 1)),
                           "event_type": "adverse_event", "ae_type": ae, "serious": False,
                           "led_to_discontinuation": False})


def _add_escalations(rng: np.random.Generator, roles: list[dict], patients: pd.DataFrame, events: list) -> None:
    losing = [i for i, r in enumerate(roles) if r["state"] == "loss_of_response"]
    pool = [i for i, r in enumerate(roles) if r["state"] in ("rem_st", "resp", "nonresp")]
    for i in sorted(losing + rng.choice(pool, N_ESCALATIONS - len(losing), replace=False).tolist()):
        last = min(40, (roles[i]["stop"] or 52) - 2)
        dose = 45 if patients.starting_dose[i] == 30 else int(rng.choice([30, 45], p=[0.7, 0.3]))
        events.append({"patient_id": patients.patient_id[i], "week": int(rng.integers(12, last + 1)),
                       "event_type": "dose_change", "new_dose": dose})


def headline_counts(frames: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The published figures, as counts, recomputed from the three tables."""
    pts, vis, ev = frames["patients"], frames["visits"], frames["events"]
    stopped = set(ev.patient_id[(ev.event_type == "discontinuation") & (ev.week < 52)])
    w0 = vis[vis.week == 0].set_index("patient_id")[["activity_score", "crp_mg_l"]].add_suffix("_0")
    w52 = vis[(vis.week == 52) & vis.on_treatment].set_index("patient_id").join(w0)
    prior = {t: pts.prior_therapies.fillna("").str.split(";").map(lambda xs, t=t: t in [x.strip() for x in xs])
             for t in PRIOR_THERAPIES}
    w52 = w52.join(pts.set_index("patient_id")[["diagnosis"]])
    w52["prior_tofacitinib"] = prior["tofacitinib"].set_axis(pts.patient_id).reindex(w52.index)
    thr = w52.diagnosis.map({dx: ix["remission"] for dx, ix in INDEX.items()})
    drop = w52.diagnosis.map({dx: ix["response"] for dx, ix in INDEX.items()})
    sfr = (w52.activity_score < thr) & ~w52.steroids.astype(bool)
    raised = w52[w52.crp_mg_l_0 > CRP_NORMAL]
    endo = ev[ev.event_type == "endoscopy"]
    last = endo[endo.week > 0].sort_values("week", kind="stable").groupby("patient_id").last()
    resp = w52.activity_score <= w52.activity_score_0 - drop
    tofa = prior["tofacitinib"]
    return {
        "patients": len(pts), "CD": int((pts.diagnosis == "CD").sum()), "UC": int((pts.diagnosis == "UC").sum()),
        "mean_age_at_diagnosis": round(pts.age_at_diagnosis_years.mean(), 1),
        "mean_age_at_start": round(pts.age_at_start_years.mean(), 1),
        "prior": {t: int(prior[t].sum()) for t in PRIOR_THERAPIES},
        "on_treatment_week_52": (len(pts) - len(stopped), len(pts)),
        **{f"cs_free_remission_{dx}": (int(sfr[w52.diagnosis == dx].sum()), int((w52.diagnosis == dx).sum()))
           for dx in ("CD", "UC")},
        "crp_normalised": (int((raised.crp_mg_l <= CRP_NORMAL).sum()), len(raised)),
        "repeat_endoscopy": (len(last), len(pts)),
        "endoscopic_remission": (int((last.endoscopy_score <= last.endoscopy_index.map(ENDO_REMISSION)).sum()),
                                 len(last)),
        "tofacitinib_response": (int((resp & w52.prior_tofacitinib.astype(bool)).sum()), int(tofa.sum())),
    }


def check_figures(frames: dict[str, pd.DataFrame]) -> None:
    got = headline_counts(frames)
    wrong = {k: (got[k], v) for k, v in TARGETS.items() if got[k] != v}
    assert not wrong, f"synthetic cohort misses published figures (got, wanted): {wrong}"


def _format(df: pd.DataFrame, table: schema.Table) -> pd.DataFrame:
    decimals = {"age_at_diagnosis_years": 1, "age_at_start_years": 1, "crp_mg_l": 1, "calprotectin_ug_g": 0,
                "weight_z": 2, "height_z": 2}
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        s, name = df[col.name], col.name
        if col.type == "boolean":
            out[name] = s.map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
        elif col.type == "date":
            out[name] = s.map(lambda v: "" if pd.isna(v) else v.strftime("%Y-%m-%d"))
        elif col.type in ("integer", "number"):
            d = decimals.get(name)
            out[name] = s.map(lambda v, d=d: "" if pd.isna(v) else (f"{v:.{d}f}" if d is not None else f"{v:g}"))
        else:
            out[name] = s.map(lambda v: "" if pd.isna(v) else str(v))
    return out


def write_cohort(frames: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write patients.csv, visits.csv and events.csv into ``folder`` (UTF-8, yes/no, ISO dates)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for key, table in zip(("patients", "visits", "events"), schema.TABLES, strict=True):
        out = _format(frames[key], table)
        unused = [c.name for c in table.columns if c.optional and (out[c.name] == "").all()]
        out.drop(columns=unused).to_csv(folder / table.file, index=False, lineterminator="\n", encoding="utf-8")
