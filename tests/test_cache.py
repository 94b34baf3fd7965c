"""The per-study cache (cache.py) never serves stale output: a changed input, template or code recomputes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    assert "0 entries reused, 8 computed" in log
    again, log = _generate(library)
    assert "8 entries reused, 0 computed" in log
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
    assert "4 entries reused, 4 computed (beta)" in log
    assert changed.files != first.files
    assert changed.files == _fresh(library).files  # what the cache gave is what a build without it gives
    assert changed.book.records() == _fresh(library).book.records()


def test_a_changed_template_recomputes_and_changes_the_output(library: Path) -> None:
    first, _ = _generate(library)
    template = library / "templates" / "clinicians" / "overview.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA sentence added to the template.\n",
                        encoding="utf-8")
    changed, log = _generate(library)
    assert "0 entries reused, 8 computed" in log
    assert changed.files != first.files
    assert changed.files == _fresh(library).files


def test_a_changed_code_version_is_never_served_an_old_entry(library: Path, monkeypatch) -> None:
    _generate(library, "code-1", monkeypatch)
    # Poison the stored summaries: if the key ignored the code version, this stale value would be served.
    from evidence_site.cache import seal, unseal
    for path in (library / "cache" / "studies").rglob("values-*.pickle"):
        name, values = unseal(path.read_bytes())
        path.write_bytes(seal((name, [v.__class__(**{**v.__dict__, "label": "STALE"}) for v in values])))
    served, log = _generate(library, "code-1", monkeypatch)
    assert "STALE" in str(served.book.records())  # same key: the entry is used (this is what the cache is for)
    rebuilt, log = _generate(library, "code-2", monkeypatch)
    assert "0 entries reused, 8 computed" in log
    assert "STALE" not in str(rebuilt.book.records())
    assert rebuilt.files == _fresh(library).files


def test_an_entry_with_a_byte_changed_on_disk_is_never_served(library: Path) -> None:
    """Every entry is sealed with the hash of its bytes (cache.seal): a figure changed inside a stored entry, the
    same length (an outside tester changed 89/100 to 98/100 in a kept output), is not read: it is computed again."""
    first, _ = _generate(library)
    for path in (library / "cache" / "studies").rglob("*.pickle"):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    again, log = _generate(library)
    assert "0 entries reused" in log
    assert again.files == first.files == _fresh(library).files


def test_an_entry_copied_or_restored_under_another_key_is_not_served(library: Path) -> None:
    """Each entry holds the name it was stored under: the previous version's entry copied over the current one (a
    backup restored, a folder synced) is not read as the current one (an outside tester got a stale page so)."""
    _generate(library)
    visits = library / "studies" / "beta" / "visits.csv"
    before = visits.read_text(encoding="utf-8")
    old = {p.name.split("-")[0]: p.read_bytes() for p in (library / "cache" / "studies" / "beta").glob("*.pickle")}
    visits.write_text(before.replace("\n", "\n", 1) + "\n", encoding="utf-8")  # one more line break: a new key
    changed, _ = _generate(library)
    for path in (library / "cache" / "studies" / "beta").glob("*.pickle"):
        path.write_bytes(old[path.name.split("-")[0]])  # the previous entries, under the current names
    again, log = _generate(library)
    assert "4 entries reused, 4 computed (beta)" in log
    assert again.files == changed.files


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


def test_a_cached_study_is_not_parsed_and_any_file_reading_may_read_is_part_of_its_key(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every file as the cached study's, the folder is not parsed at all; a table of the other kind added
    (which reading reports), or a file replaced by a link, is read again and refused as a build from scratch is."""
    from evidence_site import load, pipeline
    from evidence_site.errors import BuildError

    data = paths.DATA
    first = pipeline.load_studies(library / "studies", data, cache=library / "cache")
    reads: list[str] = []
    real = load.read_study
    monkeypatch.setattr(pipeline, "read_study", lambda folder: reads.append(folder.name) or real(folder))
    again = pipeline.load_studies(library / "studies", data, cache=library / "cache")
    assert reads == [] and [s.fingerprint for s in again] == [s.fingerprint for s in first]
    results = library / "studies" / "beta" / "results.csv"
    results.write_text("outcome\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"results\.csv"):
        pipeline.load_studies(library / "studies", data, cache=library / "cache")
    assert reads == ["beta"]
    results.unlink()
    events = library / "studies" / "alpha" / "events.csv"
    events.rename(library / "events.csv")
    events.symlink_to(library / "events.csv")
    with pytest.raises(BuildError, match="link"):
        pipeline.load_studies(library / "studies", data, cache=library / "cache")


def test_a_file_saved_while_its_study_is_read_is_never_cached_under_the_older_bytes(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is looked up with the files' bytes before the folder is read; a file saved in between is read
    and validated as saved, and filed under the bytes read: put back as it was, it is read again."""
    from evidence_site import load, pipeline

    data = paths.DATA
    visits = library / "studies" / "beta" / "visits.csv"
    before = visits.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    col = lines[0].split(",").index("crp_mg_l")
    row = next(i for i in range(1, len(lines)) if lines[i].split(",")[col])
    cells = lines[row].split(",")
    cells[col] = "98.7"
    edited = "".join([*lines[:row], ",".join(cells), *lines[row + 1:]])
    real = load.read_study
    reads: list[str] = []

    def saved_meanwhile(folder: Path) -> object:
        reads.append(folder.name)
        if folder.name == "beta" and len(reads) <= 2:
            visits.write_text(edited, encoding="utf-8")  # saved after the lookup, before the reading
        return real(folder)

    monkeypatch.setattr(pipeline, "read_study", saved_meanwhile)
    first = {s.id: s for s in pipeline.load_studies(library / "studies", data, cache=library / "cache")}
    assert 98.7 in set(first["beta"].visits["crp_mg_l"])  # what was read
    visits.write_text(before, encoding="utf-8")  # the older bytes again
    reads.clear()
    monkeypatch.setattr(pipeline, "read_study", lambda folder: reads.append(folder.name) or real(folder))
    again = {s.id: s for s in pipeline.load_studies(library / "studies", data, cache=library / "cache")}
    assert reads == ["beta"]  # not served the edited study's tables under the older bytes' key
    assert 98.7 not in set(again["beta"].visits["crp_mg_l"])


# --- pruning after a successful build -----------------------------------------------------------------------

def _build(library: Path, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[str]:
    """build_site on ``library`` with the engine step stubbed (or failing): the lines it printed."""
    from evidence_site import pipeline
    from evidence_site.errors import BuildError

    def engine(output: object, *_args: object, checks: object = None, **_kwargs: object) -> object:
        if fail:
            raise BuildError("the engine failed")
        if checks is not None:  # as write_output: the reading gates finished before anything is put in place
            checks.result()  # type: ignore[attr-defined]
        return output

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
    # each study's validated tables and what the pages need of it, values, view, figures and downloads
    assert {e.split("/")[0] for e in first} == {"alpha", "beta"} and len(first) == 12
    assert "cache: pruned 0 unused entries (0.0 KB)" in lines
    stray = library / "build" / "cache" / "studies" / "alpha" / "charts-0123456789abcdef.pickle"  # a kind gone
    stray.write_bytes(b"an entry that an older version of the code stored")
    shutil.rmtree(library / "studies" / "beta")  # a study removed from the library
    _change_one_value(library / "studies" / "alpha" / "visits.csv", "98.7")  # and a changed input
    lines = _build(library, monkeypatch)
    now = _entries(library)
    assert {e.split("/")[0] for e in now} == {"alpha"} and len(now) == 6  # the current entries are kept
    assert not (library / "build" / "cache" / "studies" / "beta").exists()
    assert not stray.exists() and not now & first  # every entry of the earlier inputs is gone
    pruned = next(line for line in lines if line.startswith("cache: pruned"))
    assert pruned.startswith("cache: pruned 7 unused entries (")
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


# --- chart SVGs cached by content (svg_cache.py) -----------------------------------------------------------------

def _set_cell(table: Path, patient: str, week: str, column: str, value: str) -> None:
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\n").split(",")
        if cells[header.index("patient_id")] == patient and cells[header.index("week")] == week:
            cells[header.index(column)] = value
            lines[i] = ",".join(cells) + "\n"
            table.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"no row for {patient} at week {week} in {table}")


def _count_conversions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The spec of every chart vl-convert converts from now on (as sorted JSON); converted in this process, not
    the converter process, so that they can be counted here."""
    import json

    import vl_convert

    from evidence_site import svg_cache

    monkeypatch.setattr(svg_cache, "BACKGROUND", False)

    converted: list[str] = []
    original = vl_convert.vegalite_to_svg

    def converting(spec: dict, *args: object, **kwargs: object) -> str:
        converted.append(json.dumps(spec, sort_keys=True))
        return original(spec, *args, **kwargs)

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", converting)
    return converted


def _svgs(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.endswith(".svg")}


def test_after_a_one_value_change_only_the_charts_whose_data_changed_are_converted(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = _count_conversions(monkeypatch)
    first, log = _generate(library)
    assert converted and len(converted) == len(set(converted))  # alpha and beta are alike: one conversion a spec
    assert f"charts: {len(converted)} converted" in log
    converted.clear()
    _set_cell(library / "studies" / "beta" / "visits.csv", "P1", "52", "activity_score", "40")
    changed, log = _generate(library)
    redrawn = {k for k, svg in _svgs(changed.files).items() if _svgs(first.files).get(k) != svg}
    assert redrawn and all(k.split("/")[1] == "beta" for k in redrawn)  # the value is in some of beta's charts
    assert len(converted) == len(redrawn)  # those charts, and only those, are converted again
    assert f"charts: {len(converted)} converted" in log
    assert changed.files == _fresh(library).files


def test_a_changed_spec_or_vl_convert_version_is_never_served_an_old_svg(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vl_convert

    from evidence_site.cache import seal
    from evidence_site.svg_cache import SvgCache, spec_key

    spec = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    drawn = SvgCache(tmp_path).svg(spec)
    assert drawn == vl_convert.vegalite_to_svg(spec)
    (entry,) = (tmp_path / "svg").glob("*.svg")
    entry.write_text(drawn.replace("</svg>", "<!-- STALE --></svg>"), encoding="utf-8")  # not sealed: not read
    assert SvgCache(tmp_path).svg(spec) == drawn
    entry.write_bytes(seal((entry.name, drawn.replace("</svg>", "<!-- STALE --></svg>"))))  # poisoned, sealed
    assert "STALE" in SvgCache(tmp_path).svg(spec)  # the same spec: the entry is served (what the cache is for)
    other = {**spec, "mark": "tick"}
    SvgCache(tmp_path).svg(other)
    (other_entry,) = set((tmp_path / "svg").glob("*.svg")) - {entry}
    entry.write_bytes(other_entry.read_bytes())  # another chart's sealed entry copied over this one's: not served
    assert SvgCache(tmp_path).svg(spec) == drawn
    data = bytearray(entry.read_bytes())
    data[len(data) // 3] ^= 0x01  # a byte changed on disk: drawn again
    entry.write_bytes(bytes(data))
    assert SvgCache(tmp_path).svg(spec) == drawn
    changed = {**spec, "data": {"values": [{"x": 2}]}}  # one value in the chart's data
    assert SvgCache(tmp_path).svg(changed) == vl_convert.vegalite_to_svg(changed)
    monkeypatch.setattr(vl_convert, "__version__", "0.0.0-another")  # another vl-convert
    assert "STALE" not in SvgCache(tmp_path).svg(spec)
    assert spec_key(dict(reversed(spec.items())), "1") == spec_key(spec, "1")  # key order does not matter
    assert spec_key(spec, "1") != spec_key(changed, "1") and spec_key(spec, "1") != spec_key(spec, "2")


def test_pruning_keeps_the_svg_entries_of_charts_reused_with_their_study_and_removes_the_others(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def svg_entries() -> set[str]:
        return {p.name for p in (library / "build" / "cache" / "svg").glob("*.svg")}

    _build(library, monkeypatch)
    first = svg_entries()
    assert first
    stray = library / "build" / "cache" / "svg" / f"{'0' * 64}.svg"
    stray.write_text("<svg>an entry no chart uses</svg>", encoding="utf-8")
    _set_cell(library / "studies" / "alpha" / "visits.csv", "P1", "52", "activity_score", "40")
    _build(library, monkeypatch)  # beta's charts come from the per-study cache: their SVG entries are kept
    second = svg_entries()
    assert first < second and not stray.exists()
    converted = _count_conversions(monkeypatch)
    _set_cell(library / "studies" / "beta" / "visits.csv", "P1", "52", "activity_score", "40")
    lines = _build(library, monkeypatch)  # beta's charts are now alpha's: nothing to convert
    assert converted == [] and any("charts: 0 converted" in line for line in lines)
    assert svg_entries() < second  # the entries of the charts before the change are gone


def test_pruning_removes_the_compiled_templates_of_other_code_versions_only(
        library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(library, monkeypatch)
    jinja = library / "build" / "cache" / "jinja"
    (current,) = jinja.iterdir()
    assert list(current.glob("__jinja2_*.cache"))  # the templates this code compiled
    old = jinja / "0123456789abcdef"  # left by an earlier version of the code
    old.mkdir()
    (old / "__jinja2_0123.cache").write_bytes(b"compiled by older code")
    lines = _build(library, monkeypatch)
    assert not old.exists() and list(current.glob("__jinja2_*.cache"))
    assert "cache: pruned 1 unused entry (0.0 KB)" in lines


def test_charts_drawn_by_the_converter_process_are_the_bytes_drawn_here_and_are_cached_whole(library: Path) -> None:
    from evidence_site import svg_cache

    assert svg_cache.BACKGROUND
    drawn, _ = _generate(library)  # a build's cache: charts drawn in the converter process
    assert _svgs(drawn.files) and drawn.files == _fresh(library).files  # no cache: drawn in this process
    again, log = _generate(library)  # every study's figures from its cache entry (SVG text, not pending)
    assert "0 computed" in log and again.files == drawn.files


def test_templates_compiled_ahead_are_the_code_the_build_compiles_itself(library: Path) -> None:
    """jinja_env.precompile (run by a converter process while a cold build reads and summarises) leaves in the
    bytecode cache, for every page template, the very code the build's environment compiles from it: a template
    of a language folder with that language's environment, the others with the English one."""
    import marshal

    from evidence_site.jinja_env import environment, precompile

    templates, folder = library / "templates", library / "cache" / "jinja" / "ahead"
    names = list(environment(templates, library / "unused").list_templates(extensions=("j2",)))
    assert precompile(templates, folder) == len(names) > 40
    for name in names:
        lang = "es" if name.startswith("es/") else "en"
        env = environment(templates, folder, lang)
        source, filename, _ = env.loader.get_source(env, name)
        ahead = env.bytecode_cache.get_bucket(env, name, filename, source).code
        assert ahead is not None, name  # there: the build loads it and compiles nothing
        fresh = environment(templates, library / "cache" / "jinja" / "fresh", lang).compile(source, name, filename)
        assert marshal.dumps(marshal.loads(marshal.dumps(ahead))) == \
            marshal.dumps(marshal.loads(marshal.dumps(fresh))), name


def test_library_versions_are_those_importlib_metadata_gives() -> None:
    import importlib.metadata

    from evidence_site.cache import LIBRARIES, library_versions

    assert library_versions(LIBRARIES) == {name: importlib.metadata.version(name) for name in LIBRARIES}
    assert library_versions(("no-such-library-here",)) == {"no-such-library-here": "?"}


def test_a_chart_handed_over_after_the_converter_process_ended_is_drawn_here_and_the_build_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An outside tester killed the converter process mid-build: the next chart handed to it failed the build with
    a message blaming the data. Each chart is now drawn in the build process instead (the same SVG), and the
    build warns once that the converter ended."""
    from concurrent.futures.process import BrokenProcessPool

    import vl_convert

    from evidence_site import svg_cache

    class Ended:
        def submit(self, *args: object) -> None:
            raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(svg_cache, "BACKGROUND", True)
    monkeypatch.setattr(svg_cache, "_CONVERTER", Ended())
    monkeypatch.setattr(svg_cache, "_converter", lambda: Ended())
    cache = svg_cache.SvgCache(tmp_path)
    specs = [{"data": {"values": [{"x": i}]}, "mark": "point", "encoding": {"x": {"field": "x"}}} for i in (1, 2)]
    drawn = [cache.draw(spec, lambda svg: svg) for spec in specs]
    assert drawn == [vl_convert.vegalite_to_svg(spec) for spec in specs]
    assert capsys.readouterr().err.count("the chart converter process ended") == 1



def test_a_reading_grade_is_reused_only_for_the_same_page_text_words_and_code(tmp_path: Path) -> None:
    from evidence_site.cache import GradeCache
    from evidence_site.readability import gate

    def graded(pages: dict[str, str], base: str = "code-1", terms: tuple[str, ...] = ()) -> tuple[int, list]:
        cache = GradeCache(tmp_path, base, set())
        results = gate(pages, terms, memo=cache)
        cache.store()
        return cache.computed, [(r.url, r.grade, r.words) for r in results]

    pages = {"families/a/": "The children took one pill a day. Most felt better.",
             "families/b/": "Some had acne. A few had an infection that needed care from a doctor."}
    assert graded(pages)[0] == 2
    assert graded(pages) == (0, [(r.url, r.grade, r.words) for r in gate(pages, ())])
    changed = pages | {"families/b/": "Some had acne. A few had an infection too."}
    computed, results = graded(changed)
    assert computed == 1 and results == [(r.url, r.grade, r.words) for r in gate(changed, ())]
    assert graded(changed, base="code-2")[0] == 2  # new code (or templates, or libraries): every page again
    assert graded(changed, base="code-2", terms=("acne",))[0] == 2  # other stand-in words: graded again


def test_the_build_reads_reading_grades_from_the_cache_and_they_are_what_a_build_without_it_gives(
        library: Path) -> None:
    """A rebuild grades no family page again; the gate reads what is stored (a poisoned entry fails it); after a
    template change only the pages whose text changed are graded again, and the grades are those of a build
    without the cache."""
    from evidence_site.cache import seal, unseal
    from evidence_site.errors import BuildError
    from evidence_site.readability import PageGrade

    def build() -> list[str]:
        lines: list[str] = []
        studies = [load_study(f) for f in sorted((library / "studies").iterdir())]
        generate(studies, library / "templates", lines.append, site_inputs(), cache=library / "cache")
        return lines

    first = build()
    again = build()
    assert next(line for line in again if line.startswith("reading gates:")).startswith(
        "reading gates: 0 page(s) graded, "), again
    stored = library / "cache" / "grades" / "grades.pickle"
    grades = unseal(stored.read_bytes())
    assert grades and all(isinstance(g, PageGrade) for g in grades.values())
    stored.write_bytes(seal({k: PageGrade(g.url, 99.0, g.words, g.hardest) for k, g in grades.items()}))
    with pytest.raises(BuildError, match="grade 99"):
        build()
    stored.write_bytes(seal(grades))  # the true grades back (a template change keeps unchanged pages' keys)
    medicine = library / "templates" / "families" / "medicine.md.j2"
    medicine.write_text(medicine.read_text(encoding="utf-8") + "\nOne more short line.\n", encoding="utf-8")
    after = build()
    graded = next(line for line in after if line.startswith("reading gates:"))
    assert graded == f"reading gates: 2 page(s) graded, {len(grades) - 2} unchanged (cache)", graded  # 2 studies
    fresh: list[str] = []
    studies = [load_study(f) for f in sorted((library / "studies").iterdir())]
    generate(studies, library / "templates", fresh.append, site_inputs())
    assert [x for x in after if x.startswith("reading")][:-1] == [x for x in fresh if x.startswith("reading")][:-1]
    assert [x for x in first if x.startswith("reading level")] != []


@pytest.mark.parametrize("engine_fails", [False, True], ids=["engine-ok", "engine-failed-too"])
def test_a_page_too_hard_to_read_stops_the_build_though_the_engine_ran_beside_the_gate(
        library: Path, monkeypatch: pytest.MonkeyPatch, engine_fails: bool) -> None:
    """The reading gates grade while the engine builds (pipeline.generate(defer_gates=True)): a failed gate still
    stops the build before anything is put in place, and its message comes first when the engine failed too."""
    from evidence_site import pipeline, write
    from evidence_site.errors import BuildError

    config = library / "mkdocs.yml"
    config.write_text(paths.MKDOCS_YML.read_text(encoding="utf-8").replace(
        "family_reading_grade_max: 8", "family_reading_grade_max: 1"), encoding="utf-8")
    started: list[str] = []

    def engine(*_args: object, **_kwargs: object) -> None:
        started.append("engine")
        if engine_fails:
            raise BuildError("the engine failed")

    monkeypatch.setattr(write, "mkdocs_build", engine)
    (library / "docs").mkdir()
    (library / "docs" / "privacy.md").write_text("# Privacy\n", encoding="utf-8")  # in the menu: hand-written
    with pytest.raises(BuildError, match="Family pages must read at grade 1 or lower"):
        pipeline.build_site(library / "studies", paths.TEMPLATES, library / "docs", library / "site", config,
                            library / "build", lambda _: None, warn=lambda _: None)
    assert started == ["engine"]  # the gate was still grading when the engine started
    assert not (library / "site").exists()  # nothing was put in place
    assert [p.name for p in (library / "docs").iterdir()] == ["privacy.md"]


def test_a_huge_file_is_hashed_by_its_size_and_time_without_being_read(tmp_path: Path, monkeypatch) -> None:
    """A 100 GB sparse file in docs/ made the build run out of memory while hashing docs/ (outside tester)."""
    import builtins

    from evidence_site import cache

    big = tmp_path / "big.bin"
    big.touch()
    os.truncate(big, cache.HASHED_WHOLE_MAX + 1)  # sparse: no disk used
    real_open = builtins.open

    def guarded(path, *args, **kwargs):
        assert os.fspath(path) != str(big), "the huge file was read"
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    first = cache.tree_hash(tmp_path)
    os.utime(big, ns=(1, 2))
    assert cache.tree_hash(tmp_path) != first  # its time (or size) changed: another hash


def test_a_link_into_proc_is_hashed_without_reading_what_it_leads_to(tmp_path: Path) -> None:
    """/proc/self/pagemap is a 'plain file' that never ends: hashing what a link to it leads to never finished."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "pagemap.bin").symlink_to("/proc/self/pagemap")
    code = ("from pathlib import Path; from evidence_site.cache import tree_hash; "
            f"print(tree_hash(Path({str(tmp_path / 'docs')!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20,
                          env=os.environ | {"PYTHONPATH": str(paths.ROOT / "scripts")})
    assert done.returncode == 0 and len(done.stdout.strip()) == 64, done.stderr


def test_a_study_found_in_the_cache_is_read_only_if_a_step_needs_its_tables(library: Path) -> None:
    """``read_studies(lazy=True)``: a study whose files, shared data and code are those of an earlier build comes
    with what the pages need at once and its tables on demand, the same as reading the folder (and read from the
    folder again when their cache entry is damaged); a study whose files changed is read and checked."""
    from evidence_site.pipeline import read_studies
    from evidence_site.validate import OnDemand, Study, study_info

    cache = library / "cache"
    first = {s.id: s for s in read_studies(library / "studies", paths.DATA, cache, lazy=True)}
    assert all(isinstance(s, Study) for s in first.values())  # nothing in the cache yet
    again = {s.id: s for s in read_studies(library / "studies", paths.DATA, cache, lazy=True)}
    assert all(isinstance(s, OnDemand) for s in again.values())
    assert all(study_info(again[i]) == study_info(first[i]) for i in first)
    assert again["alpha"].study().visits.equals(first["alpha"].visits)
    for entry in (cache / "studies" / "beta").glob("validated-*.pickle"):
        entry.write_bytes(entry.read_bytes()[:-1] + b"!")  # damaged: never served
    assert again["beta"].study().patients.equals(first["beta"].patients)
    visits = library / "studies" / "beta" / "visits.csv"
    visits.write_bytes(visits.read_bytes() + b"\n")
    changed = {s.id: s for s in read_studies(library / "studies", paths.DATA, cache, lazy=True)}
    assert isinstance(changed["alpha"], OnDemand) and isinstance(changed["beta"], Study)
    assert changed["beta"].fingerprint != first["beta"].fingerprint


def test_a_compiled_template_changed_on_disk_or_copied_from_another_is_compiled_again(tmp_path: Path) -> None:
    """Jinja's compiled templates are sealed (bytecode.py): a byte changed in one, or another template's file
    copied over it, is never run (an outside tester's flipped byte printed "Writfen by" on 55 pages)."""
    from evidence_site.jinja_env import environment

    templates, cache = tmp_path / "templates", tmp_path / "jinja"
    templates.mkdir()
    (templates / "a.md.j2").write_text("Written by {{ who }}.\n", encoding="utf-8")
    (templates / "b.md.j2").write_text("Checked by {{ who }}.\n", encoding="utf-8")
    for name in ("a.md.j2", "b.md.j2"):
        environment(templates, cache).get_template(name).render(who="us")
    files = {p.name: p for p in cache.glob("__jinja2_*.cache")}
    assert len(files) == 2
    first, second = sorted(files.values(), key=lambda p: p.stat().st_mtime_ns)
    data = first.read_bytes()
    assert b"Written by" in data
    first.write_bytes(data.replace(b"Written by", b"Writfen by"))
    assert environment(templates, cache).get_template("a.md.j2").render(who="us") == "Written by us.\n"
    first.write_bytes(second.read_bytes())  # b's compiled code under a's name
    assert environment(templates, cache).get_template("a.md.j2").render(who="us") == "Written by us.\n"
