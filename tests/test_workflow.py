"""The CI workflow is valid, and it runs the same Make targets as .ci/run and a person at the keyboard."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evidence_site import paths

WORKFLOW = paths.ROOT / ".github" / "workflows" / "site.yml"
MAKEFILE = paths.ROOT / "Makefile"
CI_RUN = paths.ROOT / ".ci" / "run"
MAKE_CALL = re.compile(r"(?<![\w-])make\s+([A-Za-z][\w-]*)")


def check_jsonschema() -> str:
    """The linter installed beside this Python (the venv), else on PATH."""
    here = Path(sys.executable).parent / "check-jsonschema"
    found = str(here) if here.is_file() else shutil.which("check-jsonschema")
    if found is None:
        pytest.fail("check-jsonschema is not installed; it is pinned in scripts/requirements.lock (run `make test`).")
    return found


def lint(workflow: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def run_commands(loaded: dict) -> list[str]:
    """Every step's `run:` script, in job and step order."""
    return [step["run"] for job in loaded["jobs"].values() for step in job.get("steps", []) if "run" in step]


def make_calls(script: str) -> list[str]:
    """The Make targets a shell script calls, in order, ignoring comment lines."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    return MAKE_CALL.findall("\n".join(lines))


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", MAKEFILE.read_text(encoding="utf-8"), flags=re.M))


def test_workflow_passes_the_github_workflow_schema():
    result = lint(WORKFLOW)
    assert result.returncode == 0, f"check-jsonschema rejected {WORKFLOW}:\n{result.stdout}{result.stderr}"


def test_the_linter_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: make test\n", encoding="utf-8")
    assert lint(broken).returncode != 0, "a job without runs-on must fail the lint, or the lint checks nothing"


def test_every_make_target_the_workflow_calls_exists():
    calls = [t for script in run_commands(workflow()) for t in make_calls(script)]
    missing = sorted(set(calls) - makefile_targets())
    assert calls, "the workflow calls no Make target"
    assert not missing, f"the workflow calls `make {missing[0]}` but the Makefile has no such target"


def test_workflow_runs_test_then_site_then_diff():
    calls = [t for script in run_commands(workflow()) for t in make_calls(script)]
    assert calls == ["zensical", "test", "site", "diff"], (
        "the workflow's steps must be, in order: make zensical (the second engine the tests build with), "
        "make test, make site, make diff")


def test_ci_run_calls_make_test_and_only_targets_the_workflow_also_runs():
    ci_calls = make_calls(CI_RUN.read_text(encoding="utf-8"))
    workflow_calls = {t for script in run_commands(workflow()) for t in make_calls(script)}
    assert "test" in ci_calls, ".ci/run must call `make test`"
    assert set(ci_calls) <= workflow_calls, f".ci/run calls {ci_calls}; the workflow must call them too"
    assert set(ci_calls) <= makefile_targets()


def test_triggers_and_deployment():
    loaded = workflow()
    triggers = loaded.get("on", loaded.get(True))  # PyYAML reads the bare key `on` as True
    assert {"pull_request", "push", "workflow_dispatch"} <= set(triggers)
    assert triggers["push"]["branches"] == ["main"]
    deploy = loaded["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    uses = [s.get("uses", "") for job in loaded["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)


def test_pull_requests_get_the_diff_report_as_job_summary():
    steps = workflow()["jobs"]["build"]["steps"]
    diff_step = next(s for s in steps if "make diff" in s.get("run", ""))
    assert diff_step["if"] == "github.event_name == 'pull_request'"
    assert "build/numbers-diff.md" in diff_step["run"] and "$GITHUB_STEP_SUMMARY" in diff_step["run"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "the base branch must be fetched to build it"


def test_make_clean_removes_every_generated_path_that_git_ignores():
    """Everything a build writes into the project (listed in .gitignore as build output) goes with `make clean`,
    and nothing else: docs/es/ and docs/index.md were once left behind."""
    ignored = (paths.ROOT / ".gitignore").read_text(encoding="utf-8").split("# Build output", 1)[1].splitlines()
    generated = {line.strip().strip("/") for line in ignored
                 if line.startswith("/") and not line.startswith("/.venv")}
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\nclean:", 1)[1].split("\n")[1].split()
    assert recipe[:2] == ["rm", "-rf"]
    assert set(recipe[2:]) == generated
