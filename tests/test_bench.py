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
