"""The few named exceptions of the generator, each saying who raises it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as possible."""

    file: str
    message: str
    expected: str = ""
    found: str = ""
    hint: str = ""
    row: int | None = None  # 1-based line number in the file, the header being line 1
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f"\n    expected: {self.expected}"
        if self.found:
            text += f"\n    found:    {self.found}"
        if self.hint:
            text += f"\n    hint:     {self.hint}"
        return text


class BuildError(Exception):
    """Base class: the build stopped and wrote nothing."""


class DataError(BuildError):
    """Raised by load and validate: the study's files break the data contract. Lists every problem at once."""

    def __init__(self, study: str, problems: list[Problem], where: str = "") -> None:
        self.study = study
        self.problems = problems
        lines = [f"{where or f'Study {study!r}'}: {len(problems)} problem(s) in the data. Nothing was written."]
        lines += [f"{i}. {p}" for i, p in enumerate(problems, 1)]
        super().__init__("\n".join(lines))


class TemplateError(BuildError):
    """Raised by render: a template failed, e.g. it used a value that does not exist."""

    HINT = ("Check the name against the values of the last good build (site/numbers.json, without the study "
            "prefix) and the template's variables; `python scripts/build.py pages` reproduces this quickly.")

    def __str__(self) -> str:
        text = super().__str__()
        if "hint:" not in text:
            text += f" Nothing was written.\n    hint:     {self.HINT}"
        return text
