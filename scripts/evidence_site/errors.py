"""The few named exceptions of the generator, each saying who raises it."""

from __future__ import annotations

from dataclasses import dataclass

from .escape import CONTROL

SHOWN = 5  # a run of problems of one kind is shown this far, then counted (see summarise)


def printable(text: object, limit: int = 500) -> str:
    """Text safe to print to a terminal or a CI log: control characters shown as escapes, and at most ``limit``."""
    text = CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    counts: int = 1  # how many problems this one stands for (a line counting the rest of a kind: that many)

    def __str__(self) -> str:
        where = printable(self.file, 120)
        yaml_file = self.file.endswith((".yml", ".yaml"))  # a YAML file has lines and fields, a table rows and columns
        if self.row is not None:
            where += f", {'line' if yaml_file else 'row'} {self.row}"
        if self.column:
            where += f", {'field' if yaml_file else 'column'} {printable(self.column, 120)!r}"
        text = f"{where}: {printable(self.message)}"
        if self.expected:
            text += f"\n    expected: {printable(self.expected)}"
        if self.found:
            text += f"\n    found:    {printable(self.found)}"
        if self.hint:
            text += f"\n    hint:     {printable(self.hint)}"
        return text


def summarise(problems: list[Problem], noun: str, shown: int = SHOWN, total: int | None = None) -> list[Problem]:
    """The first ``shown`` problems of one kind, then one line counting the rest ("and 19,990 more <noun>").

    ``total``: how many problems of this kind there are, when only the first were made (each may cost a search
    for the nearest known name: 20,000 of them cost minutes, and only ``shown`` are printed)."""
    total = len(problems) if total is None else total
    return problems[:shown] + rest_counted(total, noun, problems[:shown], shown)


def rest_counted(total: int, noun: str, like: list[Problem], shown: int = SHOWN) -> list[Problem]:
    """After the problems of the first ``shown`` of ``total`` rows of one kind (``like``: those problems), one line
    counting the rest; nothing when there is no rest. A check that finds 2,000 bad rows says so. The line names a
    column, and what was expected, only when every problem above shares it (five unknown columns have five names)."""
    if total <= shown or not like:
        return []
    first, rest = like[0], total - shown
    column = first.column if all(p.column == first.column for p in like) else None
    expected = first.expected if all(p.expected == first.expected for p in like) else "as for the ones above"
    return [Problem(
        first.file, f"... and {rest:,} more {noun}.", column=column, expected=expected,
        found=f"{rest:,} more like the ones above",
        hint="Fix the ones above (often one cause explains them all), then validate again to see the rest.",
        counts=rest)]


class BuildError(Exception):
    """Base class: the build stopped and wrote nothing."""


class DataError(BuildError):
    """Raised by load and validate: the study's files break the data contract. Lists every problem at once."""

    def __init__(self, study: str, problems: list[Problem], where: str = "") -> None:
        self.study = study
        self.problems = problems
        total = sum(p.counts for p in problems)
        lines = [f"{where or f'Study {printable(study, 100)!r}'}: {total:,} problem(s) in the data. Nothing was "
                 "written."]
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
