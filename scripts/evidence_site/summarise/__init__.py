"""The summary layer: a validated study in, computed values out. Pure pandas, no I/O."""

from __future__ import annotations

from dataclasses import replace

from ..numbers import NumberBook, Value
from ..validate import Study
from .cohort import cohort_values
from .outcomes import headline_values
from .published import attach_published

# Each producer turns a study into values with short ids (no study prefix). Add new summaries here.
PRODUCERS = (cohort_values, headline_values)


def summarise(study: Study) -> list[Value]:
    """Every computed value of a study, with ids prefixed by the study id."""
    values = {v.id: v for produce in PRODUCERS for v in produce(study)}
    values = attach_published(values, study.meta["published"], study.meta["citations"])
    return [replace(v, id=f"{study.id}.{v.id}") for v in values.values()]


def number_book(studies: list[Study]) -> NumberBook:
    book = NumberBook()
    for study in studies:
        book.extend(summarise(study))
    return book
