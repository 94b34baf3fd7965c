"""Logic checks across rows and tables that a cell-by-cell check cannot see (pure).

Each rule is a policy of this site, listed in :data:`RULES` (printed on the Data format page), and each
broken rule is a :class:`Problem` with file, row, column, expected, found and a hint. ``validate`` calls
:func:`check_tables` once the tables are typed and linked, and :func:`check_meta` on ``study.yml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd

from .errors import Problem, summarise
from .escape import safe_url
from .load import as_written

BASELINE_WINDOW_DAYS = 30  # a week-0 (baseline) visit may be this many days before the first dose
WEEK_SLACK = 1.0  # weeks a date may stray beyond its week's window (an event's week, a visit's nearest time point)
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

RULES = (
    "Patient ids are compared without regard to capital letters: `AB12` and `ab12` in one study stop the build "
    "(they would otherwise count as two children).",
    "Every patient has a baseline visit: a row in `visits.csv` with week 0. A patient without one stops the "
    "build, rather than being left out of change-from-baseline results without a word.",
    f"A visit or event after week 0 is dated on or after the patient's `start_date`; the week-0 visit may be up "
    f"to {BASELINE_WINDOW_DAYS} days before it (a baseline assessment before the first dose).",
    "A visit's date falls at its week: counted from the patient's `start_date`, it is nearer its week than the "
    f"time points before and after it, give or take {WEEK_SLACK:g} week (a visit takes the nearest scheduled week); "
    f"a baseline (week 0) is at most {WEEK_SLACK:g} week after the first dose. An event's date is within "
    f"{WEEK_SLACK:g} week of its week (a week-0 event, like a baseline visit, may be up to {BASELINE_WINDOW_DAYS} "
    "days before the first dose). A date with its day and month swapped, or a week copied from another row, would "
    "otherwise count a child's result at the wrong time point.",
    "`age_at_start_years` is not below `age_at_diagnosis_years`.",
    "A patient has at most one `discontinuation` event.",
    "Links in `study.yml` (a citation's `url`) start with `https://`; citation keys are letters, digits, `-` and "
    "`_`.",
)


def check_tables(patients: pd.DataFrame, visits: pd.DataFrame, events: pd.DataFrame,
                 patients_text: pd.DataFrame | None = None, timepoints: list[int] | None = None) -> list[Problem]:
    """The rules of :data:`RULES` that involve the tables; the frames are typed (see validate.check_table), and
    ``patients_text`` is patients.csv as read, so that a "found" quotes the cell as the file writes it.
    ``timepoints``: the study's assessment weeks (a visit's date is checked against its week's window)."""
    problems = list(_case_twins(patients))
    if problems:
        return problems  # the other rules match rows by patient id
    problems += summarise(list(_ages(patients, patients_text)), "patients with age at start below age at diagnosis")
    problems += summarise(list(_baseline(patients, visits)), "patients without a baseline visit")
    problems += summarise(list(_before_start(patients, visits, "visits.csv", "visit_date")),
                          "visits dated before the first dose")
    problems += summarise(list(_before_start(patients, events, "events.csv", "event_date")),
                          "events dated before the first dose")
    if not problems:  # a date before the first dose is said once, above
        problems += summarise(list(_off_their_week(patients, visits, "visits.csv", "visit_date", timepoints)),
                              "visits whose date is not at their week")
        problems += summarise(list(_off_their_week(patients, events, "events.csv", "event_date", None)),
                              "events whose date is not at their week")
    problems += summarise(list(_discontinuations(events)), "second discontinuations")
    return problems


def _week_windows(timepoints: list[int]) -> dict[int, tuple[float, float]]:
    """Each time point's window, in weeks since the first dose: nearer it than the time points beside it, give or
    take WEEK_SLACK (the baseline's lower end is the baseline window, checked by ``_before_start``)."""
    weeks = sorted(timepoints)
    out = {}
    for i, week in enumerate(weeks):
        low = (weeks[i - 1] + week) / 2 - WEEK_SLACK if i else float("-inf")
        high = (week + weeks[i + 1]) / 2 if i + 1 < len(weeks) else week + (week - weeks[i - 1]) / 2 if i else week
        out[week] = (low, high + WEEK_SLACK if week else WEEK_SLACK)  # a baseline: at most a week into treatment
    return out


