"""The summary layer: a validated study in, computed values out. Pure pandas, no I/O."""

from __future__ import annotations

from dataclasses import replace

from ..disclosure import check, layout_of, protect_study
from ..disclosure.policy import Policy
from ..numbers import NumberBook, Value
from ..validate import AggregateStudy, Study
from .aggregate import aggregate_values
from .baseline import baseline_values
from .cohort import cohort_values
from .durability import durability_values
from .effectiveness import effectiveness_values
from .memo import one_study
from .published import attach_published, check_certainty
from .safety import safety_values

# Each producer turns a study into values with short ids (no study prefix). Add new summaries here.
PRODUCERS = (cohort_values, baseline_values, effectiveness_values, durability_values, safety_values)


def summarise(study: Study | AggregateStudy) -> list[Value]:
    """Every computed value of a study, with ids prefixed by the study id.

    Disclosure control (``disclosure.protect_study``: small cells, secondary protection and the audit that
    proves it, with the study's ``min_cell`` and ``disclosure:`` settings) is applied here, once, so that every
    page, chart, table, download and numbers.json gets only protected values. The build stops if the audit
    finds a withheld figure that can be worked out from what is published.
    """
    if isinstance(study, AggregateStudy):  # figures a publication reports: public, nothing to protect
        return [replace(v, id=f"{study.id}.{v.id}") for v in aggregate_values(study)]
    with one_study(study):  # the producers share the per-patient frames they derive (memo.py)
        values = {v.id: v for produce in PRODUCERS for v in produce(study)}
    values = attach_published(study.id, values, study.spec.published, study.spec.citations)
    check_certainty(study.id, study.spec.certainty, values)
    protected, report = protect_study(list(values.values()), Policy.of(study.spec), layout_of(study))
    check(report, study.id)
    return [replace(v, id=f"{study.id}.{v.id}") for v in protected]


def number_book(studies: list[Study | AggregateStudy]) -> NumberBook:
    book = NumberBook()
    for study in studies:
        book.extend(summarise(study))
    return book
