"""The live preview (preview.py, `build.py serve`): after a save it shows what a fresh build would show.

What the preview keeps between saves (the generated files as last written, the theme's compiled templates,
each page's converted Markdown, the parsed shared data) must never make it show stale output: after a changed
value, a new study and a changed template, every built page is byte for byte what a fresh preview builds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import MINIMAL
from evidence_site import paths
from evidence_site.preview import Preview, live_server
from evidence_site.write import is_generated


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A library of one study (the minimal fixture), a copy of the templates and the hand-written docs."""
    shutil.copytree(MINIMAL, tmp_path / "data" / "studies" / "alpha")
    if (MINIMAL.parent.parent / "medicines").is_dir():
        shutil.copytree(MINIMAL.parent.parent / "medicines", tmp_path / "data" / "medicines")
    shutil.copytree(paths.TEMPLATES, tmp_path / "templates")
    shutil.copytree(paths.DOCS, tmp_path / "docs", ignore=lambda d, names: [
        n for n in names if Path(d) == paths.DOCS and is_generated(n)])
    return tmp_path


def _preview(root: Path, name: str = "") -> Preview:
    docs = root / "docs"
    if name:  # another preview of the same inputs, with nothing kept from the first
        docs = root / name / "docs"
        if not docs.exists():
            shutil.copytree(root / "docs", docs, ignore=lambda d, names: [
                n for n in names if Path(d) == root / "docs" and is_generated(n)])
    return Preview(root / "data" / "studies", root / "templates", docs, root / (name or "main") / "build",
                   paths.MKDOCS_YML, progress=lambda _: None)


def _pages(preview: Preview) -> dict[str, bytes]:
    site = preview.site_dir
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".svg", ".csv", ".json", ".md")}


def _set_activity_score(visits: Path, week: str, value: str) -> None:
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\n").split(",")
        if cells[header.index("week")] == week:
            cells[header.index("activity_score")] = value
            lines[i] = ",".join(cells) + "\n"
            visits.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"no row at week {week} in {visits}")


def _same_as_fresh(root: Path, preview: Preview, name: str) -> None:
    fresh = _preview(root, name)
    assert fresh.rebuild()
    mine, theirs = _pages(preview), _pages(fresh)
    assert sorted(mine) == sorted(theirs)
    assert [k for k in mine if mine[k] != theirs[k]] == []


def test_after_a_changed_value_a_new_study_and_a_changed_template_the_preview_equals_a_fresh_one(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence_site import cache

    monkeypatch.setattr(cache, "KEEP_IN_MEMORY", True)  # as `serve` does: studies' entries kept in memory too
    monkeypatch.setattr(cache, "IN_MEMORY", {})
    preview = _preview(project)
    assert preview.rebuild()
    first = _pages(preview)
    footer = preview.staged.read_text(encoding="utf-8")

    _set_activity_score(project / "data" / "studies" / "alpha" / "visits.csv", "52", "40")
    assert preview.rebuild()
    changed = _pages(preview)
    assert changed != first
    assert preview.staged.read_text(encoding="utf-8") != footer  # the data fingerprint in every footer
    _same_as_fresh(project, preview, "fresh-1")

    shutil.copytree(MINIMAL, project / "data" / "studies" / "beta")  # a study added while serving
    assert preview.rebuild()
    assert any("clinicians/beta/" in line for line in preview.staged.read_text(encoding="utf-8").splitlines())
    assert 'href="clinicians/beta/' in (preview.site_dir / "index.html").read_text(encoding="utf-8")
    # the note of what the generator put in docs/ follows (a build after the preview stops only on others' files)
    from evidence_site.write import generated_now, record_path
    from evidence_site.write import recorded as names_in
    recorded = sorted(names_in(record_path(preview.build_dir, preview.docs)))
    assert "clinicians/beta/index.md" in recorded and recorded == generated_now(preview.docs)
    _same_as_fresh(project, preview, "fresh-2")

    template = project / "templates" / "clinicians" / "methods.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA sentence added while serving.\n",
                        encoding="utf-8")
    assert preview.rebuild()
    assert any(b"A sentence added while serving." in page for page in _pages(preview).values())
    _same_as_fresh(project, preview, "fresh-3")


def test_a_change_in_each_layer_the_preview_keeps_shows_and_equals_a_fresh_preview(project: Path) -> None:
    """The preview keeps parsed YAML and CSV files, checked columns, family pages' reading grades and pages'
    search entries by content (kept.py, ``indexing``): a change to study.yml, to one cell of patients.csv and to a
    family page's template each shows, and the preview then equals a fresh one byte for byte (search index too)."""
    preview = _preview(project)
    assert preview.rebuild()
    study = project / "data" / "studies" / "alpha"
    steps = [(study / "study.yml", "six patients, two time points", "six patients, at two time points"),
             (study / "patients.csv", "P1,CD,F,8,13,", "P1,CD,M,8,13,"),
             (project / "templates" / "families" / "questions.md.j2", None, "\nA short line added while serving.\n")]
    for i, (path, old, new) in enumerate(steps):
        before = _pages(preview)
        text = path.read_text(encoding="utf-8")
        assert old is None or old in text
        path.write_text(text + new if old is None else text.replace(old, new, 1), encoding="utf-8")
        assert preview.rebuild()
        if path.suffix == ".j2":  # the data are not even read (the study's validated tables come from the cache):
            assert (preview.memo.hits, preview.memo.misses) == (0, 1)  # only the edited family page is graded
        else:
            assert preview.memo.hits > 0  # what did not change was reused (the study's other files, parsed)
        after = _pages(preview)
        assert after != before
        assert after["search/search_index.json"] != before["search/search_index.json"]
        _same_as_fresh(project, preview, f"fresh-{i}")


