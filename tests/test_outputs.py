"""A build with no changed input reuses the last generated output (outputs.py); any changed input regenerates."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from conftest import MINIMAL
from evidence_site import outputs, paths


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(MINIMAL, tmp_path / "data" / "studies" / "alpha")
    for name in ("vocab", "medicines"):
        shutil.copytree(paths.DATA / name, tmp_path / "data" / name)
    shutil.copytree(paths.TEMPLATES, tmp_path / "templates")
    shutil.copy2(paths.MKDOCS_YML, tmp_path / "mkdocs.yml")
    return tmp_path


def _key(root: Path) -> str:
    return outputs.inputs_key(root / "data" / "studies", root / "templates", root / "mkdocs.yml", root / "data")


def _append(path: Path, text: str) -> None:
    path.write_bytes(path.read_bytes() + text.encode())


@pytest.mark.parametrize("changed", ["data/studies/alpha/visits.csv", "data/studies/alpha/study.yml",
                                     "templates/pages.yml", "templates/theme/main.html", "mkdocs.yml"])
def test_any_changed_input_gives_a_new_key(project: Path, changed: str) -> None:
    before = _key(project)
    assert _key(project) == before  # the same inputs, the same key
    _append(project / changed, "\n")
    assert _key(project) != before


def test_a_shared_data_file_a_new_study_or_new_code_gives_a_new_key(project: Path, monkeypatch) -> None:
    before = _key(project)
    medicine = next((project / "data" / "medicines").iterdir())
    _append(medicine, "\n")
    after_medicine = _key(project)
    assert after_medicine != before
    shutil.copytree(project / "data" / "studies" / "alpha", project / "data" / "studies" / "beta")
    after_study = _key(project)
    assert after_study != after_medicine
    monkeypatch.setattr("evidence_site.cache.code_version", lambda: "another version of the code")
    assert _key(project) != after_study


def test_an_empty_study_folder_or_a_data_file_made_a_link_gives_a_new_key(project: Path, tmp_path: Path) -> None:
    """A build from scratch refuses both (an empty study folder; a data file that is a symbolic link), so the
    no-change shortcut must not reuse the last output for them (an outside tester)."""
    before = _key(project)
    empty = project / "data" / "studies" / "empty-study"
    empty.mkdir()
    assert _key(project) != before
    empty.rmdir()
    assert _key(project) == before
    visits = project / "data" / "studies" / "alpha" / "visits.csv"
    elsewhere = tmp_path / "elsewhere-visits.csv"
    elsewhere.write_bytes(visits.read_bytes())
    visits.unlink()
    visits.symlink_to(elsewhere)  # the same bytes, through a link
    assert _key(project) != before


def _output(text: bytes) -> outputs.Output:
    return outputs.Output({"families/index.md": text}, [{"Home": "families/index.md"}], {"data_fingerprint": "f"},
                          {"values": []}, {}, 0, ("a conflict",))


def test_build_reuses_the_output_only_for_the_same_inputs(project: Path, monkeypatch) -> None:
    """The first build generates (pipeline) and keeps its output; the second publishes it without generating;
    after a change the pipeline runs again. The engine is replaced by a recorder here."""
    published: list[bytes] = []
    generated: list[str] = []
    warnings: list[str] = []

    def fake_build_site(*args, keep=None, **kwargs) -> None:
        generated.append("yes")
        output = _output(f"run {len(generated)}".encode())
        published.append(output.files["families/index.md"])
        keep(output)

    monkeypatch.setattr("evidence_site.pipeline.build_site", fake_build_site)
    monkeypatch.setattr(outputs, "write_output",
                        lambda output, *a, **k: published.append(output.files["families/index.md"]))

    def build(**kwargs) -> None:
        outputs.build(project / "data" / "studies", project / "templates", project / "docs", project / "site",
                      project / "mkdocs.yml", project / "build", progress=lambda _: None, warn=warnings.append,
                      **kwargs)

    build()
    build()
    assert generated == ["yes"] and published == [b"run 1", b"run 1"]
    assert warnings == ["the data contradict a published figure: a conflict. The clinicians' overview page says so."]
    with pytest.raises(outputs.BuildError, match="strict-published"):
        build(strict_published=True)  # a reused output still stops a strict build on a contradicted figure
    _append(project / "data" / "studies" / "alpha" / "visits.csv", "\n")
    build()
    assert generated == ["yes", "yes"] and published[-1] == b"run 2"
    assert len(list((project / "build" / "cache").glob("site-*.pickle"))) == 1  # one entry: the latest


def test_a_reused_output_keeps_its_translated_twin_its_loud_warnings_and_the_publication_check(
        project: Path, monkeypatch) -> None:
    """What a reused build publishes is what the full build published: the Spanish twin, the disclosure audit's
    warnings (protection switched off is reported on every build), and a placeholder address still refused."""
    twin = outputs.Twin("es", {"index.md": b"hola"}, [{"Inicio": "index.md"}], {"lang": "es"}, {})
    full = outputs.Output({"families/index.md": b"hello"}, [], {}, {}, {}, 0, (), (twin,),
                          "https://evidence.example.org/", ("privacy: a report line",), ("protection is off",))
    written: list[outputs.Output] = []
    said: list[str] = []

    def fake_build_site(*args, keep=None, **kwargs) -> None:
        keep(full)

    monkeypatch.setattr("evidence_site.pipeline.build_site", fake_build_site)
    monkeypatch.setattr(outputs, "write_output", lambda output, *a, **k: written.append(output))

    def build(**kwargs) -> None:
        outputs.build(project / "data" / "studies", project / "templates", project / "docs", project / "site",
                      project / "mkdocs.yml", project / "build", progress=said.append, warn=said.append, **kwargs)

    build()  # generates and keeps
    build()  # reuses
    assert written == [full] and written[0].twins[0].files == {"index.md": b"hola"}
    assert "privacy: a report line" in said and "protection is off" in said
    with pytest.raises(outputs.BuildError, match="site address is not set"):
        build(publish=True)
    assert written == [full]  # the refused publication build wrote nothing


def test_an_input_edited_during_a_build_publishes_nothing_and_is_never_kept(project: Path, monkeypatch) -> None:
    """A file saved while the build runs (or another build finishing first with newer files): the build stops
    before replacing site/, whose pages would print figures the files no longer give (an outside tester saw
    6/48 published while the file gave 7/48), and keeps nothing under the key of inputs it did not see; the
    next build generates again, publishes and keeps."""
    generated: list[str] = []

    def fake_build_site(*args, keep=None, current=None, **kwargs) -> None:
        generated.append("yes")
        if len(generated) == 1:
            _append(project / "data" / "studies" / "alpha" / "visits.csv", "\n")  # saved mid-build
        outputs.write_output(_output(b"page"), project / "docs", project / "site", project / "mkdocs.yml",
                             project / "build", "mkdocs", current)  # the real staging and swap
        keep(_output(b"page"))

    def engine(config, docs, site, *args, **kwargs) -> None:  # the engine's part: a page per staged file
        site.mkdir(parents=True)
        (site / "index.html").write_text((docs / "families" / "index.md").read_text(encoding="utf-8"))

    monkeypatch.setattr("evidence_site.pipeline.build_site", fake_build_site)
    monkeypatch.setattr("evidence_site.write.mkdocs_build", engine)
    (project / "docs").mkdir()
    (project / "site").mkdir()
    (project / "site" / "index.html").write_text("the last good site")

    def build() -> None:
        outputs.build(project / "data" / "studies", project / "templates", project / "docs", project / "site",
                      project / "mkdocs.yml", project / "build", progress=lambda _: None, warn=lambda _: None)

    with pytest.raises(outputs.BuildError, match="An input changed while the site was being built"):
        build()
    assert (project / "site" / "index.html").read_text() == "the last good site"
    assert not list((project / "build" / "cache").glob("site-*.pickle"))
    build()  # generates again, publishes and keeps it
    assert (project / "site" / "index.html").read_text() == "page"
    build()  # reuses
    assert generated == ["yes", "yes"]


def test_a_study_naming_a_missing_study_as_overlapping_is_refused_with_the_field(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from evidence_site.pipeline import check_references

    alpha = SimpleNamespace(id="alpha", folder=tmp_path / "alpha", spec=SimpleNamespace(overlaps_with=["gone"]))
    beta = SimpleNamespace(id="beta", folder=tmp_path / "beta", spec=SimpleNamespace())
    check_references([beta])
    with pytest.raises(outputs.BuildError, match=r"alpha/study.yml, field overlaps_with: .*found 'gone'"):
        check_references([alpha, beta])


def _gone_within(path: Path, seconds: float = 30.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


@pytest.mark.parametrize("fails", [False, True], ids=["after a build", "after a failed build"])
def test_the_staging_folder_and_the_replaced_site_are_deleted(tmp_path: Path, fails: bool) -> None:
    """The staging folder (which ends up holding the old site/) is removed without the command waiting for it."""
    from evidence_site import write

    site = tmp_path / "site"
    (site / "old").mkdir(parents=True)
    (site / "old" / "page.html").write_text("old")
    try:
        with write.staging(tmp_path / "build") as stage:
            (stage / "site" / "new").mkdir(parents=True)
            (stage / "site" / "new" / "page.html").write_text("new")
            if fails:
                raise RuntimeError("simulated failure")
            write.swap_into_place(stage, tmp_path / "docs", site)
    except RuntimeError:
        assert fails
    assert _gone_within(stage)
    # nothing left but, after a build, the note of what it put in docs/ (write.record_path)
    note = write.record_path(tmp_path / "build", tmp_path / "docs").name
    assert [p.name for p in (tmp_path / "build").iterdir()] == ([] if fails else [note])
    assert (site / ("old" if fails else "new") / "page.html").is_file()


@pytest.mark.parametrize("bad", ["families/../../outside.md", "families//x.md", "/families/x.md", "families/a\\b.md",
                                 "families/x/../../../y.md"])
def test_staging_writes_generated_files_in_place_and_refuses_any_path_leading_out(tmp_path: Path, bad: str) -> None:
    from evidence_site.errors import BuildError
    from evidence_site.write import stage_docs

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "privacy.md").write_text("hand-written", encoding="utf-8")
    files = {"index.md": b"home", "families/s/a.md": b"a", "families/s/b.md": b"b", "clinicians/s/x/c.md": b"c"}
    target = stage_docs(tmp_path / "docs", files, tmp_path / "stage")
    assert {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*.md")} == {
        **files, "privacy.md": b"hand-written"}
    with pytest.raises(BuildError, match=r"Refused to write|outside its own folders"):
        stage_docs(tmp_path / "docs", {"families/s/a.md": b"a", bad: b"x"}, tmp_path / "stage2")
    assert not (tmp_path / "outside.md").exists() and not (tmp_path / "y.md").exists()


HAND_WRITTEN_FAULTS = {
    "a named pipe": (lambda docs: os.mkfifo(docs / "notes" / "pipe.md"), r"docs/notes/pipe.md: .*named pipe"),
    "a link to nothing": (lambda docs: (docs / "notes" / "gone.md").symlink_to(docs / "nowhere.md"),
                          r"docs/notes/gone.md: a link to nothing \(.*nowhere.md\)"),
    "a link to its own folder": (lambda docs: (docs / "notes" / "loop").symlink_to(docs / "notes"),
                                 r"docs/notes/loop: a link to a folder copied already by another way"),
    "a link to a device": (lambda docs: (docs / "notes" / "null.bin").symlink_to("/dev/null"),  # not /dev/zero:
                           # a copy of it never ends (an outside tester filled a disk)
                           r"docs/notes/null.bin: a device \(through a link to /dev/null\)"),
    "a link into /proc": (lambda docs: (docs / "notes" / "status.txt").symlink_to("/proc/self/status"),
                          r"docs/notes/status.txt: a link into /proc, the running system's own files"),
    "a file too large for a host": (lambda docs: ((docs / "notes" / "huge.bin").touch(),  # sparse: no disk used
                                                  os.truncate(docs / "notes" / "huge.bin", 100 * 2**20 + 1)),
                                    r"docs/notes/huge.bin: a file of 100 MiB \(at most 100 MiB"),
    "a link to itself": (lambda docs: (docs / "notes" / "self.md").symlink_to("self.md"),
                         r"docs/notes/self.md: a link that leads to itself"),
    "a name that is not UTF-8": (lambda docs: (docs / "notes" / os.fsdecode(b"caf\xe9.md")).write_bytes(b"# x\n"),
                                 r"docs/notes/caf\\xe9.md: its name is not UTF-8 text"),
    "a name with #": (lambda docs: (docs / "notes" / "week#8.md").write_text("# x\n", encoding="utf-8"),
                      r"docs/notes/week#8.md: its name has a character a web address cannot carry"),
    "a name with ?": (lambda docs: (docs / "notes" / "why?.md").write_text("# x\n", encoding="utf-8"),
                      r"docs/notes/why\?.md: its name has a character a web address cannot carry"),
    "a name with a line break": (lambda docs: (docs / "notes" / "a\nb.md").write_text("# x\n", encoding="utf-8"),
                                 r"docs/notes/a\\x0ab.md: its name has a character a web address cannot carry"),
    "two names alike but for case": (lambda docs: [(docs / "notes" / n).write_text("# x\n", encoding="utf-8")
                                                   for n in ("Visit.md", "visit.md")],
                                     r"docs/notes/visit.md: its name differs only in case from Visit.md beside it"),
    "a generated folder's name but for case": (lambda docs: (docs / "Families").mkdir(),
                                               r"docs/Families: its name differs only in case from families beside"),
    "the site's own file's name but for case": (lambda docs: (docs / "Numbers.json").write_text("{}"),
                                                r"docs/Numbers.json: its name differs only in case from numbers.json"),
}


@pytest.mark.parametrize("fault", sorted(HAND_WRITTEN_FAULTS))
def test_a_hand_written_entry_that_cannot_be_copied_is_named_not_blamed_on_the_data(tmp_path: Path,
                                                                                     fault: str) -> None:
    from evidence_site.errors import BuildError
    from evidence_site.write import stage_docs

    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    (docs / "privacy.md").write_text("hand-written", encoding="utf-8")
    make, named = HAND_WRITTEN_FAULTS[fault]
    make(docs)
    with pytest.raises(BuildError) as refused:
        stage_docs(docs, {"families/s/a.md": b"a"}, tmp_path / "stage")
    message = str(refused.value)
    assert re.search(named, message), message
    assert "hand-written entry in the docs folder" in message and "Nothing was written" in message
    assert "in the data" not in message
    message.encode("utf-8")  # printable as it is: a name that is not UTF-8 is shown with its bytes escaped
    assert max(len(line) for line in message.splitlines()) < 400
    assert not (tmp_path / "stage").exists()  # refused before anything is copied (a copy through a loop never ends)


def _few_listings(monkeypatch, why: str, most: int = 20) -> None:
    """Fail once a folder has been listed ``most`` times: a check that followed links into a loop or a whole
    disk fails fast instead of hanging the suite."""
    listed = []
    real_scandir = os.scandir

    def scandir(path):
        listed.append(path)
        assert len(listed) < most, why
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_links_leading_back_into_docs_are_refused_after_one_visit_of_each_folder(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """Two links to docs/ inside it: a copy that follows them doubles at each level and never ends (an outside
    tester's filled 1.7 GB in 90 s). The check visits each real folder once; here it may list a folder at most a
    few times, so that a check that followed the links fails fast instead of hanging the suite."""
    from evidence_site import hand_written

    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    for name in ("up1", "up2"):
        (docs / "notes" / name).symlink_to("..")
    _few_listings(monkeypatch, "the check follows links back into docs/")
    problems = hand_written.hand_written_problems(docs, docs)
    assert [(p.relative_to(docs).as_posix(), why.split(" (")[0]) for p, why in problems] == [
        ("notes/up1", "a link to a folder that holds docs/ itself"),
        ("notes/up2", "a link to a folder that holds docs/ itself")]


def test_every_hand_written_entry_that_cannot_be_copied_is_named_in_one_message(tmp_path: Path) -> None:
    from evidence_site.errors import BuildError
    from evidence_site.write import stage_docs

    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    for fault in ("a named pipe", "a link to nothing", "a name that is not UTF-8", "a link to a device"):
        HAND_WRITTEN_FAULTS[fault][0](docs)
    (docs / "families").mkdir()
    os.mkfifo(docs / "families" / "pipe.md")  # a generated folder: not copied, so not the copy's business
    with pytest.raises(BuildError) as refused:
        stage_docs(docs, {}, tmp_path / "stage")
    assert "found:    4 entries that are not (listed above)" in str(refused.value)
    for _, named in HAND_WRITTEN_FAULTS.values():
        if "pipe" in named or "gone" in named or "caf" in named or "null" in named:
            assert re.search(named, str(refused.value)), named


def test_redirect_pages_are_written_in_place_never_over_a_built_page_nor_outside(tmp_path: Path) -> None:
    from evidence_site.errors import BuildError
    from evidence_site.write import write_files

    (tmp_path / "site" / "families").mkdir(parents=True)
    (tmp_path / "site" / "families" / "index.html").write_text("built", encoding="utf-8")
    write_files(tmp_path / "site", {"old/a/index.html": "to a", "old/b/index.html": "to b", "x.html": "to x"})
    assert (tmp_path / "site" / "old" / "b" / "index.html").read_text(encoding="utf-8") == "to b"
    assert (tmp_path / "site" / "x.html").read_text(encoding="utf-8") == "to x"
    with pytest.raises(BuildError, match=r"would replace the page families/index\.html"):
        write_files(tmp_path / "site", {"families/index.html": "to y"})
    with pytest.raises(BuildError, match="Refused to write"):
        write_files(tmp_path / "site", {"old/../../out.html": "to z"})
    assert (tmp_path / "site" / "families" / "index.html").read_text(encoding="utf-8") == "built"
    assert not (tmp_path / "out.html").exists()


def _copying_engine(config, docs: Path, site: Path, *args, **kwargs) -> None:
    """The engine's part for these tests: each staged file copied into the site as it is when the engine runs."""
    for path in docs.rglob("*"):
        if path.is_file():
            (site / path.relative_to(docs)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, site / path.relative_to(docs))


def _with_chart(files: dict[str, bytes], chart: str) -> dict[str, bytes]:
    return files | {chart: b""}  # its place, filled once drawn (pipeline.generate(defer_charts=True))


def test_charts_drawn_while_the_engine_runs_are_published_complete_in_both_sites_and_kept(
        tmp_path: Path, monkeypatch) -> None:
    """The engine builds the pages while the charts are still being drawn (it only copies a chart's file): each
    chart is then written over its empty copy in the staged docs/ and site/, a twin is staged with its own, and
    the output returned (the one kept for the next build) has every file complete."""
    drawing = threading.Event()
    started: list[bool] = []

    def draw() -> dict[str, bytes]:
        drawing.wait(10)  # drawn only once the English engine has run
        return {"families/a/figures/f.svg": b"<svg>en</svg>", "es/families/a/figures/f.svg": b"<svg>es</svg>"}

    def engine(config, docs: Path, site: Path, *args, **kwargs) -> None:
        started.append(True)
        _copying_engine(config, docs, site)
        drawing.set()

    monkeypatch.setattr("evidence_site.write.mkdocs_build", engine)
    twin = outputs.Twin("es", _with_chart({"index.md": b"hola"}, "families/a/figures/f.svg"), [], {}, {})
    output = outputs.Output(_with_chart({"families/index.md": b"hello"}, "families/a/figures/f.svg"),
                            [], {}, {}, {}, 0, (), (twin,))
    late = outputs.Deferred(("families/a/figures/f.svg", "es/families/a/figures/f.svg"), draw)
    (tmp_path / "docs").mkdir()
    done = outputs.write_output(output, tmp_path / "docs", tmp_path / "site", tmp_path / "mkdocs.yml",
                                tmp_path / "build", "mkdocs", late=late)
    assert started == [True, True]
    for root in ("docs", "site"):
        assert (tmp_path / root / "families/a/figures/f.svg").read_bytes() == b"<svg>en</svg>"
        assert (tmp_path / root / "es/families/a/figures/f.svg").read_bytes() == b"<svg>es</svg>"
    assert done.files["families/a/figures/f.svg"] == b"<svg>en</svg>"
    assert done.twins[0].files == {"index.md": b"hola", "families/a/figures/f.svg": b"<svg>es</svg>"}


def test_a_chart_that_fails_to_draw_or_a_chart_the_engine_did_not_copy_publishes_nothing(
        tmp_path: Path, monkeypatch) -> None:
    """What drawing raised is raised by the build, after the engine, and site/ is as it was; a chart file the
    engine did not copy as the empty file it was given is refused, never written somewhere else."""
    (tmp_path / "site").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "site" / "index.html").write_text("the last good site")
    output = outputs.Output(_with_chart({"families/index.md": b"hello"}, "families/a/figures/f.svg"),
                            [], {}, {}, {}, 0, ())

    def fails() -> dict[str, bytes]:
        raise outputs.BuildError("the converter could not draw a chart")

    def publish(late: outputs.Deferred) -> None:
        outputs.write_output(output, tmp_path / "docs", tmp_path / "site", tmp_path / "mkdocs.yml",
                             tmp_path / "build", "mkdocs", late=late)

    monkeypatch.setattr("evidence_site.write.mkdocs_build", _copying_engine)
    with pytest.raises(outputs.BuildError, match="could not draw"):
        publish(outputs.Deferred(("families/a/figures/f.svg",), fails))
    with pytest.raises(outputs.BuildError, match="not those announced"):
        publish(outputs.Deferred(("families/a/figures/f.svg",), lambda: {}))

    def skips_charts(config, docs: Path, site: Path, *args, **kwargs) -> None:
        site.mkdir(parents=True)
        (site / "index.html").write_text("pages only")

    monkeypatch.setattr("evidence_site.write.mkdocs_build", skips_charts)
    with pytest.raises(outputs.BuildError, match="not the empty file the engine was given"):
        publish(outputs.Deferred(("families/a/figures/f.svg",), lambda: {"families/a/figures/f.svg": b"<svg/>"}))
    assert (tmp_path / "site" / "index.html").read_text() == "the last good site"
    assert not list((tmp_path / "docs").rglob("*.svg"))


