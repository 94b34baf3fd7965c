"""Shared test fixtures: the tiny fixture studies and a helper to build a study folder with one fault."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evidence_site import paths
from evidence_site.load import read_shared, read_study
from evidence_site.validate import Shared, Study, validate, validate_shared

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "studies" / "minimal"
BAD = FIXTURES / "bad"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current output (review the diff before committing)")


# The longest tests of a run (from `pytest --durations`), started first so that the two test processes of
# `make test` finish together instead of one running a long test alone at the end. pytest-xdist (--dist
# loadgroup) hands out the groups of several tests first (largest first), then single tests in this order.
# A test whose module has an expensive module-scoped fixture is not listed: moved away from its module, it would
# set the fixture up twice (such modules are one xdist_group instead, which keeps their tests together).
LONG_FIRST = (
    "tests/test_site_gates.py::test_every_gate_passes_on_every_page",
    "tests/test_serve.py::"
    "test_after_a_changed_value_a_new_study_and_a_changed_template_the_preview_equals_a_fresh_one",
    "tests/test_properties.py::test_small_cells_are_withheld_in_any_valid_cohort",
    "tests/test_stats.py::test_wilcoxon_matches_scipy_default[zeros-13]",
    "tests/test_stats.py::test_wilcoxon_matches_scipy_default[ties-13]",
    "tests/test_diff.py::test_make_diff_head_1_after_changing_a_fixture_study",
    "tests/test_properties.py::test_summaries_of_any_valid_cohort_are_within_bounds",
    "tests/test_hostile_properties.py::test_any_free_text_is_published_inert",
    "tests/test_cache.py::test_no_change_recomputes_nothing_and_one_study_change_only_that_study",
    "tests/test_many_studies.py::test_index_pages_list_real_studies_first_and_a_few_made_up_ones_each_marked_once",
    "tests/test_cache.py::test_a_changed_code_version_is_never_served_an_old_entry",
    "tests/test_hostile_properties.py::test_any_free_text_of_an_aggregate_study_is_published_inert",
    "tests/test_site_gates.py::test_a_broken_page_still_fails_every_gate_it_breaks",
    "tests/test_bench.py::test_quick_benchmark_runs_the_real_command",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the longest tests first (``LONG_FIRST``); every other test keeps its place."""
    rank = {nodeid: i for i, nodeid in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid, len(LONG_FIRST)))  # stable: the others keep their order


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def shared_data() -> Shared:
    """The project's vocabulary and medicines (data/vocab, data/medicines)."""
    return validate_shared(read_shared(paths.DATA))


def load_study(folder: Path) -> Study:
    """Read and validate one study folder against the project's shared data (and the medicine files of its
    library, ``<library>/medicines/``, for the fixture studies)."""
    return validate(read_study(folder), validate_shared(read_shared(paths.DATA, folder.parent.parent / "medicines")))


@pytest.fixture(scope="session")
def minimal() -> Study:
    return load_study(MINIMAL)


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (fcntl, so POSIX only; elsewhere nothing is shared)."""
    import fcntl

    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """``make(root)`` once per test run, into a fresh temporary root that the tests then only read.

    Under pytest-xdist (``make test`` runs two processes) the first process to ask builds into the run's shared
    temporary folder while the other waits, then both read the same build: one build per run instead of one per
    process. A build that failed is tried again by the next process that asks (and fails the same way).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER") or os.name != "posix":
        root = tmp_path_factory.mktemp(name)
        make(root)
        return root
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, above each process's popen-gw<N>/
    root, done = shared / name, shared / f"{name}.done"
    with _exclusive(shared / f"{name}.lock"):
        if not done.is_file():
            if root.exists():
                shutil.rmtree(root)  # the remains of a failed attempt
            root.mkdir()
            make(root)
            done.touch()
    return root


def _build_demo(root: Path) -> None:
    from evidence_site.pipeline import build_site

    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    lines: list[str] = []
    build_site(paths.STUDIES, paths.TEMPLATES, root / "docs", root / "site", paths.MKDOCS_YML, root / "build",
               progress=lines.append, warn=lambda _: None)
    (root / "progress.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration site built once per test run into a temporary root (docs/, site/, build/), shared by
    the test processes (``built_once_per_run``): tests read it and never change it.

    The build's progress lines (reading levels among them) are kept in ``progress.txt`` beside them.
    """
    return built_once_per_run(tmp_path_factory, "demo", _build_demo)


@pytest.fixture(scope="session")
def zensical_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration site built with Zensical (the second engine) once per session, like ``demo_build``.

    Skips when Zensical is not installed (`make zensical`); with ``CI`` set it fails instead (.ci/run installs it).
    """
    from evidence_site import engines
    from evidence_site.errors import BuildError
    from evidence_site.pipeline import build_site

    try:
        engines.zensical_executable()
    except BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"ZENSICAL NOT INSTALLED under CI: {exc}")
        pytest.skip(f"Zensical not installed (make zensical): {exc}")
    root = tmp_path_factory.mktemp("zensical")
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    build_site(paths.STUDIES, paths.TEMPLATES, root / "docs", root / "site", paths.MKDOCS_YML, root / "build",
               progress=lambda _: None, warn=lambda _: None, engine="zensical")
    return root


