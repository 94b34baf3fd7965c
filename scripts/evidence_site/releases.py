"""The release log ``data/releases.yml``, from which templates/reference/changes.md.j2 makes the "Changes" page.

The log is written by hand and reviewed like any data change: one entry per published release, with
the date it went out, the data fingerprint the site showed, and one line on what moved (start from
``scripts/numbers_diff.py --release-summary``). It answers a parent who asks why a handout differs
from the site today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError, Problem
from .load import load_data_yaml


@dataclass(frozen=True)
class Release:
    """One published release of the site."""

    date: dt.date
    fingerprint: str
    summary: str


def _entry_problems(i: int, entry: Any) -> list[Problem]:
    where = f"releases.yml, release {i}"
    if not isinstance(entry, Mapping):
        return [Problem(where, "A release must be a mapping.", expected="date:, fingerprint:, summary:",
                        found=type(entry).__name__)]
    problems = []
    date = entry.get("date")
    if isinstance(date, str):
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            problems.append(Problem(where, "The date is not a date.", column="date", expected="YYYY-MM-DD",
                                    found=repr(date)))
    elif not isinstance(date, dt.date):
        problems.append(Problem(where, "The date is missing or not a date.", column="date", expected="YYYY-MM-DD",
                                found=repr(date)))
    for key in ("fingerprint", "summary"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, f"The {key} is missing or empty.", column=key, expected="text",
                                    found=repr(value), hint="scripts/numbers_diff.py --release-summary prints both."))
        elif key == "fingerprint" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ;._-]{0,199}", value.strip()):
            problems.append(Problem(where, "The fingerprint is not one the site prints.", column=key,
                                    expected="the code printed at the foot of every page (e.g. 3f9a2c1d0b7e)",
                                    found=repr(value)[:60], hint="Copy it from numbers.json (`fingerprint`)."))
        elif "\n" in value.strip():
            problems.append(Problem(where, f"The {key} must be one line.", column=key, expected="one line",
                                    found=f"{len(value.strip().splitlines())} lines"))
    unknown = sorted(set(entry) - {"date", "fingerprint", "summary"})
    if unknown:
        problems.append(Problem(where, "Unknown field(s).", expected="date, fingerprint, summary",
                                found=", ".join(map(str, unknown))))
    return problems


def parse_releases(loaded: Any) -> list[Release]:
    """Check the loaded YAML (``{"releases": [...]}``) and return the releases, newest first.

    Raises BuildError listing every problem at once.
    """
    if loaded is not None and not isinstance(loaded, Mapping):
        raise BuildError(str(Problem("releases.yml", "The file must be a mapping with a `releases:` list.",
                                     expected="releases: [...]", found=type(loaded).__name__)))
    entries = (loaded or {}).get("releases") or []
    if not isinstance(entries, list):
        raise BuildError(str(Problem("releases.yml", "`releases` must be a list.", expected="a list of releases",
                                     found=type(entries).__name__)))
    problems = [p for i, e in enumerate(entries, 1) for p in _entry_problems(i, e)]
    if problems:
        raise BuildError("\n".join([f"data/releases.yml: {len(problems)} problem(s). Nothing was written.",
                                    *map(str, problems)]))
    releases = []
    for e in entries:
        date = e["date"] if isinstance(e["date"], dt.date) else dt.date.fromisoformat(e["date"])
        releases.append(Release(date, e["fingerprint"].strip(), " ".join(e["summary"].split())))
    return sorted(releases, key=lambda r: r.date, reverse=True)


def load_releases(path: Path) -> list[Release]:
    """Read the release log; a missing file means nothing has been published yet."""
    return parse_releases(load_data_yaml(path, "releases.yml"))


def fingerprint_of(numbers: Mapping[str, Any] | None) -> str | None:
    """The fingerprint a build reports in numbers.json: a top-level ``fingerprint``, else its studies' ones."""
    if not numbers:
        return None
    if numbers.get("fingerprint"):
        return str(numbers["fingerprint"])
    studies = numbers.get("studies", {})
    prints = [f"{sid} {s['fingerprint']}" for sid, s in sorted(studies.items()) if s.get("fingerprint")]
    return "; ".join(prints) or None
