"""The "what changed" report: small numbers.json dicts in, report lines out; and `make diff` end to end on git."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from conftest import MINIMAL
from evidence_site import paths
from evidence_site.diff import (
    audiences,
    diff_numbers,
    diff_pages,
    intervals_overlap,
    release_summary,
    render_report,
    study_of,
)

STUDY = "demo-study"
FAMILY = f"families/{STUDY}/"
CLINICIAN = f"clinicians/{STUDY}/"


def record(name: str, **fields) -> dict:
    base = {"id": f"{STUDY}.{name}", "label": name.replace("_", " ").capitalize(), "kind": "proportion",
            "method": "Share of all who started", "population": "All who started", "pages": [CLINICIAN, FAMILY]}
    return {**base, **fields}


def numbers() -> dict:
    """A small numbers.json: one proportion on both audiences' pages, one count for clinicians only."""
    return {
        "generator": "evidence-site 0.1.0", "schema_version": 1,
        "studies": {STUDY: {"title": "Demo study", "status": "synthetic", "data_date": "2026-01-15"}},
        "values": [
            record("persistence_w52", label="Still on treatment at week 52", value=39 / 48, numerator=39,
                   denominator=48, ci_low=0.68, ci_high=0.90, ci_method="Wilson score interval, 95%",
                   published_value="81%", agrees_with_published=True),
            record("n_started", label="Children who started", kind="count", value=48, pages=[CLINICIAN]),
        ],
    }


def value(doc: dict, name: str) -> dict:
    return next(v for v in doc["values"] if v["id"] == f"{STUDY}.{name}")


def section(report: str, heading: str) -> str:
    """The report text from a heading line to the next heading of the same or higher level."""
    level = heading.split(" ", 1)[0]
    lines = report.splitlines()
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")
                and len(lines[i].split(" ", 1)[0]) <= len(level)), len(lines))
    return "\n".join(lines[start:end])


def test_identical_builds_report_nothing_moved():
    report = render_report(diff_numbers(numbers(), numbers()), diff_pages({"a/": "x"}, {"a/": "x"}))
    assert "No published number changed." in report
    assert "No page text changed." in report
    assert "0 values changed, 0 added, 0 removed; 0 pages changed text." in report


def test_a_moved_proportion_shows_old_new_pp_and_overlapping_intervals():
    old, new = numbers(), numbers()
    value(new, "persistence_w52").update(value=38 / 48, numerator=38, ci_low=0.66, ci_high=0.88)
    report = render_report(diff_numbers(old, new), [])
    # 39/48 = 81.25% -> 81.3% (half up); 38/48 = 79.1666...% -> 79.2%; change = -2.0833 pp -> -2.1 pp.
    # Intervals 68.0–90.0% and 66.0–88.0% share 68–88%, so they overlap.
    expected = ("- Still on treatment at week 52 (`demo-study.persistence_w52`): 81.3% (39/48) → 79.2% (38/48); "
                "-2.1 percentage points; 95% CIs overlap: yes (68.0–90.0% vs 66.0–88.0%)")
    assert expected in report.splitlines()
    assert "**In short:** 1 value changed, 0 added, 0 removed; 0 pages changed text." in report
    # Printed on both audiences' pages, so listed under each.
    assert expected in section(report, "### Families pages")
    assert expected in section(report, "### Clinicians pages")


def test_a_large_move_reports_intervals_that_do_not_overlap():
    old, new = numbers(), numbers()
    value(new, "persistence_w52").update(value=24 / 48, numerator=24, ci_low=0.36, ci_high=0.64)
    line = next(x for x in render_report(diff_numbers(old, new), []).splitlines() if "persistence_w52" in x)
    # 50.0 - 81.25 = -31.25 pp, written -31.3 (half up).
    assert ("81.3% (39/48) → 50.0% (24/48); -31.3 percentage points; "
            "95% CIs overlap: no (68.0–90.0% vs 36.0–64.0%)") in line


@pytest.mark.parametrize(("status", "figure"), [
    ("real", "the published figure"),
    ("synthetic", "the published figure the made-up data were built to reproduce")])