def _off_their_week(patients: pd.DataFrame, frame: pd.DataFrame, file: str, date_col: str,
                    timepoints: list[int] | None) -> Iterator[Problem]:
    """Rows whose date, in weeks since the patient's start_date, is outside their week's window: a visit's time
    point's (``timepoints``), an event's week give or take WEEK_SLACK (``timepoints`` None)."""
    start = frame["patient_id"].map(patients.set_index("patient_id")["start_date"])
    since = (frame[date_col] - start).dt.days / 7
    if timepoints is None:
        low, high = frame["week"] - WEEK_SLACK, frame["week"] + WEEK_SLACK
    else:
        windows = _week_windows(timepoints)  # a week with no time point is validate's to report
        low = frame["week"].map({w: lo for w, (lo, _) in windows.items()}).astype(float).fillna(float("-inf"))
        high = frame["week"].map({w: hi for w, (_, hi) in windows.items()}).astype(float).fillna(float("inf"))
    low = low.where(frame["week"] != 0, float("-inf"))  # a baseline's earliest date is _before_start's
    off = ((since < low) | (since > high)).fillna(False)
    for row in frame.index[off]:
        week, first = frame.at[row, "week"], start[row]
        lo, hi = max(low[row], -BASELINE_WINDOW_DAYS / 7), high[row]
        earliest, latest = first + pd.Timedelta(days=round(lo * 7)), first + pd.Timedelta(days=round(hi * 7))
        what = "visit" if timepoints is not None else "event"
        yield Problem(file, f"The {what}'s date is not at its week.", row=int(row), column=date_col,
                      expected=f"a date from {earliest:%Y-%m-%d} to {latest:%Y-%m-%d} (week {week:g} after "
                               f"start_date {first:%Y-%m-%d} in patients.csv"
                               + (", nearer it than the time points beside it)" if what == "visit" else ")"),
                      found=f"{frame.at[row, date_col]:%Y-%m-%d}, {since[row]:.1f} weeks after start_date",
                      hint="Check the date for its day and month swapped (2023-03-04 for 2023-04-03) or a wrong year, "
                           "then the week and the patient's start_date"
                           + ("; a visit takes the nearest scheduled week." if what == "visit" else "."))


def _case_twins(patients: pd.DataFrame) -> Iterator[Problem]:
    first: dict[str, tuple[int, str]] = {}
    for row, pid in patients["patient_id"].dropna().items():
        key = str(pid).casefold()
        if key in first and first[key][1] != pid:
            yield Problem("patients.csv", "Two patient ids differ only in capital letters.", row=int(row),
                          column="patient_id", expected=f"an id that differs from {first[key][1]!r} (row "
                                                        f"{first[key][0]}) by more than capitals",
                          found=repr(pid), hint="If this is the same child, merge the rows; if not, give one of "
                                                "them a clearly different id. Ids are compared without capitals.")
        first.setdefault(key, (int(row), pid))


def _ages(patients: pd.DataFrame, text: pd.DataFrame | None) -> Iterator[Problem]:
    below = (patients["age_at_start_years"] < patients["age_at_diagnosis_years"]).fillna(False)
    for row in patients.index[below]:
        yield Problem("patients.csv", "The age at the first dose is below the age at diagnosis.", row=int(row),
                      column="age_at_start_years",
                      expected=f"at least {patients.at[row, 'age_at_diagnosis_years']:g} (age_at_diagnosis_years)",
                      found=as_written(text, row, "age_at_start_years")
                      or f"{patients.at[row, 'age_at_start_years']:g}",
                      hint="Check both ages against the record; the two columns may have been swapped.")


