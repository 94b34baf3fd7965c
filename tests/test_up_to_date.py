"""A build with no input changed, and docs/ and site/ as the last build left them, runs no engine (outputs.SiteRecord);
anything else that could change the site built (a byte of docs/ or site/, the engine, its packages, the build
date) runs it again. The engine here copies the staged docs into the site, and counts its runs."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import MINIMAL
from evidence_site import outputs, paths


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    shutil.copytree(MINIMAL, tmp_path / "data" / "studies" / "alpha")
    for name in ("vocab", "medicines"):
        shutil.copytree(paths.DATA / name, tmp_path / "data" / name)
    shutil.copytree(paths.TEMPLATES, tmp_path / "templates")
    shutil.copy2(paths.MKDOCS_YML, tmp_path / "mkdocs.yml")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "privacy.md").write_text("# Privacy\n", encoding="utf-8")
    monkeypatch.setattr("evidence_site.engines.engine_packages", lambda engine: f"{engine} 1.0")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return tmp_path


class Builds:
    """``outputs.build`` of the project, with a pipeline that hands the real ``write_output`` a fixed page, and an
    engine that copies the staged docs (``runs`` counts it)."""

    def __init__(self, root: Path, monkeypatch) -> None:
        self.root, self.runs, self.generated, self.said = root, 0, 0, []

        def engine(config, docs: Path, site: Path, *args, **kwargs) -> None:
            self.runs += 1
            for path in docs.rglob("*"):
                if path.is_file():
                    (site / path.relative_to(docs)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, site / path.relative_to(docs))

        def build_site(studies, templates, docs, site, config, build, *args, keep=None, current=None, stamp="",
                       engine="mkdocs", **kwargs) -> None:
            self.generated += 1
            output = outputs.Output({"families/index.md": b"# Families\n"}, [], {}, {"values": []}, {}, 0, ())
            keep(outputs.write_output(output, docs, site, config, build, engine, current, stamp=stamp))

        monkeypatch.setattr("evidence_site.write.mkdocs_build", engine)
        monkeypatch.setattr("evidence_site.pipeline.build_site", build_site)

    def __call__(self, **kwargs) -> None:
        root = self.root
        outputs.build(root / "data" / "studies", root / "templates", root / "docs", root / "site",
                      root / "mkdocs.yml", root / "build", progress=self.said.append, warn=self.said.append, **kwargs)


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Each file's and folder's permissions, and each file's bytes."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_mode & 0o7777, p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*")) if p.is_file() or p.is_dir()}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_with_nothing_changed_runs_no_engine_and_touches_nothing(project: Path, monkeypatch) -> None:
    build = Builds(project, monkeypatch)
    build()
    site, docs = _snapshot(project / "site"), _snapshot(project / "docs")
    times = {p: p.stat().st_mtime_ns for p in (project / "site").rglob("*")}
    build.said.clear()
    build()
    assert build.runs == 1
    assert any("as the last build left them" in line and "nothing to build" in line for line in build.said)
    assert _snapshot(project / "site") == site and _snapshot(project / "docs") == docs
    assert {p: p.stat().st_mtime_ns for p in (project / "site").rglob("*")} == times
    build(force=True)  # build.py site --force
    assert build.runs == 2 and _snapshot(project / "site") == site


def _edit_page(root: Path) -> None:  # the same size, an older time: only the bytes tell
    page = root / "site" / "families" / "index.md"
    info = page.stat()
    page.write_bytes(page.read_bytes().replace(b"Families", b"Familiez"))
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))


CHANGES: dict[str, Callable[[Path], object]] = {
    "a byte of a built page": _edit_page,
    "a file added to site/": lambda root: (root / "site" / "extra.html").write_text("<p>x</p>", encoding="utf-8"),
    "a file removed from site/": lambda root: (root / "site" / "privacy.md").unlink(),
    "site/ removed": lambda root: shutil.rmtree(root / "site"),
    "a hand-written page edited": lambda root: (root / "docs" / "privacy.md").write_text("# Private\n"),
    "a hand-written page added": lambda root: (root / "docs" / "about.md").write_text("# About\n"),
    "a generated page edited in docs/": lambda root: (root / "docs" / "families" / "index.md").write_text("# F\n"),
    "a named pipe put in site/": lambda root: os.mkfifo(root / "site" / "pipe.css"),
    "a named pipe put in docs/": lambda root: os.mkfifo(root / "docs" / "pipe.css"),
    "a page made readable by its owner only": lambda root: (root / "site" / "families" / "index.md").chmod(0o600),
    "a folder of site/ made private": lambda root: (root / "site" / "families").chmod(0o700),
    "the build's record removed": lambda root: [p.unlink() for p in (root / "build").glob("site-record-*.json")],
    "the build's record made a folder": lambda root: [(p.unlink(), p.mkdir())
                                                      for p in (root / "build").glob("site-record-*.json")],
    "the build's record emptied": lambda root: [p.write_text("") for p in (root / "build").glob("site-record-*")],
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_to_docs_or_site_runs_the_engine_again(project: Path, monkeypatch, change: str) -> None:
    build = Builds(project, monkeypatch)
    build()
    built = _snapshot(project / "site")
    CHANGES[change](project)
    if "pipe" in change and "docs" in change:  # it cannot be staged: the build stops, as one from scratch would
        with pytest.raises(outputs.BuildError, match=r"docs/pipe\.css: a named pipe"):
            build()
        (project / "docs" / "pipe.css").unlink()
        build()  # docs/ and site/ are again as the last good build left them
        assert build.runs == 1 and _snapshot(project / "site") == built
        return
    build()
    assert build.runs == 2
    expected = _files(project / "docs")  # the engine copies docs/, hand-written pages as they are now
    assert _files(project / "site") == expected | {"numbers.json": built["numbers.json"][1]}
    if "hand-written" not in change:
        assert _snapshot(project / "site") == built
    build()
    # and the build after that has nothing to do (unless the record cannot be written: then the engine always runs)
    assert build.runs == (3 if "folder" in change and "record" in change else 2)


def test_another_engine_other_packages_or_another_build_date_run_the_engine_again(project: Path,
                                                                                  monkeypatch) -> None:
    build = Builds(project, monkeypatch)
    build()
    build(engine="zensical")
    assert build.runs == 2
    build()  # back to MkDocs: the site is Zensical's
    assert build.runs == 3
    monkeypatch.setattr("evidence_site.engines.engine_packages", lambda engine: f"{engine} 1.1")  # an upgrade
    build()
    assert build.runs == 4
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the sitemap's date
    build()
    build()
    assert build.runs == 5
    umask = os.umask(0o077)  # files readable by their owner only: a build from scratch writes them so
    try:
        build()
        assert build.runs == 6
        assert (project / "site" / "families" / "index.md").stat().st_mode & 0o077 == 0
    finally:
        os.umask(umask)
    build()
    assert build.runs == 7


def test_a_changed_input_builds_again(project: Path, monkeypatch) -> None:
    build = Builds(project, monkeypatch)
    build()
    visits = project / "data" / "studies" / "alpha" / "visits.csv"
    visits.write_bytes(visits.read_bytes() + b"\n")
    build()
    assert build.runs == 2


def test_the_engine_packages_name_every_installed_distribution_and_the_interpreter() -> None:
    from evidence_site.engines import engine_packages

    listed = engine_packages("mkdocs").splitlines()
    assert listed[0] == sys.executable
    assert any(line.startswith("mkdocs-") and line.endswith(".dist-info") for line in listed)
    assert any(line.lower().startswith("mkdocs_material-") for line in listed)


def test_a_kept_output_whose_pages_cannot_be_read_is_generated_again(project: Path, monkeypatch) -> None:
    """What a build reads of the kept output before it knows it must run the engine is apart from the pages
    (outputs.Kept); pages that cannot be unpickled then mean a full build, not a failure."""
    import dataclasses

    from evidence_site.cache import seal, unseal

    build = Builds(project, monkeypatch)
    build()
    (entry,) = (project / "build" / "cache").glob("site-*.pickle")
    kept = unseal(entry.read_bytes())
    assert kept.paths == ("families/index.md",)
    entry.write_bytes(seal(dataclasses.replace(kept, body=b"not a pickle")))
    build()  # nothing to build: the pages are not needed
    assert (build.generated, build.runs) == (1, 1)
    build(force=True)
    assert (build.generated, build.runs) == (2, 2)


@pytest.mark.parametrize("damage", ["a byte changed", "another build's entry"])
def test_a_kept_output_with_a_byte_changed_or_from_another_build_is_never_published(project: Path, monkeypatch,
                                                                                     damage: str) -> None:
    """An outside tester changed 89/100 to 98/100 inside the kept output (same length), and copied the entry of a
    build with other data under the current key's name: each was published. Now the entry is sealed with the hash
    of its bytes and holds the key it was stored under (outputs.Kept): either is generated again."""
    from evidence_site.cache import seal, unseal

    build = Builds(project, monkeypatch)
    build()
    (entry,) = (project / "build" / "cache").glob("site-*.pickle")
    if damage == "a byte changed":
        data = bytearray(entry.read_bytes())
        data[-40] ^= 0x01
        entry.write_bytes(bytes(data))
    else:
        kept = unseal(entry.read_bytes())
        entry.write_bytes(seal(type(kept)(**{**kept.__dict__, "key": "0" * 32})))
    build(force=True)
    assert (build.generated, build.runs) == (2, 2)


@pytest.mark.parametrize("layout", ["the same folder", "site inside docs", "docs inside site"])
def test_docs_and_site_that_overlap_are_refused_before_anything_is_written(tmp_path: Path, layout: str) -> None:
    """An outside tester built with --site docs/site (a copy of the site nested in itself at every build) and
    with one folder for both (the hand-written pages deleted)."""
    docs, site = {"the same folder": (tmp_path / "x", tmp_path / "x"),
                  "site inside docs": (tmp_path / "docs", tmp_path / "docs" / "site"),
                  "docs inside site": (tmp_path / "site" / "docs", tmp_path / "site")}[layout]
    docs.mkdir(parents=True)
    (docs / "privacy.md").write_text("# Privacy\n", encoding="utf-8")
    found = layout if layout == "the same folder" else "one inside the other"
    with pytest.raises(outputs.BuildError, match=f"overlap.*\n.*\n    found:    {found}"):
        outputs.build(tmp_path / "data" / "studies", tmp_path / "templates", docs, site, tmp_path / "mkdocs.yml",
                      tmp_path / "build", progress=lambda _: None)
    assert (docs / "privacy.md").read_text(encoding="utf-8") == "# Privacy\n"


@pytest.mark.parametrize("site", ["data/studies", "data", "templates", "build", "build/out", "data/studies/alpha"])
def test_a_site_folder_over_an_input_folder_is_refused_before_anything_is_deleted(project: Path, site: str) -> None:
    """An outside tester built with --site data/studies: every study folder was replaced by the site."""
    (project / "build").mkdir(exist_ok=True)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    with pytest.raises(outputs.BuildError, match=r"input folder .* overlap"):
        outputs.build(project / "data" / "studies", project / "templates", project / "docs", project / site,
                      project / "mkdocs.yml", project / "build", progress=lambda _: None)
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_names_with_a_line_break_or_bytes_that_are_not_utf8_are_hashed_and_recorded_whole(tmp_path: Path) -> None:
    from evidence_site.cache import tree_hash
    from evidence_site.write import check_no_strays, record_generated

    (tmp_path / "a").mkdir()
    before = tree_hash(tmp_path / "a", modes=True)
    open(os.fsencode(tmp_path / "a") + b"/bad\xff\xfe.html", "wb").close()
    assert tree_hash(tmp_path / "a", modes=True) != before  # no UnicodeEncodeError
    docs, build = tmp_path / "docs", tmp_path / "build"
    (docs / "families").mkdir(parents=True)
    build.mkdir()
    (docs / "families" / "new\nline.md").write_text("x", encoding="utf-8")
    record_generated(build, docs, ["families/new\nline.md"])
    check_no_strays(docs, build)  # the generator's own file, named whole in its record
