"""CSV downloads of the clinician tables (pure: computed values in, CSV bytes out).

Each file holds aggregate values only, written with the same ``fmt`` functions as the pages (so any
small-cell rule applied there applies here too). No patient-level row, identifier or date is ever read
here: the input is the number book, not the study tables.
"""

from __future__ import annotations

import csv
import io
import re

from . import fmt, ids
from .escape import CONTROL
from .numbers import NumberBook, Value
from .present import DOWNLOADS, StudyView


def table_ids(sv: StudyView) -> dict[str, list[str]]:
    """The value ids of each download, in the order the pages print them."""
    t = sv.tables
    effect = [row[b] for o in t["effectiveness"] for row in o["rows"] for b in ids.BASES]
    endo = [row[b] for o in t["endoscopy"] for row in o["rows"] for b in ids.ENDOSCOPY_BASES]
    endo += [ids.REPEAT_ENDOSCOPY] if t["endoscopy"] else []
    table1 = [c for r in t["table1"]["rows"] for c in (*r["cells"], *r["missing"]) if c]
    table1 = [c["n"] for c in t["table1"]["columns"]] + [d["id"] for d in t["table1"]["diagnoses"]] + table1
    flow = [ids.N_PATIENTS] + [x for r in t["flow"] for x in (r["stopped"], *(q["id"] for q in r["reasons"]),
                                                                r["lost"], r["on"]) if x]
    dose = t["dose"]
    dose_ids = [dose["any"], dose["week"], *dose["to"], *dose["after"], *([dose["reduced"]] if dose.get("reduced")
                                                                         else [])] if dose else []
    ae = t["adverse_events"]
    ae_ids = [ids.EXPOSURE, ids.ZERO_EVENT_UPPER] + [x for k in ae["summary"].values() for x in k.values()] + [
        r[c] for r in ae["rows"] for c in ("patients", "events", "serious", "stop", "rate")]
    surgery = [ids.SURGERY_ANY, *t["surgery"]]
    return {
        "table1": table1, "flow": flow, "effectiveness": effect, "endoscopy": endo,
        "biomarkers": [r[s] for r in t["change"] for s in ("n", "base", "end", "diff")],
        "subgroups": [row[b] for g in t["subgroups"] for row in g["rows"] for b in ids.BASES],
        "persistence": [ids.persistence(sv.end)] + [x for r in t["km"] for x in (r["km"], r["at_risk"])],
        "stopping": [ids.STOPPED, ids.STOP_WEEK, *t["stop_reasons"]],
        "dose_changes": dose_ids, "surgery": surgery, "adverse_events": ae_ids,
    }


# Spreadsheet-safe: the count and its denominator sit in two whole-number columns (a cell such as "3/12" is read as
# a date by spreadsheet programs), and the file starts with a UTF-8 byte-order mark so that they read "–", "µ" and
# accents as UTF-8 (the csv module reads it with encoding="utf-8-sig").
COLUMNS = ("value_id", "label", "population", "week", "n", "N", "percent", "95% CI", "result", "unit", "method",
           "interval_method", "data")
SOF_COLUMNS = ("outcome", "week", "population", "result", "second_result", "certainty", "reasons", "statement",
               "comment", "result_from")


def _row(short: str, v: Value, data: str) -> dict[str, str]:
    proportion = v.kind in ("proportion", "survival", "bound")
    # a withheld count leaves both cells empty: the result column says why, in the pages' words
    counts = proportion and not v.suppressed and v.numerator is not None and v.denominator is not None
    return {
        "value_id": short, "label": v.label, "population": v.population,
        "week": "" if v.timepoint_weeks is None else str(v.timepoint_weeks),
        "n": str(v.numerator) if counts else "", "N": str(v.denominator) if counts else "",
        "percent": fmt.percent(v) if proportion else "",
        "95% CI": fmt.ci(v) if proportion else "",
        "result": fmt.percent(v) if v.kind in ("survival", "bound") else fmt.clinical(v),
        "unit": v.unit, "method": v.method, "interval_method": v.ci_method or "", "data": data,
    }


def _published_beside(v: Value, made_up: bool, population: str = "") -> str:
    """The published figure after the row's own data words: made-up data were built to reproduce it (it is not
    their source), a study's records are compared with it. ``population`` names a second figure's population."""
    figure, of = f"{v.published_value} ({v.source})", f" ({population})" if population else ""
    return f", built to reproduce the published figure{of} {figure}" if made_up else f"; published{of}: {figure}"


# A cell is one line, as the pages print it (a line break or control character from data becomes a space), and a
# cell that a spreadsheet would run as a formula (text from data, such as an outcome's label, that starts with =,
# +, - or @) starts with an apostrophe, which spreadsheets show as text; a plain number such as -1.5 stays a number.
_BREAK = re.compile("[\t\n]")
_FORMULA_START = ("=", "+", "-", "@")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def spreadsheet_text(cell: str) -> str:
    """``cell`` as one line that a spreadsheet shows and never runs."""
    line = " ".join(CONTROL.sub(" ", cell).split()) if CONTROL.search(cell) or _BREAK.search(cell) else cell
    formula = line.lstrip().startswith(_FORMULA_START) and not _NUMBER.fullmatch(line)
    return "'" + line if formula else line


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_text(cell) for key, cell in row.items()} for row in rows)
    return out.getvalue().encode("utf-8-sig")


__all__ = ["DOWNLOADS", "clinician_downloads", "table_ids"]


def clinician_downloads(sv: StudyView, book: NumberBook) -> dict[str, bytes]:
    """``clinicians/<study-id>/downloads/<table>.csv`` -> CSV bytes, for every clinician table."""
    get = lambda short: book[ids.qualified(sv.id, short)]  # noqa: E731
    known = lambda short: ids.qualified(sv.id, short) in book  # noqa: E731
    data = fmt.MADE_UP if sv.synthetic else fmt.RECORDS  # every row says it: a file alone tells made-up from real
    files = {}
    listed = dict(sv.tables["downloads"])  # the tables that have figures (an empty file is not offered)
    for name, shorts in table_ids(sv).items():
        rows = [_row(short, get(short), data) for short in dict.fromkeys(shorts) if known(short)]
        if name in listed:
            files[f"clinicians/{sv.id}/downloads/{name}.csv"] = _csv(COLUMNS, rows)
    sof = []
    for entry in sv.tables["certainty"]:
        v = get(entry["value"])
        also = get(entry["also"]) if entry["also"] else None
        sof.append({"outcome": v.label, "week": "" if v.timepoint_weeks is None else str(v.timepoint_weeks),
                    "population": v.population, "result": fmt.clinical(v),
                    "second_result": (f"{also.label}: " if also.label != v.label else "")
                    + f"{fmt.clinical(also)} ({also.population})" if also else "",
                    "certainty": entry["rating"] or fmt.NOT_RATED,
                    "reasons": "; ".join(entry["reasons"]) if entry["rating"] else fmt.NOT_RATED_WHY,
                    "statement": entry["statement"], "comment": entry["comment"],
                    "result_from": data + "".join(
                        _published_beside(z, sv.synthetic, z.population if z is also else "")
                        for z in (v, also) if z is not None and z.published_value is not None)})
    if "summary_of_findings" in listed:
        files[f"clinicians/{sv.id}/downloads/summary_of_findings.csv"] = _csv(SOF_COLUMNS, sof)
    return files
