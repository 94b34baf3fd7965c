"""Published headline figures beside the values this build computed (pure)."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from ..errors import DataError, Problem
from ..fmt import number, round_half_up
from ..numbers import Value
from ..spec import Certainty, Citation, Published


def agrees(value: Value, published: str, precision: str) -> bool:
    """Whether the recomputed value, rounded as the published figure was, equals it."""
    if not value.estimable:
        return False
    x = value.value
    if precision == "integer":
        return number(x) == published.strip()
    if precision == "1dp":
        return number(x, 1) == published.strip()
    if precision == "percent":
        pct = re.search(r"(\d+(?:\.\d+)?)\s*%", published)
        digits = len(pct.group(1).partition(".")[2]) if pct else 0  # as many decimals as the source printed
        ok = pct is not None and round_half_up(x * 100, digits) == float(pct.group(1))
        counts = re.search(r"(\d+)\s+of\s+(\d+)", published)
        if counts:
            ok = ok and (value.numerator, value.denominator) == (int(counts.group(1)), int(counts.group(2)))
        return ok
    if precision == "just_over_half":
        return 0.5 < x < 0.6
    raise ValueError(f"unknown precision {precision!r}")


def attach_published(study_id: str, values: dict[str, Value], published: list[Published],
                     citations: dict[str, Citation]) -> dict[str, Value]:
    """Return ``values`` with each published figure attached to the value of the same short id.

    rule: published_id_computed"""
    out = dict(values)
    problems = []
    for i, entry in enumerate(published):
        if entry.id not in out:
            close = difflib.get_close_matches(entry.id, list(out), n=3, cutoff=0.5)
            problems.append(Problem(
                "study.yml", "The published figure names no computed value.", column=f"published[{i}].id",
                expected="the id of a computed value (without the study prefix)", found=repr(entry.id),
                hint=("Did you mean " + " or ".join(map(repr, close)) + "? " if close else "")
                + "site/numbers.json of a build lists every id."))
            continue
        v = out[entry.id]
        out[entry.id] = replace(
            v, published_value=entry.value, published_precision=entry.precision,
            source=" ".join(citations[entry.source].text.split()),
            agrees_with_published=agrees(v, entry.value, entry.precision))
    if problems:
        raise DataError(study_id, problems)
    return out


def check_certainty(study_id: str, certainty: Certainty | None, values: dict[str, Value]) -> None:
    """Every value a certainty row names (``value`` and ``also``) must be computed; list those that are not.

    rule: certainty_value_computed"""
    problems = []
    for i, row in enumerate(certainty.outcomes if certainty else []):
        for name, short in (("value", row.value), ("also", row.also)):
            if short is not None and short not in values:
                close = difflib.get_close_matches(short, list(values), n=3, cutoff=0.5)
                problems.append(Problem(
                    "study.yml", "The certainty row names no computed value.", column=f"certainty.outcomes[{i}].{name}",
                    expected="the id of a computed value (without the study prefix)", found=repr(short),
                    hint=("Did you mean " + " or ".join(map(repr, close)) + "? " if close else "")
                    + "site/numbers.json of a build lists every id."))
    if problems:
        raise DataError(study_id, problems)
