"""Check a raw study against the data contract and turn it into typed tables (pure).

Every problem is collected, then reported at once in a :class:`DataError`:
file, row, column, what was expected, what was found and a hint.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import crosschecks
from .errors import DataError, Problem, summarise
from .load import RawStudy
from .schema import MISSING_MARKERS, PATIENTS, STUDY_FIELDS, TABLES, Column, Table

TYPE_HINTS = {
    "text": "Write it as text; put it in double quotes if it contains a colon.",
    "integer": "Write a whole number without quotes or units, e.g. 52.",
    "list": "Write a list in brackets, e.g. [0, 8, 52], or one '- item' per line.",
    "mapping": "Write indented 'key: value' lines under the field name.",
    "category": "Write one of the allowed values without quotes.",
}
TABLES_WITH_ROWS = ("patients.csv", "visits.csv")  # events.csv may be empty: a study with no events
MAX_PER_COLUMN = 5  # report at most this many bad cells per column, then a count of the rest
PRECISIONS = ("integer", "1dp", "percent", "just_over_half")
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Each index has its own scale; the column's schema range is the widest of them (see schema.py).
SCORE_RANGES = {
    ("visits.csv", "activity_index", "activity_score"): {"PUCAI": (0, 85), "wPCDAI": (0, 125)},
    ("events.csv", "endoscopy_index", "endoscopy_score"): {"Mayo": (0, 3), "SES-CD": (0, 56)},
}


@dataclass
class Study:
    """A validated study: metadata and typed tables."""

    id: str
    folder: Path
    meta: dict[str, Any]
    patients: pd.DataFrame
    visits: pd.DataFrame
    events: pd.DataFrame
    fingerprint: str

    @property
    def synthetic(self) -> bool:
        return self.meta["status"] == "synthetic"


def validate(raw: RawStudy) -> Study:
    """Return the typed study, or raise DataError listing every problem found."""
    meta = {f.name: f.default for f in STUDY_FIELDS if not f.required} | raw.meta
    problems = list(raw.problems)
    problems += check_meta(meta)
    problems += crosschecks.check_meta(meta)
    typed: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        if table.file in raw.tables:
            frame, found = check_table(table, raw.tables[table.file])
            problems += found
            typed[table.file] = frame
    for (file, index_col, score_col), ranges in SCORE_RANGES.items():
        if file in typed and {index_col, score_col} <= set(typed[file].columns):
            problems += check_score_ranges(file, typed[file], index_col, score_col, ranges)
    if not problems:
        problems += check_links(typed, meta)
    if not problems:  # logic across tables (crosschecks.RULES), on typed and linked tables
        problems += crosschecks.check_tables(typed["patients.csv"], typed["visits.csv"], typed["events.csv"])
    if problems:
        raise DataError(raw.id, problems)
    return Study(raw.id, raw.folder, meta, typed["patients.csv"], typed["visits.csv"], typed["events.csv"],
                 raw.fingerprint)


# --- study.yml ---------------------------------------------------------------------------------------------------

def check_meta(meta: dict[str, Any]) -> list[Problem]:
    problems = []
    py_types = {"text": str, "integer": int, "list": list, "mapping": dict, "category": str}
    for f in STUDY_FIELDS:
        if f.name not in meta:
            problems.append(Problem("study.yml", f"The field {f.name!r} is missing.", column=f.name,
                                    expected=f"{f.type}: {f.description}", found="nothing",
                                    hint="See the Data format page for every field of study.yml."))
            continue
        value = meta[f.name]
        if not isinstance(value, py_types[f.type]) or (f.type == "integer" and isinstance(value, bool)):
            problems.append(Problem("study.yml", f"The field {f.name!r} has the wrong type.", column=f.name,
                                    expected=f.type, found=f"{type(value).__name__} {value!r}"[:80],
                                    hint=TYPE_HINTS[f.type]))
        elif f.choices and value not in f.choices:
            problems.append(Problem("study.yml", f"The field {f.name!r} has an unknown value.", column=f.name,
                                    expected="one of " + ", ".join(f.choices), found=repr(value),
                                    hint=_closest(value, f.choices) or "Use exactly one of the listed values."))
    known = {f.name for f in STUDY_FIELDS}
    for name in meta:
        if name not in known:
            problems.append(Problem("study.yml", f"Unknown field {name!r}.", column=name,
                                    expected="one of the documented fields", found=name,
                                    hint=_closest(name, known) or "Remove the field, or see the Data format page."))
    if problems:
        return problems
    if not ISO_DATE.match(str(meta["data_date"])) or _not_a_date(str(meta["data_date"])):
        problems.append(Problem("study.yml", "The field 'data_date' is not a date.", column="data_date",
                                expected="a date written YYYY-MM-DD, in quotes", found=repr(meta["data_date"]),
                                hint='Write it as data_date: "2026-01-15".'))
    if meta["min_cell"] < 0:
        problems.append(Problem("study.yml", "The field 'min_cell' is negative.", column="min_cell",
                                expected="a whole number of at least 0 (5 is the usual choice)",
                                found=repr(meta["min_cell"]),
                                hint="Counts from 1 to min_cell - 1 are withheld from the site; 0 turns this off."))
    weeks = meta["timepoints_weeks"]
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in weeks) or weeks != sorted(set(weeks)) \
            or weeks[0] != 0 or weeks[-1] > meta["follow_up_weeks"]:
        problems.append(Problem("study.yml", "The time points are not usable.", column="timepoints_weeks",
                                expected=f"whole weeks in increasing order from 0 to at most {meta['follow_up_weeks']}",
                                found=repr(weeks), hint="Write them as a list, e.g. [0, 8, 12, 26, 52]."))
    for i, entry in enumerate(meta["published"], 1):
        where = f"published, entry {i}"
        if not isinstance(entry, dict) or not {"id", "label", "value", "precision", "source"} <= set(entry):
            problems.append(Problem("study.yml", f"{where} is incomplete.", column="published",
                                    expected="id, label, value, precision and source", found=repr(entry)[:80],
                                    hint="Write each entry as {id: ..., label: ..., value: ..., precision: ..., "
                                         "source: ...}."))
            continue
        if entry["precision"] not in PRECISIONS:
            problems.append(Problem("study.yml", f"{where} has an unknown precision.", column="published",
                                    expected="one of " + ", ".join(PRECISIONS), found=repr(entry["precision"]),
                                    hint=_closest(str(entry["precision"]), PRECISIONS)
                                    or "The comment above `published:` in study.yml explains each precision."))
        if entry["source"] not in meta["citations"]:
            problems.append(Problem("study.yml", f"{where} cites an unknown source.", column="published",
                                    expected="a key of citations: " + ", ".join(meta["citations"]),
                                    found=repr(entry["source"]),
                                    hint=_closest(str(entry["source"]), meta["citations"])
                                    or "Add the source under `citations:`, or correct the key."))
    return problems


# --- tables ------------------------------------------------------------------------------------------------------

def check_table(table: Table, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns and cells of one table; return the typed frame (bad cells empty) and the problems."""
    names = set(table.column_names)
    problems = summarise([Problem(table.file, f"Unknown column {col!r}.", column=col,
                                  expected="only the columns of the data contract", found=col,
                                  hint=_closest(col, names) or "Remove the column; the Data format page lists "
                                                               "every column.")
                          for col in raw.columns if col not in names], "unknown columns")
    if raw.empty and table.file in TABLES_WITH_ROWS:
        problems.append(Problem(table.file, "The table has no rows.", expected=f"{table.grain}, below the header",
                                found="only the header row",
                                hint="Export the table again with its data, or check that this is the right file."))
    typed = pd.DataFrame(index=raw.index)
    for column in table.columns:
        if column.name not in raw.columns:
            problems.append(Problem(table.file, f"The column {column.name!r} is missing.", column=column.name,
                                    expected=column.expected, found="no such column",
                                    hint=f"Add a column headed {column.name!r}: {column.description}"))
            continue
        typed[column.name], found = check_column(table.file, column, raw[column.name])
        problems += found
    if not problems and table.key:
        dup = typed.duplicated(list(table.key), keep="first")
        for row in typed.index[dup][:MAX_PER_COLUMN]:
            key = ", ".join(f"{k}={typed.at[row, k]}" for k in table.key)
            problems.append(Problem(table.file, "Duplicate row.", row=int(row), column=table.key[-1],
                                    expected=f"one row per {' and '.join(table.key)}", found=f"a second row with {key}",
                                    hint="Delete the repeated row, or correct its key."))
    return typed, problems


