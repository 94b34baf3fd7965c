"""The summary layer: a validated study in, computed values out. Pure pandas, no I/O."""

from __future__ import annotations

from dataclasses import replace

from ..numbers import NumberBook, Value
from ..validate import Study
from .cohort import cohort_values
from .outcomes import headline_values
from .published import attach_published


def summarise(study: Study) -> list[Value]:
    """Every computed value of a study, with ids prefixed by the study id."""
    values = {v.id: v for v in [*cohort_values(study), *headline_values(study)]}
    values = attach_published(values, study.meta["published"], study.meta["citations"])
    return [replace(v, id=f"{study.id}.{v.id}") for v in values.values()]


def number_book(studies: list[Study]) -> NumberBook:
    book = NumberBook()
    for study in studies:
        book.extend(summarise(study))
    return book