def test_a_change_in_agreement_with_the_published_figure_is_flagged(status: str, figure: str):
    old, new = numbers(), numbers()
    for doc in (old, new):
        doc["studies"][STUDY]["status"] = status
    value(new, "persistence_w52").update(value=30 / 48, numerator=30, ci_low=0.48, ci_high=0.75,
                                         agrees_with_published=False)
    line = next(x for x in render_report(diff_numbers(old, new), []).splitlines() if "persistence_w52" in x)
    assert "-18.8 percentage points" in line  # 62.5 - 81.25 = -18.75 pp, half up
    assert "95% CIs overlap: yes" in line  # 68–90% and 48–75% share 68–75%
    assert line.endswith(f"**Now differs from {figure} (81%).**")


def test_added_and_removed_values_each_get_their_section():
    old, new = numbers(), numbers()
    new["values"] = [v for v in new["values"] if v["id"] != f"{STUDY}.n_started"]
    new["values"].append(record("remission_w12", label="In remission at week 12", value=0.5, numerator=12,
                                denominator=24, ci_low=0.31, ci_high=0.69, pages=[FAMILY]))
    report = render_report(diff_numbers(old, new), [])
    families = section(report, "### Families pages")
    clinicians = section(report, "### Clinicians pages")
    assert "**Added**\n\n- In remission at week 12 (`demo-study.remission_w12`): 50.0% (12/24); 95% CI 31.0–69.0%" \
        in families
    assert "remission_w12" not in clinicians
    assert "**Removed**\n\n- Children who started (`demo-study.n_started`): was 48" in clinicians
    assert "n_started" not in families
    assert "0 values changed, 1 added, 1 removed" in report


def test_a_count_change_and_a_not_estimable_value():
    old, new = numbers(), numbers()
    value(new, "n_started")["value"] = 46
    for key in ("value", "ci_low", "ci_high", "ci_method"):
        value(new, "persistence_w52").pop(key)
    value(new, "persistence_w52")["denominator"] = 0
    lines = render_report(diff_numbers(old, new), []).splitlines()
    assert "- Children who started (`demo-study.n_started`): 48 → 46; change -2" in lines
    moved = next(x for x in lines if "persistence_w52" in x)
    assert "81.3% (39/48) → not estimable" in moved
    assert "95% CIs overlap: n/a" in moved


def test_description_only_changes_are_listed_apart():
    old, new = numbers(), numbers()
    value(new, "n_started")["label"] = "Children who started upadacitinib"
    report = render_report(diff_numbers(old, new), [])
    assert "**Other changes**\n\n- Children who started upadacitinib (`demo-study.n_started`): number unchanged; " \
           "changed label" in report
    assert "0 values changed, 0 added, 0 removed, 1 with a changed description" in report


def test_first_release_lists_every_value_as_added():
    diff = diff_numbers(None, numbers())
    report = render_report(diff, [])
    assert diff.base_missing and diff.count("added") == 2
    assert "first release" in report
    assert release_summary(diff, []) == "First publication: 2 values."


def test_pages_added_removed_and_changed():
    old = {"": "Home", FAMILY: "Line one\nLine two", "old/": "Gone"}
    new = {"": "Home", FAMILY: "Line one\nLine 2\nLine three", "new/": "Fresh"}
    changes = {p.url: p for p in diff_pages(old, new)}
    assert set(changes) == {FAMILY, "old/", "new/"}
    assert (changes[FAMILY].lines_added, changes[FAMILY].lines_removed) == (2, 1)
    report = render_report(diff_numbers(numbers(), numbers()), list(changes.values()))
    pages = section(report, "## Pages whose text changed")
    assert f"- `{FAMILY}`: text changed (+2 / -1 lines)" in pages
    assert "- `new/`: new page" in pages and "- `old/`: page removed" in pages


def test_release_summary_is_one_line_saying_what_moved():
    old, new = numbers(), numbers()
    value(new, "persistence_w52").update(value=38 / 48, numerator=38)
    summary = release_summary(diff_numbers(old, new), diff_pages({FAMILY: "a"}, {FAMILY: "b"}))
    assert summary == "Still on treatment at week 52: 81.3% (39/48) → 79.2% (38/48); 1 page changed text."
    assert "\n" not in summary


