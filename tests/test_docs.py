"""The documentation cannot drift from the code: the Data format page covers the whole contract."""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import FIXTURES
from evidence_site import paths, typed, validate
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.schema import TABLES
from evidence_site.spec import RULES, AggregateSpec, Medicine, StudySpec, Vocabulary
from evidence_site.summarise import published


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


@pytest.mark.parametrize("declaration", [StudySpec, Medicine, Vocabulary])
def test_data_format_page_lists_every_field_nested_ones_included(data_format_page: str, declaration) -> None:
    for field in typed.describe(declaration):
        assert f"| `{field.path}` |" in data_format_page, field.path


def test_every_rule_named_in_a_declaration_is_documented_and_checked(data_format_page: str) -> None:
    named = {rule for cls in (StudySpec, AggregateSpec, Medicine, Vocabulary) for f in typed.describe(cls)
             for rule in f.rules}
    assert named == set(RULES), named ^ set(RULES)
    checks = inspect.getsource(validate) + inspect.getsource(published)
    for rule, text in RULES.items():
        assert f"**{rule}**" in data_format_page and text.split(" (")[0] in data_format_page, rule
        assert re.search(rf"rule: {rule}\b", checks), f"no check is marked 'rule: {rule}'"


def test_every_cross_table_rule_is_on_the_page(data_format_page: str) -> None:
    for rule in validate.CROSS_TABLE_RULES:
        assert rule.split("`")[0][:40] in data_format_page


def test_every_aggregate_rule_is_on_the_page(data_format_page: str) -> None:
    for rule in validate.AGGREGATE_RULES:
        assert rule in data_format_page, rule


def test_readme_shows_the_two_commands() -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert "make site" in readme and "make test" in readme


def test_makefile_help_lists_every_target() -> None:
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    phony = [t for line in makefile.splitlines() if line.startswith(".PHONY:") for t in line.split(":")[1].split()]
    for target in phony:
        assert any(re.match(rf"{re.escape(target)}:", line) and "## " in line for line in makefile.splitlines()), \
            target