def faulty_study(fault: str, tmp_path: Path) -> Path:
    """The minimal study with the files of ``tests/fixtures/bad/<fault>/`` laid over it (fault.yml excluded).

    A file named ``<name>.delete`` removes ``<name>`` instead; files under ``data/`` go beside the studies
    folder (``releases.yml``, ``redirects.yml``). ``fault.yml`` may also say (applied in this order):

    - ``study_id``: the study folder's name (default: the fault's name);
    - ``study_set``: ``{dotted.path: value}`` set in study.yml (``citations.x.url``; a list index is a number);
    - ``replace``: ``[{file, old, new, count}]`` text replacements in the study's files (``count`` 0: all);
    - ``generate``: ``[{file, kind, ...}]`` files too large or too odd to commit (see :data:`GENERATORS`);
    - ``make``: ``[{symlink: name, to: target}]``, ``[{directory: name}]`` or ``[{fifo: name}]``, replacing a file.
    """
    import yaml

    spec_file = BAD / fault / "fault.yml"
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) if spec_file.is_file() else {}
    folder = tmp_path / "studies" / str(spec.get("study_id", fault))
    shutil.copytree(MINIMAL, folder)
    for f in (BAD / fault).iterdir():
        if f.name == "fault.yml":
            continue
        if f.is_dir() and f.name == "data":
            for g in f.iterdir():
                shutil.copy(g, tmp_path / g.name)
        elif f.suffix == ".delete":
            (folder / f.stem).unlink()
        else:
            shutil.copy(f, folder / f.name)
    if spec.get("study_set"):
        meta_file = folder / "study.yml"
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
        for path, value in spec["study_set"].items():
            *parents, last = [int(k) if k.isdigit() else k for k in str(path).split(".")]
            node = meta
            for key in parents:
                node = node[key]
            node[last] = value
        meta_file.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for r in spec.get("replace", []):
        target = folder / r["file"]
        text = target.read_text(encoding="utf-8")
        assert r["old"] in text, f"{fault}: {r['old']!r} not in {r['file']}"
        target.write_text(text.replace(r["old"], r["new"], r.get("count", 1) or -1), encoding="utf-8")
    for g in spec.get("generate", []):
        (folder / g["file"]).write_bytes(GENERATORS[g["kind"]](folder / g["file"], g))
    for m in spec.get("make", []):
        name = m.get("symlink") or m.get("directory") or m.get("fifo")
        target = folder / name
        if target.exists() or target.is_symlink():
            target.unlink()
        if "symlink" in m:
            target.symlink_to(m["to"])
        elif "directory" in m:
            target.mkdir()
            (target / "patients.csv").write_text("inside a folder\n", encoding="utf-8")
        else:
            os.mkfifo(target)
    return folder


def _wide_header(path: Path, g: dict) -> bytes:
    """``columns`` extra columns headed ``name`` (``{i}``: the column's number), empty in every row, after the
    file's own columns or, with ``first: true``, before them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [g.get("name", "extra_{i}").format(i=i) for i in range(g.get("columns", 20000))]
    blank = [""] * len(extra)
    if g.get("first"):
        rows = [",".join([*extra, lines[0]])] + [",".join([*blank, line]) for line in lines[1:]]
    else:
        rows = [",".join([lines[0], *extra])] + [",".join([line, *blank]) for line in lines[1:]]
    return ("\n".join(rows) + "\n").encode("utf-8")


def _long_cell(path: Path, g: dict) -> bytes:
    text = path.read_text(encoding="utf-8").splitlines()
    text[1] = text[1] + "x" * g.get("chars", 300_000) if text[1].endswith(",") else text[1]
    return ("\n".join(text) + "\n").encode("utf-8")


def _deep_yaml(path: Path, g: dict) -> bytes:
    depth = g.get("depth", 5000)
    return path.read_bytes() + b"\nextra: " + b"[" * depth + b"]" * depth + b"\n"


def _big_yaml(path: Path, g: dict) -> bytes:
    return path.read_bytes() + b"\n# " + b"x" * g.get("bytes", 2_000_000) + b"\n"


def _utf16(path: Path, g: dict) -> bytes:
    return path.read_text(encoding="utf-8").encode("utf-16")


def _zip(path: Path, g: dict) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>\x07\x1b[31m")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def _xls(path: Path, g: dict) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8


def _delimited(path: Path, g: dict) -> bytes:
    text = path.read_text(encoding="utf-8")
    sep = g["sep"]
    if sep == ";":
        text = "\n".join(line.replace(",", ";") for line in text.splitlines()) + "\n"
    else:
        text = text.replace(",", sep)
    return text.encode("utf-8")


GENERATORS = {"wide_header": _wide_header, "long_cell": _long_cell, "deep_yaml": _deep_yaml, "big_yaml": _big_yaml,
              "utf16": _utf16, "xlsx": _zip, "xls": _xls, "delimited": _delimited}