def test_helpers():
    assert study_of("a-b.c.d", ["a", "a-b.c"]) == "a-b.c"
    assert study_of("x.y", []) == "x"
    assert audiences([FAMILY, CLINICIAN, "reference/x/"]) == ["Families pages", "Clinicians pages", "Other pages"]
    assert audiences([]) == ["Not printed on any page"]
    assert intervals_overlap({"ci_low": 0.1, "ci_high": 0.2}, {"ci_low": 0.2, "ci_high": 0.3}) is True
    assert intervals_overlap({"ci_low": 0.1, "ci_high": 0.2}, {"ci_low": 0.21, "ci_high": 0.3}) is False
    assert intervals_overlap({}, {"ci_low": 0.2, "ci_high": 0.3}) is None


# --- `make diff` end to end: a git repository whose stub build writes numbers.json from its data ----------

STUB_BUILD = textwrap.dedent('''
    """Stub of scripts/build.py: `site` turns data/value.json into site/numbers.json and two pages."""
    import json, pathlib, sys
    assert sys.argv[1:] == ["site"]
    data = json.loads(pathlib.Path("data/value.json").read_text())
    site = pathlib.Path("site")
    (site / "families/demo-study").mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text("<html><body><article><h1>Home</h1></article></body></html>")
    (site / "families/demo-study/index.html").write_text(
        f"<html><body><nav>Menu</nav><article><p>{data['numerator']} of 48 children</p></article></body></html>")
    doc = {"studies": {"demo-study": {"title": "Demo study"}}, "values": [{
        "id": "demo-study.persistence_w52", "label": "Still on treatment at week 52", "kind": "proportion",
        "value": data["numerator"] / 48, "numerator": data["numerator"], "denominator": 48,
        "pages": ["families/demo-study/"]}]}
    (site / "numbers.json").write_text(json.dumps(doc))
''')


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=repo,
                   env=env, check=True, capture_output=True)


