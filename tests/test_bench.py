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
