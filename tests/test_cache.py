"""The per-study cache (cache.py) never serves stale output: a changed input, template or code recomputes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import MINIMAL, load_study
from evidence_site import paths
from evidence_site.cache import StudyCache, code_version
from evidence_site.pipeline import generate, site_inputs


@pytest.fixture
def library(tmp_path: Path) -> Path:
    studies = tmp_path / "studies"
    for name in ("alpha", "beta"):
        shutil.copytree(MINIMAL, studies / name)
    shutil.copytree(paths.TEMPLATES, tmp_path / "templates")
    return tmp_path


def _generate(root: Path, code: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None):
    studies = [load_study(f) for f in sorted((root / "studies").iterdir())]
    lines: list[str] = []
    if code and monkeypatch:
        monkeypatch.setattr("evidence_site.cache.code_version", lambda: code)
    out = generate(studies, root / "templates", lines.append, site_inputs(), cache=root / "cache")
    return out, next(line for line in lines if "cache:" in line)


def _fresh(root: Path):
    studies = [load_study(f) for f in sorted((root / "studies").iterdir())]
    return generate(studies, root / "templates", site=site_inputs())


def test_no_change_recomputes_nothing_and_one_study_change_only_that_study(library: Path) -> None:
    first, log = _generate(library)
    assert "0 entries reused, 4 computed" in log
    again, log = _generate(library)
    assert "4 entries reused, 0 computed" in log
    assert again.files == first.files
    visits = library / "studies" / "beta" / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    col = header.index("crp_mg_l")
    row = next(i for i in range(1, len(lines)) if lines[i].split(",")[col])
    cells = lines[row].split(",")
    cells[col] = "98.7"
    lines[row] = ",".join(cells)
    visits.write_text("".join(lines), encoding="utf-8")
    changed, log = _generate(library)
    assert "2 entries reused, 2 computed (beta)" in log
    assert changed.files != first.files
    assert changed.files == _fresh(library).files  # what the cache gave is what a build without it gives
    assert changed.book.records() == _fresh(library).book.records()


def test_a_changed_template_recomputes_and_changes_the_output(library: Path) -> None:
    first, _ = _generate(library)
    template = library / "templates" / "clinicians" / "overview.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA sentence added to the template.\n",
                        encoding="utf-8")
    changed, log = _generate(library)
    assert "0 entries reused, 4 computed" in log
    assert changed.files != first.files
    assert changed.files == _fresh(library).files


def test_a_changed_code_version_is_never_served_an_old_entry(library: Path, monkeypatch) -> None:
    _generate(library, "code-1", monkeypatch)
    # Poison the stored summaries: if the key ignored the code version, this stale value would be served.
    import pickle
    for path in (library / "cache" / "studies").rglob("values-*.pickle"):
        values = pickle.loads(path.read_bytes())
        path.write_bytes(pickle.dumps([v.__class__(**{**v.__dict__, "label": "STALE"}) for v in values]))
    served, log = _generate(library, "code-1", monkeypatch)
    assert "STALE" in str(served.book.records())  # same key: the entry is used (this is what the cache is for)
    rebuilt, log = _generate(library, "code-2", monkeypatch)
    assert "0 entries reused, 4 computed" in log
    assert "STALE" not in str(rebuilt.book.records())
    assert rebuilt.files == _fresh(library).files


def test_code_version_covers_every_source_file(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(Path(paths.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(package)
    (package / "fmt.py").write_text((package / "fmt.py").read_text(encoding="utf-8") + "\n# changed\n",
                                    encoding="utf-8")
    assert code_version(package) != before
    assert StudyCache(None, tmp_path, "").get(object(), "x", lambda: 42) == 42


def test_validated_studies_come_from_the_cache_only_for_the_same_files(library: Path) -> None:
    """A study whose files are unchanged is not checked again; a changed file is checked (and a fault found)."""
    from evidence_site.errors import BuildError
    from evidence_site.pipeline import load_studies

    data = paths.DATA
    first = load_studies(library / "studies", data, cache=library / "cache")
    assert len(list((library / "cache").rglob("validated-*.pickle"))) == 2
    again = load_studies(library / "studies", data, cache=library / "cache")
    assert [s.fingerprint for s in again] == [s.fingerprint for s in first]
    assert all(a.visits.equals(b.visits) for a, b in zip(again, first, strict=True))
    visits = library / "studies" / "beta" / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    col = lines[0].split(",").index("crp_mg_l")
    row = next(i for i in range(1, len(lines)) if lines[i].split(",")[col])
    cells = lines[row].split(",")
    cells[col] = "not a number"
    lines[row] = ",".join(cells)
    visits.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BuildError, match="crp_mg_l"):
        load_studies(library / "studies", data, cache=library / "cache")


# --- pruning after a successful build -----------------------------------------------------------------------

def _build(library: Path, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[str]:
    """build_site on ``library`` with the engine step stubbed (or failing): the lines it printed."""
    from evidence_site import pipeline
    from evidence_site.errors import BuildError

    def engine(*_args: object, **_kwargs: object) -> None:
        if fail:
            raise BuildError("the engine failed")

    monkeypatch.setattr(pipeline, "write_output", engine)
    lines: list[str] = []
    pipeline.build_site(library / "studies", paths.TEMPLATES, library / "docs", library / "site", paths.MKDOCS_YML,
                        library / "build", lines.append, warn=lambda _: None)
    return lines


def _entries(library: Path) -> set[str]:
    return {p.relative_to(library / "build" / "cache" / "studies").as_posix()
            for p in (library / "build" / "cache" / "studies").rglob("*.pickle")}


def _change_one_value(visits: Path, value: str) -> None:
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    col = lines[0].split(",").index("crp_mg_l")
    row = next(i for i in range(1, len(lines)) if lines[i].split(",")[col])
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    visits.write_text("".join(lines), encoding="utf-8")


def test_a_successful_build_prunes_the_entries_it_did_not_use_and_keeps_the_current_ones(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _build(library, monkeypatch)
    first = _entries(library)
    assert {e.split("/")[0] for e in first} == {"alpha", "beta"} and len(first) == 6  # validated, values, figures
    assert "cache: pruned 0 unused entries (0.0 KB)" in lines
    stray = library / "build" / "cache" / "studies" / "alpha" / "charts-0123456789abcdef.pickle"  # a kind gone
    stray.write_bytes(b"an entry that an older version of the code stored")
    shutil.rmtree(library / "studies" / "beta")  # a study removed from the library
    _change_one_value(library / "studies" / "alpha" / "visits.csv", "98.7")  # and a changed input
    lines = _build(library, monkeypatch)
    now = _entries(library)
    assert {e.split("/")[0] for e in now} == {"alpha"} and len(now) == 3  # the current entries are kept
    assert not (library / "build" / "cache" / "studies" / "beta").exists()
    assert not stray.exists() and not now & first  # every entry of the earlier inputs is gone
    pruned = next(line for line in lines if line.startswith("cache: pruned"))
    assert pruned.startswith("cache: pruned 4 unused entries (")
    again = _build(library, monkeypatch)  # nothing changed: everything is used, nothing pruned
    assert _entries(library) == now and "cache: pruned 0 unused entries (0.0 KB)" in again


def test_a_failing_build_prunes_nothing(library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence_site.errors import BuildError

    _build(library, monkeypatch)
    before = _entries(library)
    shutil.rmtree(library / "studies" / "beta")  # beta's entries are now unused ...
    with pytest.raises(BuildError, match="the engine failed"):  # ... but the build fails after generation
        _build(library, monkeypatch, fail=True)
    assert before <= _entries(library)  # nothing was pruned
