"""The documentation cannot drift from the code: the Data format page covers the whole schema."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from evidence_site import paths
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.schema import STUDY_FIELDS, TABLES


@pytest.fixture(scope="module")
def data_format_page() -> str:
    generated = generate(load_studies(FIXTURES / "studies"), paths.TEMPLATES,
                    site=site_inputs(paths.MKDOCS_YML, FIXTURES))
    return generated.files["reference/data-format.md"].decode("utf-8")


def test_data_format_page_lists_every_column_with_its_rule(data_format_page: str) -> None:
    for table in TABLES:
        assert f"## `{table.file}`" in data_format_page
        section = data_format_page.split(f"## `{table.file}`", 1)[1].split("\n## ", 1)[0]
        for column in table.columns:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{column.name}` |"))
            assert column.expected in row, f"{table.file}: {column.name}"


def test_data_format_page_lists_every_study_field(data_format_page: str) -> None:
    for field in STUDY_FIELDS:
        assert f"| `{field.name}` |" in data_format_page


def test_readme_shows_the_two_commands() -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert "make site" in readme and "make test" in readme


def test_makefile_help_lists_every_target() -> None:
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:")).split(":")[1].split()
    for target in phony:
        assert any(line.startswith(f"{target}:") and "## " in line for line in makefile.splitlines()), target