def run_numbers_diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(__file__).resolve().parents[1] / "scripts" / "numbers_diff.py"
    return subprocess.run([sys.executable, str(script), "--root", str(repo), *args], capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit that has no build script, then one commit that publishes 39/48."""
    (tmp_path / "README").write_text("before the pipeline existed\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "initial")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "build.py").write_text(STUB_BUILD)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "value.json").write_text(json.dumps({"numerator": 39}))
    (tmp_path / ".gitignore").write_text("/site/\n/build/\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first release")
    return tmp_path


def test_make_diff_against_the_previous_commit_after_a_data_change(repo: Path):
    (repo / "data" / "value.json").write_text(json.dumps({"numerator": 38}))  # the reviewed data change
    result = run_numbers_diff(repo, "--base", "HEAD")
    assert result.returncode == 0, result.stderr
    report = (repo / "build" / "numbers-diff.md").read_text()
    assert result.stdout == report
    # 39/48 = 81.25% -> 81.3%; 38/48 = 79.17% -> 79.2%; -2.08 pp -> -2.1 pp; no intervals in the stub.
    assert ("- Still on treatment at week 52 (`demo-study.persistence_w52`): 81.3% (39/48) → 79.2% (38/48); "
            "-2.1 percentage points") in report.splitlines()
    assert "- `families/demo-study/`: text changed (+1 / -1 lines)" in report
    assert "- `(home page)`" not in report  # unchanged page; navigation outside <article> is ignored
    assert not (repo / "build" / "diff-base").exists(), "the worktree is removed after the comparison"
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True).stdout
    assert len(worktrees.splitlines()) == 1


def test_make_diff_against_a_base_without_a_build_is_a_first_release(repo: Path):
    result = run_numbers_diff(repo, "--base", "HEAD~1", "--release-summary")
    assert result.returncode == 0, result.stderr
    assert "summary: \"First publication: 1 value.\"" in result.stdout
    report = (repo / "build" / "numbers-diff.md").read_text()
    assert "has no scripts/build.py (first release)" in report
    assert "**Added**" in report


def test_make_diff_with_an_unknown_ref_says_so(repo: Path):
    result = run_numbers_diff(repo, "--base", "no-such-branch")
    assert result.returncode == 1
    assert "Unknown git ref 'no-such-branch'" in result.stderr


def test_old_site_and_new_site_compare_two_built_sites(tmp_path: Path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "numbers.json").write_text(json.dumps(numbers()))
    result = run_numbers_diff(tmp_path, "--old-site", str(tmp_path / "a"), "--new-site", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    assert "No published number changed." in result.stdout


def test_old_site_of_a_schema_too_new_to_read_stops_with_the_file_and_what_it_reads(tmp_path: Path):
    for name, version in (("a", 99), ("b", 1)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "numbers.json").write_text(json.dumps(numbers() | {"schema_version": version}))
    result = run_numbers_diff(tmp_path, "--old-site", str(tmp_path / "a"), "--new-site", str(tmp_path / "b"))
    assert result.returncode == 1
    assert "the base's numbers.json: schema_version 99 cannot be read" in result.stderr
    assert "one of 1, 2, 3" in result.stderr


# --- `make diff BASE=HEAD~1` with the real pipeline, on the minimal fixture study ------------------------

SKIP_ANYWHERE = {"__pycache__", ".pytest_cache", ".ruff_cache"}
SKIP_AT_ROOT = {".git", ".venv", "site", "build", "tests", "data/studies", "docs/families", "docs/clinicians",
                "docs/reference"}


def copy_ignore(folder: str, names: list[str]) -> set[str]:
    """For shutil.copytree: leave out build output, the venv, git, tests and the real studies."""
    relative = Path(folder).relative_to(paths.ROOT).as_posix()
    prefix = "" if relative == "." else relative + "/"
    return {n for n in names if n in SKIP_ANYWHERE or n.endswith(".egg-info") or prefix + n in SKIP_AT_ROOT}


def flip_first(csv_file: Path, column: str, old: str, new: str) -> None:
    """Set ``column`` of the first row whose value is ``old`` to ``new`` (the reviewed data change)."""
    with csv_file.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    row = next(r for r in rows[1:] if r[col] == old)
    row[col] = new
    with csv_file.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.slow
@pytest.mark.skipif(not (paths.ROOT / "scripts" / "build.py").is_file(), reason="the build pipeline is not there yet")
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_diff_head_1_after_changing_a_fixture_study(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(paths.ROOT, repo, ignore=copy_ignore)
    shutil.copytree(MINIMAL, repo / "data" / "studies" / "minimal")
    (repo / "data" / "redirects.yml").unlink()  # its redirects lead to the bundled studies' pages, not copied here
    (repo / ".venv").symlink_to(Path(sys.executable).parents[1], target_is_directory=True)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    patients = repo / "data" / "studies" / "minimal" / "patients.csv"
    with patients.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    n, total = sum(r["baseline_steroids"] == "yes" for r in rows), len(rows)
    flip_first(patients, "baseline_steroids", "no", "yes")
    git(repo, "commit", "-q", "-am", "data: one more patient was on steroids at start")

    result = subprocess.run(["make", "-o", ".venv/.installed-stamp", "diff", "BASE=HEAD~1"], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    report = (repo / "build" / "numbers-diff.md").read_text(encoding="utf-8")
    # By hand: n/total -> (n+1)/total moves by 100/total percentage points.
    before, after = f"{n}/{total}", f"{n + 1}/{total}"
    pp = f"+{Decimal(100 / total).quantize(Decimal('0.1'), ROUND_HALF_UP)} percentage points"
    line = next((x for x in report.splitlines() if "`minimal.baseline_steroids`" in x), None)
    assert line is not None, report
    assert f"({before}) → " in line and f"({after}); {pp}; 95% CIs overlap: yes" in line
    # The flipped patient (the first with "no") has Crohn's disease, so Table 1's CD row moves too.
    assert "`minimal.t1_steroids_CD`" in report
    assert "2 values changed, 0 added, 0 removed" in report
    assert "- `clinicians/minimal/patients/`: text changed" in report
