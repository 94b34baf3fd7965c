"""The benchmark runs (smallest size only; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evidence_site import paths


def test_quick_benchmark_runs_the_real_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "bench.py"), "--quick", "--out",
                             str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert [r["mode"] for r in rows] == ["cold", "warm"]
    cold, warm = rows
    assert cold["studies"] == 1 and cold["pages"] > 20 and cold["site_bytes"] > 0 and cold["rss_mb"] > 0
    assert cold["engine"] > 0 and cold["wall"] > cold["engine"]
    assert warm["computed"] == 0 and warm["reused"] > 0  # nothing regenerated when nothing changed
    assert "| studies |" in (tmp_path / "bench.md").read_text(encoding="utf-8")


def test_page_growth_compares_each_page_with_the_same_page_at_one_study() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", paths.ROOT / "scripts" / "bench.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    one = {"index.html": 100, "families/index.html": 100, "families/<study>/index.html": 200}
    fifty = {"index.html": 110, "families/index.html": 150, "families/<study>/index.html": 200,
             "families/other-study/index.html": 900}  # a page with no counterpart is not compared
    growth, page, above = bench.page_growth(one, fifty)
    assert (growth, page, above) == (1.5, "families/index.html", ["families/index.html 1.50x"])


def test_added_costs_are_per_added_study_and_page_not_averages_over_the_whole_build() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", paths.ROOT / "scripts" / "bench.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cold = [{"studies": 1, "generation": 3.0, "engine": 2.0, "pages": 40},   # 3 s of fixed costs and 1 s a study:
            {"studies": 10, "generation": 12.0, "engine": 5.0, "pages": 160},  # the average per study falls from
            {"studies": 50, "generation": 60.0, "engine": 17.0, "pages": 560}]  # 3 s to 1.2 s, the added cost not
    lines = bench.added_costs(cold)
    assert lines[0] == ("- from 1 to 10 studies, cold: each added study 1.00 s of generation, each added page 25 ms "
                        "of engine")
    assert lines[1] == ("- from 10 to 50 studies, cold: each added study 1.20 s of generation, each added page 30 ms "
                        "of engine")
    assert lines[2] == "  - generation per added study: at most 9% from their mean (target: within 30%)"
    assert lines[3] == "  - engine per added page: at most 9% from their mean (target: within 30%)"


def test_a_scaled_cohort_carries_each_drawn_patients_rows_under_one_new_id_and_validates(tmp_path: Path) -> None:
    """Each new patient is one source patient under a new id in every table; a patient drawn again has every date
    moved the same number of days earlier (so no child is a copy of another, which the build refuses)."""
    import pandas as pd

    from conftest import load_study

    source = paths.STUDIES / "example-clinic-records"
    subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "make_scaled_cohort.py"), "--patients", "100",
                    "--out", str(tmp_path)], check=True, capture_output=True)
    made = tmp_path / source.name
    assert len(load_study(made).patients) == 100  # valid: no copied child, no date after the data date
    dates = {"patients": ["start_date"], "visits": ["visit_date"], "events": ["event_date"]}
    ids = {"patients": ["patient_id"], "visits": ["patient_id"], "events": ["patient_id", "event_id"]}
    read = {folder: {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False) for name in dates}
            for folder in (source, made)}
    old, new = read[source], read[made]
    assert new["patients"]["patient_id"].is_unique
    assert list(new["events"]["event_id"]) == [f"E{i + 1:07d}" for i in range(len(new["events"]))]

    Rows = list[tuple[list[tuple], list[pd.Timestamp]]]  # per table: cells but ids and dates, and dates

    def by_patient(frames: dict[str, pd.DataFrame]) -> dict[str, Rows]:
        """Each patient's rows in the three tables: the cells but ids and dates, and the dates."""
        out: dict[str, Rows] = {}
        for name in dates:
            frame = frames[name]
            groups = dict(tuple(frame.groupby("patient_id", sort=False)))
            for pid in frames["patients"]["patient_id"]:
                rows = groups.get(pid, frame.iloc[0:0])
                cells = list(rows.drop(columns=ids[name] + dates[name]).itertuples(index=False, name=None))
                out.setdefault(pid, []).append((cells, [pd.Timestamp(d) for c in dates[name] for d in rows[c] if d]))
        return out

    def moved_together(mine: Rows, theirs: Rows) -> bool:
        """The same cells in every table, and every date moved by one number of days, zero or earlier."""
        if not all(m[0] == t[0] and len(m[1]) == len(t[1]) for m, t in zip(mine, theirs, strict=True)):
            return False
        shifts = {(a - b).days for m, t in zip(mine, theirs, strict=True) for a, b in zip(m[1], t[1], strict=True)}
        return len(shifts) == 1 and shifts.pop() <= 0

    old_rows = by_patient(old)
    for pid, mine in by_patient(new).items():
        assert any(moved_together(mine, theirs) for theirs in old_rows.values()), \
            f"{pid} is no source patient with its dates moved together"
    assert len(new["patients"]) > len(old["patients"])  # so some were drawn twice, and validated above