def test_a_save_that_changes_nothing_writes_nothing(project: Path) -> None:
    preview = _preview(project)
    assert preview.rebuild()
    docs = {p: p.stat().st_mtime_ns for p in preview.docs.rglob("*") if p.is_file()}
    assert preview.regenerate() == []
    assert {p: p.stat().st_mtime_ns for p in preview.docs.rglob("*") if p.is_file()} == docs


def test_a_data_problem_is_shown_and_leaves_the_preview_as_it_was(project: Path) -> None:
    lines: list[str] = []
    preview = _preview(project)
    preview.progress = lines.append
    assert preview.rebuild()
    before = _pages(preview)
    visits = project / "data" / "studies" / "alpha" / "visits.csv"
    visits.write_text(visits.read_text(encoding="utf-8").replace(",", ";", 3), encoding="utf-8")
    assert not preview.rebuild()
    assert any(line.startswith("not regenerated:") for line in lines)
    assert _pages(preview) == before


def test_a_served_page_tells_the_browser_to_reload_after_a_rebuild(project: Path) -> None:
    preview = _preview(project)
    assert preview.rebuild()
    server = live_server(preview, 8000)
    try:
        page = b"".join(server.serve_request({"PATH_INFO": "/index.html"}, lambda *_: None))
    finally:
        server.server_close()
    assert page.startswith((preview.site_dir / "index.html").read_bytes().split(b"</body>")[0])
    assert b"livereload(" in page  # MkDocs' script, which reloads the page once a newer build is served


def test_only_saves_to_inputs_rebuild(project: Path) -> None:
    preview = _preview(project)
    docs, data = project / "docs", project / "data"
    assert preview.relevant(str(data / "studies" / "alpha" / "visits.csv"))
    assert preview.relevant(str(project / "templates" / "pages.yml"))
    assert preview.relevant(str(docs / "privacy.md"))  # hand-written
    assert not preview.relevant(str(docs / "clinicians" / "alpha" / "effectiveness.md"))  # written by the preview
    assert not preview.relevant(str(docs / "index.md"))
    assert not preview.relevant(str(project / "main" / "build" / "serve" / "mkdocs.yml"))
    assert not preview.relevant(str(data / "studies" / "alpha" / "visits.csv.swp"))


def _descendants(pid: int) -> set[int]:
    """The processes started, directly or not, by ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie has ended)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads the process tree from /proc")
def test_a_stopped_preview_leaves_no_chart_converter_running(tmp_path: Path) -> None:
    """`build.py serve` stopped with SIGTERM (as `bench.py --preview`, a terminal or a service manager stops it)
    ends its chart converter processes: they outlived it before."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    import bench

    work = bench.make_project(tmp_path / "project", 1, 48)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(work / "scripts" / "build.py"), "serve", "--port", str(port)],
                              cwd=work, env=os.environ | {"PYTHONPATH": str(work / "scripts")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, "the preview stopped before serving"
            assert time.monotonic() < deadline, "the preview did not serve within 240 s"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        helpers = _descendants(server.pid)
        assert helpers, "the preview drew its charts in no other process: nothing to check"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) in (0, 130)  # stopped as by Ctrl-C
        deadline = time.monotonic() + 30
        while _alive(helpers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(helpers), f"still running after the preview stopped: {sorted(_alive(helpers))}"
    finally:
        if server.poll() is None:
            server.kill()


def test_ctrl_c_during_a_build_says_so_changes_nothing_and_prints_no_traceback(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's group, the chart converter's too: the build says it was
    interrupted and that site/ is as it was; no process prints a traceback (the converter printed one)."""
    import os
    import signal
    import subprocess
    import sys

    import bench

    work = bench.make_project(tmp_path / "project", 1, 48)
    build = subprocess.Popen([sys.executable, str(work / "scripts" / "build.py"), "site"], cwd=work,
                             env=os.environ | {"PYTHONPATH": str(work / "scripts")}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert build.stdout is not None
        seen = []
        for line in build.stdout:  # the data are read and summarised; pages and the engine are still to come
            seen.append(line)
            if line.startswith("[build] validated"):
                break
        assert _descendants(build.pid), "no chart converter process to interrupt: nothing to check"
        os.killpg(build.pid, signal.SIGINT)
        out, err = build.communicate(timeout=120)
        out = "".join(seen) + out
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 130, (out, err)
    assert "Interrupted: `site` stopped." in err and "as the last finished build left them" in err, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert not (work / "site").exists()


def test_a_hand_written_entry_that_cannot_be_copied_is_refused_while_serving(project: Path) -> None:
    """The preview's MkDocs reads docs/ itself: a link to a device put there while serving would be copied for
    ever (a link to /dev/zero filled a disk in a build). It is named, and the preview keeps what it served."""
    preview = _preview(project)
    said: list[str] = []
    preview.progress = said.append
    assert preview.rebuild() is True
    served = _pages(preview)
    (project / "docs" / "null.css").symlink_to("/dev/null")
    assert preview.rebuild() is False
    assert any("docs/null.css: a device (through a link to /dev/null)" in line for line in said), said
    assert _pages(preview) == served