def _baseline(patients: pd.DataFrame, visits: pd.DataFrame) -> Iterator[Problem]:
    with_baseline = set(visits.loc[(visits["week"] == 0).fillna(False), "patient_id"])
    for row, pid in patients["patient_id"].items():
        if pid not in with_baseline:
            yield Problem("visits.csv", "A patient has no baseline visit (week 0).", column="week",
                          expected=f"a row with week 0 for the patient in patients.csv row {row}",
                          found="no week-0 row for that patient",
                          hint="Add the baseline assessment (week 0). Change from baseline cannot be worked out "
                               "without it, and the patient would silently drop out of those results.")


def _before_start(patients: pd.DataFrame, frame: pd.DataFrame, file: str, date_col: str) -> Iterator[Problem]:
    start = frame["patient_id"].map(patients.set_index("patient_id")["start_date"])
    allowed = start - pd.to_timedelta((frame["week"] == 0).astype(int) * BASELINE_WINDOW_DAYS, unit="D")
    early = (frame[date_col] < allowed).fillna(False)
    for row in frame.index[early]:
        baseline = frame.at[row, "week"] == 0
        yield Problem(file, "The date is before the patient's first dose.", row=int(row), column=date_col,
                      expected=f"on or after {allowed[row]:%Y-%m-%d}" + (
                          f" (at most {BASELINE_WINDOW_DAYS} days before start_date {start[row]:%Y-%m-%d}, for a "
                          "week-0 row)" if baseline else " (start_date in patients.csv)"),
                      found=f"{frame.at[row, date_col]:%Y-%m-%d}",
                      hint="Check this date and the patient's start_date; a wrong year is a common cause.")


def _discontinuations(events: pd.DataFrame) -> Iterator[Problem]:
    stops = events[(events["event_type"] == "discontinuation").fillna(False)]
    seen: dict[str, int] = {}
    for row, pid in stops["patient_id"].items():
        if pid in seen:
            yield Problem("events.csv", "A second discontinuation for the same patient.", row=int(row),
                          column="event_type", expected=f"one discontinuation per patient (the first is row "
                                                        f"{seen[pid]})",
                          found=f"another discontinuation (reason {stops.at[row, 'reason']!s})",
                          hint="Keep the row of the final stop; if treatment was restarted and stopped again, "
                               "the study counts the first stop only, so delete the later row.")
        seen.setdefault(pid, int(row))


def check_meta(meta: dict[str, Any]) -> list[Problem]:
    """Links and citation keys of ``study.yml`` (the part of :data:`RULES` about the description)."""
    problems = []
    citations = meta.get("citations")
    if not isinstance(citations, dict):
        return problems
    for key, entry in citations.items():
        if not isinstance(key, str) or not KEY.fullmatch(key):
            problems.append(Problem("study.yml", "A citation key cannot be used.", column="citations",
                                    expected="letters, digits, - and _ (e.g. smith2024)", found=repr(key)[:80],
                                    hint="Citation keys become link anchors on the site; rename the key and the "
                                         "places that cite it."))
        if not isinstance(entry, dict):
            problems.append(Problem("study.yml", f"The citation {str(key)[:40]!r} is not a mapping.",
                                    column=f"citations.{key}", expected="text: ... (and optionally url: and note:)",
                                    found=type(entry).__name__,
                                    hint="Write the citation as indented `text:` and `url:` lines under its key."))
            continue
        if "url" in entry and safe_url(entry["url"]) is None:
            problems.append(Problem("study.yml", f"The link of citation {str(key)[:40]!r} is not an https address.",
                                    column=f"citations.{key}.url", expected="an address starting with https://",
                                    found=repr(entry["url"])[:100],
                                    hint="Only https links are published; copy the address from the browser, "
                                         "or remove the url line."))
        if not isinstance(entry.get("text"), str) or not entry["text"].strip():
            problems.append(Problem("study.yml", f"The citation {str(key)[:40]!r} has no text.",
                                    column=f"citations.{key}.text",
                                    expected="text: the reference as it should appear",
                                    found=repr(entry.get("text"))[:60],
                                    hint="Add a `text:` line with the full reference."))
    return problems