def test_the_translated_site_is_built_beside_the_english_one_and_either_failing_publishes_nothing(
        tmp_path: Path, monkeypatch) -> None:
    """Each site's engine runs in its own process at the same time (the fake engines below meet at a barrier,
    which a build running them one after the other never reaches); the twin's site then goes under site/es/. An
    engine that fails stops the build once both have stopped, and site/ is as it was."""
    meeting = threading.Barrier(2, timeout=10)

    def engine(config, docs: Path, site: Path, *args, **kwargs) -> None:
        meeting.wait()
        _copying_engine(config, docs, site)

    monkeypatch.setattr("evidence_site.write.mkdocs_build", engine)
    (tmp_path / "docs").mkdir()
    twin = outputs.Twin("es", {"index.md": b"hola"}, [], {}, {})
    output = outputs.Output({"families/index.md": b"hello"}, [], {}, {}, {}, 0, (), (twin,))

    def publish() -> None:
        outputs.write_output(output, tmp_path / "docs", tmp_path / "site", tmp_path / "mkdocs.yml",
                             tmp_path / "build", "mkdocs")

    publish()
    assert (tmp_path / "site" / "families" / "index.md").read_bytes() == b"hello"
    assert (tmp_path / "site" / "es" / "index.md").read_bytes() == b"hola"
    assert (tmp_path / "docs" / "es" / "index.md").read_bytes() == b"hola"

    def twin_fails(config, docs: Path, site: Path, *args, **kwargs) -> None:
        if docs.name == "docs-es":
            raise outputs.BuildError("mkdocs build --strict failed on the Spanish site")
        _copying_engine(config, docs, site)

    (tmp_path / "site" / "index.html").write_text("the last good site")
    monkeypatch.setattr("evidence_site.write.mkdocs_build", twin_fails)
    with pytest.raises(outputs.BuildError, match="Spanish site"):
        publish()
    assert (tmp_path / "site" / "index.html").read_text() == "the last good site"


