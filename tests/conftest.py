"""Shared test fixtures: the tiny fixture studies and a helper to build a study folder with one fault."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration site built once per test session into a temporary root (docs/, site/, build/).

    The build's progress lines (reading levels among them) are kept in ``progress.txt`` beside them.
    """
    from evidence_site.pipeline import build_site

    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    lines: list[str] = []
    build_site(paths.STUDIES, paths.TEMPLATES, root / "docs", root / "site", paths.MKDOCS_YML, root / "build",
               progress=lines.append, warn=lambda _: None)
    (root / "progress.txt").write_text("\n".join(lines), encoding="utf-8")
    return root


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
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [f"extra_{i}" for i in range(g.get("columns", 20000))]
    return ("\n".join([",".join([lines[0], *extra])] + [",".join([line, *[""] * len(extra)]) for line in lines[1:]])
            + "\n").encode("utf-8")


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
