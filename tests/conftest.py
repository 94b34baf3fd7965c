"""Shared test fixtures: the tiny fixture studies and a helper to build a study folder with one fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence_site.load import read_study
from evidence_site.validate import Study, validate

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "studies" / "minimal"
BAD = FIXTURES / "bad"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current output (review the diff before committing)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def minimal() -> Study:
    return validate(read_study(MINIMAL))


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
