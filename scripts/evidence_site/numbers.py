"""Computed values: every number a page prints is one of these records.

A :class:`Value` is made once by the summary layer, given a stable id
(``<study-id>.<name>``) and collected in a :class:`NumberBook`. Templates print
numbers only through the book, which remembers which page cited which id; the
book is written out as ``site/numbers.json``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from statsmodels.stats.proportion import proportion_confint

from .errors import BuildError

Kind = Literal["proportion", "count", "mean", "median", "rate"]
CI_METHOD_WILSON = "Wilson score interval, 95%"


@dataclass(frozen=True)
class Value:
    """One computed number, with everything needed to print and cite it."""

    id: str
    label: str
    kind: Kind
    value: float | int | None
    method: str
    population: str = ""
    timepoint_weeks: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None
    unit: str = ""
    sd: float | None = None
    published_value: str | None = None
    published_precision: str | None = None
    source: str | None = None
    agrees_with_published: bool | None = None
    pages: tuple[str, ...] = field(default=())

    @property
    def estimable(self) -> bool:
        return self.value is not None and not (isinstance(self.value, float) and math.isnan(self.value))

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["pages"] = sorted(self.pages)
        return {k: v for k, v in record.items() if v is not None and v != ""}


def proportion(
    id: str, label: str, numerator: int, denominator: int, *, population: str, method: str,
    timepoint_weeks: int | None = None,
) -> Value:
    """A proportion with its 95% Wilson interval (statsmodels); not estimable when the denominator is 0."""
    numerator, denominator = int(numerator), int(denominator)
    if denominator == 0:
        return Value(id, label, "proportion", None, method, population, timepoint_weeks, numerator, denominator)
    low, high = proportion_confint(numerator, denominator, alpha=0.05, method="wilson")
    return Value(
        id, label, "proportion", numerator / denominator, method, population, timepoint_weeks,
        numerator, denominator, float(low), float(high), CI_METHOD_WILSON,
    )


def mean(
    id: str, label: str, values: Any, *, population: str, unit: str = "", method: str = "Arithmetic mean",
) -> Value:
    """Mean and SD (n-1) of a pandas Series, ignoring missing values."""
    series = values.dropna()
    if series.empty:
        return Value(id, label, "mean", None, method, population, denominator=0, unit=unit)
    sd = float(series.std(ddof=1)) if len(series) > 1 else None
    return Value(id, label, "mean", float(series.mean()), method, population, denominator=len(series), unit=unit,
                 sd=sd)


def count(id: str, label: str, n: int, *, population: str, method: str = "Count of patients") -> Value:
    return Value(id, label, "count", int(n), method, population)


class NumberBook:
    """All values of one build, keyed by id, recording which page cites which id."""

    def __init__(self, values: list[Value] | None = None) -> None:
        self._values: dict[str, Value] = {}
        for value in values or []:
            self.add(value)

    def add(self, value: Value) -> Value:
        if value.id in self._values:
            raise BuildError(f"Two computed values share the id {value.id!r}; ids must be unique.")
        self._values[value.id] = value
        return value

    def extend(self, values: list[Value]) -> None:
        for value in values:
            self.add(value)

    def __getitem__(self, id: str) -> Value:
        try:
            return self._values[id]
        except KeyError:
            close = [k for k in self._values if k.split(".")[-1] == id.split(".")[-1]]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BuildError(f"No computed value has the id {id!r}.{hint}") from None

    def __contains__(self, id: str) -> bool:
        return id in self._values

    def __iter__(self):
        return iter(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def cite(self, id: str, page: str) -> Value:
        """Return the value and record that ``page`` prints it."""
        value = self[id]
        if page not in value.pages:
            value = replace(value, pages=(*value.pages, page))
            self._values[id] = value
        return value

    def replace(self, value: Value) -> None:
        self._values[value.id] = value

    def records(self) -> list[dict[str, Any]]:
        return [v.to_record() for v in sorted(self._values.values(), key=lambda v: v.id)]