def check_column(file: str, column: Column, cells: pd.Series) -> tuple[pd.Series, list[Problem]]:
    text = cells.fillna("").str.strip()
    missing = text.str.lower().isin(MISSING_MARKERS)
    parsed, bad = _parse(column, text.where(~missing, ""))
    bad &= ~missing
    problems = []
    if column.required:
        for row in text.index[missing]:
            shown = repr(cells[row]) if text[row] else "an empty cell"
            problems.append(Problem(file, "A required value is missing.", row=int(row), column=column.name,
                                    expected=column.expected, found=shown,
                                    hint="Fill in the value from the record; this column cannot be left empty."))
    for row in text.index[bad]:
        problems.append(Problem(file, "The value is not valid.", row=int(row), column=column.name,
                                expected=column.expected, found=repr(cells[row]), hint=_hint(column, text[row])))
    return parsed, _cap(problems)


def _parse(column: Column, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert text to the column's type; return (values, mask of cells that failed)."""
    empty = text == ""
    if column.type in ("integer", "number"):
        values = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = values.isna() & ~empty
        if column.type == "integer":
            bad |= values.notna() & (values % 1 != 0)
        if column.minimum is not None:
            bad |= values < column.minimum
        if column.maximum is not None:
            bad |= values > column.maximum
        values = values.where(~bad)
        return (values.astype("Int64") if column.type == "integer" else values.astype("Float64")), bad
    if column.type == "boolean":
        low = text.str.lower()
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values[low.isin(TRUE_WORDS)] = True
        values[low.isin(FALSE_WORDS)] = False
        return values, values.isna() & ~empty
    if column.type == "date":
        ok = text.str.match(ISO_DATE)
        values = pd.to_datetime(text.where(ok & ~empty), format="%Y-%m-%d", errors="coerce")
        return values, values.isna() & ~empty
    if column.type == "category":
        bad = ~text.isin(column.choices) & ~empty
        return text.where(~empty & ~bad).astype("string"), bad
    if column.type == "id":
        bad = ~text.str.match(r"^[A-Za-z0-9_-]+$") & ~empty
        return text.where(~empty).astype("string"), bad
    return text.where(~empty).astype("string"), pd.Series(False, index=text.index)


def _hint(column: Column, text: str) -> str:
    if column.type in ("integer", "number") and re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        plain = text.replace(",", "")
        return (f"This looks like a thousands separator ({text} = {plain}); write numbers without separators "
                f"({plain}). If a decimal comma was meant, write it with a point.")
    if column.type in ("integer", "number") and re.fullmatch(r"-?\d+,\d+", text):
        return "This looks like a decimal comma; write decimals with a point (3.5, not 3,5)."
    if column.type == "date":
        return "Write dates as YYYY-MM-DD (for example 2023-04-01), the same in every row."
    if column.type == "category":
        return _closest(text, column.choices) or "Use exactly one of the listed codes."
    if column.type in ("integer", "number") and (column.minimum is not None or column.maximum is not None):
        return "Check the value against the source record; it is outside the possible range."
    return f"{column.description}"


def _not_a_date(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return True
    return False


def _closest(word: str, options: Any) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6) or difflib.get_close_matches(
        word.lower(), [o.lower() for o in options], n=1, cutoff=0.6)
    return f"Did you mean {match[0]!r}?" if match else ""


def _cap(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PER_COLUMN:
        return problems
    first = problems[0]
    more = Problem(first.file, f"... and {len(problems) - MAX_PER_COLUMN} more rows with the same kind of problem.",
                   column=first.column, hint="Fix the rows above, then run `python scripts/build.py validate` "
                                             "again to see the rest.")
    return [*problems[:MAX_PER_COLUMN], more]


def check_score_ranges(file: str, frame: pd.DataFrame, index_col: str, score_col: str,
                       ranges: dict[str, tuple[float, float]]) -> list[Problem]:
    """A score must lie within the range of the index named in the same row (PUCAI 0-85, wPCDAI 0-125, ...)."""
    problems = []
    for name, (low, high) in ranges.items():
        rows = frame.index[(frame[index_col] == name).fillna(False)
                           & ((frame[score_col] < low) | (frame[score_col] > high)).fillna(False)]
        for row in rows:
            problems.append(Problem(
                file, f"The score is outside the range of the {name} index.", row=int(row), column=score_col,
                expected=f"a {name} score from {low:g} to {high:g}", found=f"{frame.at[row, score_col]:g}",
                hint=f"Check the score against the record, and that {index_col} names the index it was scored on."))
    return _cap(problems)


# --- across tables -----------------------------------------------------------------------------------------------

def check_links(tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> list[Problem]:
    """Rules that need more than one row: known patients, time points, follow-up, order of dates and events."""
    problems = []
    patients, visits, events = tables["patients.csv"], tables["visits.csv"], tables["events.csv"]
    known = set(patients["patient_id"])
    for file, frame in (("visits.csv", visits), ("events.csv", events)):
        for row in frame.index[~frame["patient_id"].isin(known)][:MAX_PER_COLUMN]:
            problems.append(Problem(file, "The patient is not in patients.csv.", row=int(row), column="patient_id",
                                    expected=f"an id listed in {PATIENTS.file}",
                                    found=repr(frame.at[row, "patient_id"]),
                                    hint="Add the patient to patients.csv, or correct the id."))
    weeks = set(meta["timepoints_weeks"])
    for row in visits.index[~visits["week"].isin(weeks)][:MAX_PER_COLUMN]:
        problems.append(Problem("visits.csv", "The week is not one of the study's time points.", row=int(row),
                                column="week", expected="one of " + ", ".join(map(str, sorted(weeks))),
                                found=str(visits.at[row, "week"]), hint="Use the nearest scheduled assessment week."))
    follow_up = meta["follow_up_weeks"]
    for row in events.index[events["week"] > follow_up][:MAX_PER_COLUMN]:
        problems.append(Problem("events.csv", "The event is after the end of follow-up.", row=int(row), column="week",
                                expected=f"a week from 0 to {follow_up}", found=str(events.at[row, "week"]),
                                hint="Events after follow-up are outside the study: delete the row, or correct "
                                     "the week."))
    problems += _check_order(visits, "visits.csv", "visit_date")
    problems += _check_order(events, "events.csv", "event_date")
    stops = events[events["event_type"] == "discontinuation"].groupby("patient_id")["week"].min()
    for file, frame in (("visits.csv", visits), ("events.csv", events)):
        stop_week = frame["patient_id"].map(stops)
        after = frame["week"] > stop_week
        if file == "visits.csv":
            after &= frame["on_treatment"].fillna(False)
        for row in frame.index[after.fillna(False)][:MAX_PER_COLUMN]:
            problems.append(Problem(file, "This row is after the patient stopped treatment.", row=int(row),
                                    column="week", expected=f"week {stop_week[row]:g} or earlier (the discontinuation)",
                                    found=f"week {frame.at[row, 'week']:g}",
                                    hint="Check the discontinuation row, or mark visits after it on_treatment = no."))
    return problems


def _check_order(frame: pd.DataFrame, file: str, date_col: str) -> list[Problem]:
    """Within a patient, dates must not go backwards as the week goes up."""
    ordered = frame.sort_values(["patient_id", "week"], kind="stable")
    previous = ordered.groupby("patient_id")[date_col].shift()
    back = ordered[date_col] < previous
    return [Problem(file, "The date goes backwards in time for this patient.", row=int(row), column=date_col,
                    expected=f"on or after {previous[row]:%Y-%m-%d} (the patient's previous row)",
                    found=f"{ordered.at[row, date_col]:%Y-%m-%d}",
                    hint="Check the date and the week of this row against the record.")
            for row in ordered.index[back.fillna(False)][:MAX_PER_COLUMN]]