def test_a_staging_folder_left_by_a_killed_build_is_deleted_by_the_next_and_a_running_builds_is_kept(
        tmp_path: Path) -> None:
    """A build killed outright (SIGKILL) cannot delete its staging folder: a half-made site with empty charts that an
    outside tester found still there builds later. The next build deletes the folders of builds whose process is
    gone (and those named by an older version), never that of a build still running."""
    import subprocess
    import sys
    import time

    from evidence_site.write import staging

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    build = tmp_path / "build"
    dead, old, running = (build / f"stage-{ended.stdout.strip()}-abc", build / "stage-3s6q719n",
                          build / f"stage-{os.getpid()}-xyz")
    for folder in (dead, old, running):
        (folder / "site").mkdir(parents=True)
    with staging(build) as stage:
        assert stage.name.startswith(f"stage-{os.getpid()}-")
        deadline = time.monotonic() + 10
        while (dead.exists() or old.exists()) and time.monotonic() < deadline:  # deleted by a detached rm -rf
            time.sleep(0.05)
        assert not dead.exists() and not old.exists()
        assert running.is_dir()


def test_ctrl_c_during_the_swap_waits_until_docs_and_site_are_both_the_new_builds(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    """An interrupt that arrives while docs/ and site/ are being replaced is delivered once both are: they are never
    left from two different builds."""
    import signal

    from evidence_site import write

    docs, site, stage = tmp_path / "docs", tmp_path / "site", tmp_path / "stage"
    (docs / "families").mkdir(parents=True)
    (docs / "families" / "a.md").write_text("old")
    site.mkdir()
    (site / "index.html").write_text("old")
    (stage / "docs" / "families").mkdir(parents=True)
    (stage / "docs" / "families" / "a.md").write_text("new")
    (stage / "site").mkdir()
    (stage / "site" / "index.html").write_text("new")
    rename = Path.rename
    sent: list[bool] = []

    def rename_then_interrupt(self: Path, target: Path) -> Path:
        moved = rename(self, target)
        if not sent:  # Ctrl-C right after the first rename
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return moved

    monkeypatch.setattr(Path, "rename", rename_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write.swap_into_place(stage, docs, site)
    assert sent
    assert (docs / "families" / "a.md").read_text() == "new" and (site / "index.html").read_text() == "new"
    assert write.REPLACED[-1] == site


def test_an_env_site_url_is_resolved_and_its_variable_is_an_input(project: Path, monkeypatch) -> None:
    """``site_url: !ENV [NAME, default]`` (MkDocs' tag): the generator reads the address MkDocs will use (the
    handouts print it; the Spanish site's address is built from it), and a changed variable gives a new key (an
    outside tester: the address was read as empty, and a changed variable reused the last output)."""
    from evidence_site.pipeline import site_inputs

    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join("site_url: !ENV [EVIDENCE_TEST_URL, 'https://evidence.example.org/']"
                                if line.startswith("site_url:") else line for line in text.split("\n")),
                      encoding="utf-8")
    monkeypatch.delenv("EVIDENCE_TEST_URL", raising=False)
    assert site_inputs(config, project / "data")["site_url"] == "https://evidence.example.org/"
    unset = _key(project)
    monkeypatch.setenv("EVIDENCE_TEST_URL", "https://ibd.kids-hospital.org/evidence/")
    assert site_inputs(config, project / "data")["site_url"] == "https://ibd.kids-hospital.org/evidence/"
    assert site_inputs(config, project / "data")["handout_url"].startswith("https://ibd.kids-hospital.org/")
    assert _key(project) != unset
    assert outputs.env_names("a: !ENV NAME\nb: !ENV [FIRST, 'SECOND', 'https://x.org/']\n") == ["FIRST", "NAME",
                                                                                                 "SECOND"]


def test_a_file_someone_put_in_a_generated_folder_stops_the_build_instead_of_being_deleted(
        tmp_path: Path, monkeypatch) -> None:
    """Every build replaces docs/families/ (and the other generated parts) whole: a page a user put there would be
    lost without a word (an outside reviewer's was). The generator notes what it put there (build/
    generated-docs-*.txt) and stops on anything else; the message names the file; moved out, the build goes on."""
    monkeypatch.setattr("evidence_site.write.mkdocs_build", _copying_engine)
    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    docs.mkdir()

    def publish(text: bytes) -> None:
        outputs.write_output(_output(text), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")

    publish(b"first")
    from evidence_site.write import record_path
    assert record_path(build, docs).read_text(encoding="utf-8") == '["families/index.md"]'  # a JSON list
    assert record_path(build, tmp_path / "other-docs") != record_path(build, docs)  # one note per docs folder
    mine = docs / "families" / "clinic-contact.md"
    mine.write_text("# Our clinic\n", encoding="utf-8")
    with pytest.raises(outputs.BuildError, match=r"docs/families/clinic-contact\.md: This file would be deleted"):
        publish(b"second")
    assert mine.read_text(encoding="utf-8") == "# Our clinic\n"  # kept, and nothing was replaced
    assert (docs / "families" / "index.md").read_bytes() == b"first"
    (docs / "clinic").mkdir()
    mine.rename(docs / "clinic" / "contact.md")
    publish(b"second")
    assert (docs / "families" / "index.md").read_bytes() == b"second"
    assert (docs / "clinic" / "contact.md").is_file()


@pytest.mark.parametrize("odd", ["a named pipe", "a socket"])
def test_a_named_pipe_or_socket_put_in_a_generated_folder_stops_the_build_like_a_file(
        tmp_path: Path, monkeypatch, odd: str) -> None:
    import socket

    monkeypatch.setattr("evidence_site.write.mkdocs_build", _copying_engine)
    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    docs.mkdir()
    outputs.write_output(_output(b"first"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    entry = docs / "families" / "x.sock"
    if odd == "a named pipe":
        os.mkfifo(entry)
    else:
        held = socket.socket(socket.AF_UNIX)
        held.bind(str(entry))
    with pytest.raises(outputs.BuildError, match=r"docs/families/x\.sock: This file would be deleted"):
        outputs.write_output(_output(b"second"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    assert (docs / "families" / "index.md").read_bytes() == b"first"


@pytest.mark.parametrize("layout", ["a link to nothing", "a link to a folder", "a file"])
def test_a_generated_folder_that_is_a_link_or_a_file_is_refused_by_name(tmp_path: Path, monkeypatch,
                                                                        layout: str) -> None:
    monkeypatch.setattr("evidence_site.write.mkdocs_build", _copying_engine)
    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    docs.mkdir()
    (tmp_path / "elsewhere").mkdir()
    {"a link to nothing": lambda p: p.symlink_to(tmp_path / "nowhere"),
     "a link to a folder": lambda p: p.symlink_to(tmp_path / "elsewhere"),
     "a file": lambda p: p.write_text("mine", encoding="utf-8")}[layout](docs / "families")
    before = sorted(os.listdir(docs))
    with pytest.raises(outputs.BuildError, match=r"docs/families: The build replaces this whole") as refused:
        outputs.write_output(_output(b"first"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    assert "unexpected" not in str(refused.value)
    assert sorted(os.listdir(docs)) == before and not site.exists()


def test_a_hand_written_numbers_json_is_refused_not_overwritten(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("evidence_site.write.mkdocs_build", _copying_engine)
    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    docs.mkdir()
    (docs / paths.NUMBERS_JSON).write_text('{"fake": 1}', encoding="utf-8")
    with pytest.raises(outputs.BuildError, match=r"docs/numbers\.json: the site's own numbers\.json goes at that"):
        outputs.write_output(_output(b"first"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    assert not site.exists()


def test_links_into_the_site_or_build_folder_or_holding_docs_are_refused_before_any_copy(tmp_path: Path,
                                                                                        monkeypatch) -> None:
    """A link to site/ inside docs/ copied the site into itself, doubling it at every build; a link to the project
    (which holds docs/) or to / walked everything under it. Each is refused at once, after a few folders."""
    from evidence_site import hand_written

    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    for folder in (docs / "assets", site / "assets", build / "cache"):
        folder.mkdir(parents=True)
    (docs / "assets" / "st").symlink_to(site)
    (docs / "assets" / "bld").symlink_to(build / "cache")
    (docs / "assets" / "project").symlink_to(tmp_path)
    (docs / "assets" / "slash").symlink_to("/")
    _few_listings(monkeypatch, "the check walks what the links lead to")
    found = {p.name: why for p, why in hand_written.hand_written_problems(docs, docs, (site, build))}
    assert found["st"].startswith("a link into the build's own output")
    assert found["bld"].startswith("a link into the build's own output")
    assert found["project"].startswith("a link to a folder that holds docs/ itself")
    assert found["slash"].startswith("a link to a folder that holds docs/ itself")


def test_a_hand_written_file_at_an_address_the_site_writes_itself_is_refused(tmp_path: Path) -> None:
    from evidence_site import hand_written

    docs = tmp_path / "docs"
    (docs / "search").mkdir(parents=True)
    for name in ("sitemap.xml", "404.html", "search/search_index.json", "numbers.json"):
        (docs / name).write_text("mine", encoding="utf-8")
    found = {p.relative_to(docs).as_posix(): why for p, why in hand_written.hand_written_problems(docs, docs)}
    assert sorted(found) == ["404.html", "numbers.json", "search/search_index.json", "sitemap.xml"]
    assert found["sitemap.xml"] == "the site's own sitemap.xml goes at that address (the build or the engine writes it)"


def test_hand_written_files_over_the_site_limit_in_all_are_refused(tmp_path: Path, monkeypatch) -> None:
    from evidence_site import hand_written

    monkeypatch.setattr(hand_written, "MAX_HAND_WRITTEN_TOTAL", 10)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.css", "b.css"):
        (docs / name).write_bytes(b"12345678")
    (why,) = [why for _, why in hand_written.hand_written_problems(docs, docs)]
    assert "of hand-written files in all (GitHub Pages refuses a larger site)" in why


def test_every_problem_of_docs_comes_in_one_message_before_the_engine_runs(tmp_path: Path, monkeypatch) -> None:
    """A stray file in a generated folder, a named pipe among the hand-written files and a hand-written
    sitemap.xml: an outside tester needed three builds to see them one kind at a time."""
    runs = []
    monkeypatch.setattr("evidence_site.write.mkdocs_build", lambda *a, **k: (runs.append(1), _copying_engine(*a, **k)))
    docs, site, build = tmp_path / "docs", tmp_path / "site", tmp_path / "build"
    docs.mkdir()
    outputs.write_output(_output(b"first"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    (docs / "families" / "mine.md").write_text("# Mine\n", encoding="utf-8")
    os.mkfifo(docs / "pipe.css")
    (docs / "sitemap.xml").write_text("<urlset/>", encoding="utf-8")
    with pytest.raises(outputs.BuildError) as refused:
        outputs.write_output(_output(b"second"), docs, site, tmp_path / "mkdocs.yml", build, "mkdocs")
    message = str(refused.value)
    assert "docs/families/mine.md: This file would be deleted" in message
    assert "docs/pipe.css: a named pipe" in message and "docs/sitemap.xml: the site's own sitemap.xml" in message
    assert len(runs) == 1  # the first build's engine only


@pytest.mark.parametrize("late", ["a link to a device", "a file over the limit", "two links back to docs/"])
def test_what_changes_between_the_check_and_the_copy_is_refused_by_the_copy(tmp_path: Path, monkeypatch,
                                                                           late: str) -> None:
    """An outside tester replaced a checked file by a link to /dev/zero while the build ran: the copy then read it
    for ever (2 GB a second). Here the check is made to pass, as if the entry had changed just after it."""
    from evidence_site import hand_written, write
    from evidence_site.errors import BuildError

    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    if late == "a link to a device":
        (docs / "notes" / "late.bin").symlink_to("/dev/null")
    elif late == "a file over the limit":
        (docs / "notes" / "late.bin").touch()
        os.truncate(docs / "notes" / "late.bin", hand_written.MAX_HAND_WRITTEN_BYTES + 1)  # sparse
    else:
        for name in ("up1", "up2"):
            (docs / "notes" / name).symlink_to("..")
    monkeypatch.setattr(hand_written, "hand_written_problems", lambda *args: [])
    _few_listings(monkeypatch, "the copy follows links back into docs/", most=40)
    with pytest.raises(BuildError, match=r"A hand-written entry in the docs folder cannot be copied") as refused:
        write.stage_docs(docs, {}, tmp_path / "stage")
    said = {"a link to a device": "not a plain file when copied", "a file over the limit": "more than 100 MiB when "
            "copied", "two links back to docs/": "a link to a folder that changed while it was copied"}[late]
    assert said in str(refused.value)


def test_hand_written_files_lists_plain_and_linked_files_outside_the_generated_folders(tmp_path: Path) -> None:
    from evidence_site.write import generated_now, hand_written_files

    docs = tmp_path / "docs"
    for name in ("clinic/a.md", "clinic/deep/b.md", "clinic/c.png", "top.md", "families/x/index.md", "index.md"):
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text("x", encoding="utf-8")
    (docs / "clinic" / "linked.md").symlink_to(docs / "top.md")
    (docs / "clinic" / "dead.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(docs / "clinic" / "pipe.md")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "o.md").write_text("x", encoding="utf-8")
    (docs / "clinic" / "folder-link").symlink_to(tmp_path / "outside")  # listed, not entered (as rglob did)
    (docs / "families" / "link.md").symlink_to(docs / "top.md")
    assert hand_written_files(docs, ".md") == ["clinic/a.md", "clinic/deep/b.md", "clinic/linked.md", "top.md"]
    assert hand_written_files(docs) == ["clinic/a.md", "clinic/c.png", "clinic/deep/b.md", "clinic/linked.md",
                                        "top.md"]
    assert generated_now(docs) == ["families/link.md", "families/x/index.md", "index.md"]
    assert hand_written_files(tmp_path / "missing") == []
