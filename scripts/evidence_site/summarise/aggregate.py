"""Values of an aggregate study: each figure its source reports becomes one Value (pure).

Nothing is recomputed from patients. A reported or derived n/N gets a 95% Wilson interval, labelled as
computed here; a percentage without a usable denominator is printed as reported, with no interval.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .. import ids
from ..fmt import MADE_UP, as_printed, number
from ..numbers import Value, count, proportion
from ..spec import Publication
from ..validate import AggregateStudy

POPULATION_WORDS = {
    "all_started": "All who started",
    "on_treatment": "Still on treatment at the time point",
    "with_data": "Those with the measurement",
    "subgroup": "A subgroup",
    "unclear": "Denominator not stated by the source",
}
METHODS = {
    "reported": "n/N as reported by the source; 95% Wilson interval computed here",
    "derived": "Percentage as reported by the source; the count is that percentage of the stated N, worked out "
               "here; 95% Wilson interval computed here",
    "percent_only": "Percentage as reported by the source; the denominator is not stated, so no interval",
    "summary": "As reported by the source",
}

CHECKED = {"primary": "confirmed from the source", "secondary": "reported by a secondary source",
           MADE_UP: f"{MADE_UP}, no source to check"}  # results.csv's `confirmed`, in a value's source


def _int(x) -> int | None:
    return None if pd.isna(x) else int(x)


def _num(x) -> float | None:
    return None if pd.isna(x) else float(x)


def row_id(r: pd.Series) -> str:
    return ids.reported(r["section"], r["key"], _int(r["week"]), r["group"], r["population"])


def population_text(study: AggregateStudy, r: pd.Series) -> str:
    group = r["group"]
    if group == "all":
        who = ""
    elif group in study.spec.subgroups:
        who = study.spec.subgroups[group]
    else:
        who = study.vocab.diagnoses[group].label
    return POPULATION_WORDS[r["population"]] + (f", {who}" if who else "")


def published_text(r: pd.Series) -> str:
    """The figure as the source prints it: '13 of 31 (42%)', '56%', 'median 15.6 (IQR 13.3–17.1)'."""
    if r["count_basis"] == "summary":
        q = f" (IQR {as_printed(float(r['q1']))}–{as_printed(float(r['q3']))})" if pd.notna(r["q1"]) else ""
        return f"median {as_printed(float(r['median']))}{q}"
    pct = f"{number(float(r['percent']), 1 if float(r['percent']) % 1 else 0)}%" if pd.notna(r["percent"]) else ""
    if r["count_basis"] == "reported":
        return f"{_int(r['numerator'])} of {_int(r['denominator'])}" + (f" ({pct})" if pct else "")
    return pct


def citation(publication: Publication) -> str:
    """'Authors. Title. Venue (year)': each part ends as a sentence (its own ., ? or ! kept, never doubled), the
    year once (where the venue does not give it), no full stop at the end (the caller adds what follows)."""
    venue = publication.venue.strip()
    if str(publication.year) not in venue:
        venue = f"{venue} ({publication.year})"
    parts = [part.strip() for part in (publication.authors, publication.title, venue) if part.strip()]
    ended = [part if part.endswith((".", "?", "!")) else f"{part}." for part in parts[:-1]]
    return " ".join([*ended, parts[-1].rstrip(".")])


def aggregate_values(study: AggregateStudy) -> list[Value]:
    spec = study.spec
    cite = citation(spec.publication)
    out: list[Value] = []
    if spec.n is not None:
        out.append(count(ids.STUDY_N, "Patients who started", spec.n, population=POPULATION_WORDS["all_started"],
                         method="As reported by the source"))
    for _, r in study.results.iterrows():
        measure = spec.measures[r["key"]]
        week = _int(r["week"])
        vid, basis = row_id(r), r["count_basis"]
        pop = population_text(study, r)
        method = METHODS[basis]
        if basis in ("reported", "derived"):
            v = proportion(vid, measure.label, _int(r["numerator"]), _int(r["denominator"]), population=pop,
                           method=method, timepoint_weeks=week)
        elif basis == "percent_only":
            v = Value(vid, measure.label, "proportion", float(r["percent"]) / 100, method, pop, week,
                      denominator=_int(r["denominator"]))
        else:
            unit = "" if pd.isna(r["unit"]) else r["unit"]
            v = Value(vid, measure.label, "median", _num(r["median"]), method, pop, week,
                      denominator=_int(r["denominator"]), unit=unit, q1=_num(r["q1"]), q3=_num(r["q3"]))
        checked = CHECKED[r["confirmed"]]
        where = f"{r['where']}; {checked}"
        shown = as_printed(float(r["median"])) if basis == "summary" else published_text(r)
        precision = ("1dp" if "." in shown else "integer") if basis == "summary" else "percent"
        out.append(replace(v, published_value=shown, published_precision=precision, source=f"{cite}: {where}",
                           agrees_with_published=True if basis == "summary" else _agrees(v, shown)))
    return out


def _agrees(v: Value, shown: str) -> bool:
    from .published import agrees

    return agrees(v, shown, "percent") if "%" in shown else (v.numerator, v.denominator) == tuple(
        int(x) for x in shown.split(" of "))
