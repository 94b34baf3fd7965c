"""CSV downloads of the clinician tables (pure: computed values in, CSV bytes out).

Each file holds aggregate values only, written with the same ``fmt`` functions as the pages (so any
small-cell rule applied there applies here too). No patient-level row, identifier or date is ever read
here: the input is the number book, not the study tables.
"""

from __future__ import annotations

import csv
import io
import re

from . import fmt
from .numbers import NumberBook, Value
from .validate import Study

# File name -> pattern of the short value ids it holds (ids without the study prefix).
TABLES = {
    "table1": r"t1_",
    "flow": r"(n_patients$|flow_|repeat_endoscopy$)",
    "effectiveness": r"eff_(?!endoscopic)",
    "endoscopy": r"(eff_endoscopic_|endoscopic_remission$|repeat_endoscopy$)",
    "biomarkers": r"chg_",
    "tofacitinib": r"(tofa_|tofacitinib_response$)",
    "persistence": r"(km_|persistence_w)",
    "stopping": r"(stopped$|stop_)",
    "dose_escalation": r"esc_",
    "adverse_events": r"(ae_|exposure_py$)",
}
COLUMNS = ("value_id", "label", "population", "week", "n/N", "percent", "95% CI", "result", "unit", "method",
           "interval_method")
SOF_COLUMNS = ("outcome", "week", "population", "result", "second_result", "certainty", "reasons", "statement",
               "comment")


def _row(short: str, v: Value) -> dict[str, str]:
    proportion = v.kind in ("proportion", "survival", "bound")
    return {
        "value_id": short, "label": v.label, "population": v.population,
        "week": "" if v.timepoint_weeks is None else str(v.timepoint_weeks),
        "n/N": fmt.n_of_n(v) if proportion and v.numerator is not None and v.denominator is not None else "",
        "percent": fmt.percent(v) if proportion else "",
        "95% CI": fmt.ci(v) if proportion else "",
        "result": fmt.percent(v) if v.kind in ("survival", "bound") else fmt.clinical(v),
        "unit": v.unit, "method": v.method, "interval_method": v.ci_method or "",
    }


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def clinician_downloads(study: Study, book: NumberBook) -> dict[str, bytes]:
    """``clinicians/<study-id>/downloads/<table>.csv`` -> CSV bytes, for every clinician table."""
    prefix = f"{study.id}."
    mine = [(v.id[len(prefix):], v) for v in book if v.id.startswith(prefix)]
    files = {}
    for name, pattern in TABLES.items():
        rows = [_row(short, v) for short, v in mine if re.match(pattern, short)]
        files[f"clinicians/{study.id}/downloads/{name}.csv"] = _csv(COLUMNS, rows)
    sof = []
    for entry in (study.meta.get("certainty") or {}).get("outcomes", []):
        v = book[prefix + entry["value"]]
        also = book[prefix + entry["also"]] if entry.get("also") else None
        sof.append({"outcome": v.label, "week": "" if v.timepoint_weeks is None else str(v.timepoint_weeks),
                    "population": v.population, "result": fmt.clinical(v),
                    "second_result": f"{fmt.clinical(also)} ({also.population})" if also else "",
                    "certainty": entry["rating"], "reasons": "; ".join(entry["reasons"]),
                    "statement": entry["statement"], "comment": entry["comment"]})
    files[f"clinicians/{study.id}/downloads/summary_of_findings.csv"] = _csv(SOF_COLUMNS, sof)
    return files
