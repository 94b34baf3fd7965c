"""YAML is read through libyaml's events where PyYAML has them (load._FastLoader) and read again by the pure-Python
loader when that fails: the values, the numbers as written and every problem are what the pure-Python loader
alone gives, for the project's own files and for any text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from evidence_site import load, paths

ROOT = paths.DATA.parent
FILES = sorted(p for folder in (paths.DATA, ROOT / "tests" / "fixtures") for p in folder.rglob("*.yml"))
# Pieces that steer a YAML reader down its different paths: indentation, flow collections, quotes and escapes,
# anchors and aliases, tags, block scalars, comments, documents, merge keys, the line breaks PyYAML counts
# (NEL, U+2028), tabs and numbers in the forms YAML 1.1 resolves.
PIECES = ["key: ", "k2: ", "- ", "  ", "    ", "\n", "\r\n", "'", '"', "''", "[", "]", "{", "}", ", ", ":", " #c",
          "&a ", "*a", "<<: *a", "? ", "|\n  ", ">-\n  ", "!!str ", "!!python/object:os.system ", "!x ", "0x1F",
          "1e3", "1_000", "0o17", "yes", "No", "~", "null", ".inf", "\t", "\\", "\\n", "é", "\u2028", "\x85",
          "---\n", "...\n", "%YAML 1.1\n", "\r", "text", "2026-11-28", "12:30:00", "=", "@", "`"]
TEXTS = st.one_of(st.lists(st.sampled_from(PIECES), max_size=30).map("".join), st.text(max_size=60))


def read(text: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[str], dict[str, str]]:
    """``load._parsed_yaml`` with the libyaml path on or off: the data, the problems as printed, the written texts."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(load, "_FastLoader", None)
        data, problems, written = load._parsed_yaml(text.encode("utf-8", "surrogatepass"), "study.yml")
    return data, [str(p) for p in problems], written


def test_libyaml_is_there_so_the_fast_path_is_the_one_tested() -> None:
    assert load._FastLoader is not None, "PyYAML without libyaml: pip install the pinned PyYAML wheel"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_project_reads_as_the_pure_python_loader_reads_it(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_bytes().decode("utf-8", "replace")
    assert read(text, True, monkeypatch) == read(text, False, monkeypatch)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
@example(text="a: 1\na: 2\n")  # a repeated key
@example(text="a: " + "[" * 60 + "]" * 60)  # nested too deeply
@example(text="a: &x [1, 2]\nb: [*x, *x, *x]\n")  # aliases
@example(text="a: 'open\nb: 2\n")  # a quote never closed
@example(text="a: !!python/object:os.system x\n")  # a tag
@example(text="a: 1\n---\nb: 2\n")  # two documents
@example(text="a: b\u2028c: d\n")  # a line break only PyYAML counts
def test_any_text_reads_as_the_pure_python_loader_reads_it(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert read(text, True, monkeypatch) == read(text, False, monkeypatch)
