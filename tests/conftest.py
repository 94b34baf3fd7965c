"""Shared test fixtures: the tiny fixture studies and a helper to build a study folder with one fault."""

from __future__ import annotations

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


def faulty_study(fault: str, tmp_path: Path) -> Path:
    """The minimal study with the files of ``tests/fixtures/bad/<fault>/`` laid over it (fault.yml excluded).

    A file named ``<name>.delete`` removes ``<name>`` instead.
    """
    folder = tmp_path / "studies" / fault
    shutil.copytree(MINIMAL, folder)
    for f in (BAD / fault).iterdir():
        if f.name == "fault.yml":
            continue
        if f.suffix == ".delete":
            (folder / f.stem).unlink()
        else:
            shutil.copy(f, folder / f.name)
    return folder
