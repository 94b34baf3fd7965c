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

from .errors import BuildError
from .stats import wilson_interval

# survival: a Kaplan–Meier estimate (no single n/N); bound: a confidence limit reported on its own.
# statistic: a summary of a pooled analysis (I², τ²).
Kind = Literal["proportion", "count", "mean", "median", "rate", "p_value", "survival", "bound", "statistic"]
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
    q1: float | None = None  # medians: 25th and 75th percentiles
    q3: float | None = None
    published_value: str | None = None
    published_precision: str | None = None
    source: str | None = None
    agrees_with_published: bool | None = None
    pages: tuple[str, ...] = field(default=())
    # Small-cell protection (see ``protect``): why the number is withheld, and the study's min_cell.
    suppressed: bool = False
    # "count", "complement", "group", "linked" (``protect``), or a reason of ``disclosure`` (see its module)
    suppression: str = ""
    suppressed_below: int | None = None
    # Disclosure control showed this count although it is small, because published figures give it exactly
    # (the ids of those figures).
    public_through: str = ""

    @property
    def estimable(self) -> bool:
        """False when there is no number to print: not computable, or withheld by small-cell protection."""
        return self.value is not None and not (isinstance(self.value, float) and math.isnan(self.value))

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["pages"] = sorted(self.pages)
        if not self.suppressed:
            del record["suppressed"]
        # The reason is published as the page words it (fmt.withheld): a none-or-all cell and a small group read
        # alike, so numbers.json must not tell them apart either (an outside tester recovered 0 of 7 from it).
        record["suppression"] = PUBLIC_REASONS.get(self.suppression, self.suppression)
        return {k: v for k, v in record.items() if v is not None and v != ""}


# internal reason -> the reason numbers.json gives: the same as the page's words (``fmt.withheld``), which name a
# figure's band and never why it is withheld
PUBLIC_REASONS = {"all_or_none": "small_group", "linked": "secondary"}


def proportion(
    id: str, label: str, numerator: int, denominator: int, *, population: str, method: str,
    timepoint_weeks: int | None = None,
) -> Value:
    """A proportion with its 95% Wilson interval (``stats``); not estimable when the denominator is 0."""
    numerator, denominator = int(numerator), int(denominator)
    if denominator == 0:
        return Value(id, label, "proportion", None, method, population, timepoint_weeks, numerator, denominator)
    low, high = wilson_interval(numerator, denominator)
    # At 0/N and N/N the Wilson limits are exactly 0 and 1; floating point can miss by ~1e-17.
    low = 0.0 if numerator == 0 else low
    high = 1.0 if numerator == denominator else high
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


def small(n: int | float | None, min_cell: int) -> bool:
    """Whether ``n`` patients (or events) is a small cell: from 1 to ``min_cell - 1``."""
    return n is not None and not (isinstance(n, float) and math.isnan(n)) and 1 <= n < min_cell


def protect(values: list[Value], min_cell: int) -> list[Value]:
    """Small-cell protection, the one place it is applied: withhold every number that reveals a small cell.

    A value is withheld (``suppressed``; its count, estimate and interval blanked) when
    - ``group``: it describes fewer than ``min_cell`` patients (its denominator, or for a mean, median or
      p-value the number of patients it is computed from) -- the denominator is blanked too;
    - ``count``: its count (numerator, or the value of a count) is from 1 to ``min_cell - 1``;
    - ``complement``: it is a proportion whose denominator minus numerator is from 1 to ``min_cell - 1``.
    - ``linked``: a second pass. Proportions with the same label and time point are one outcome over
      different denominators (e.g. all who started, and those assessed). When one of them is withheld, any
      other that shows the same count is withheld too: its count and the first one's denominator would
      give the small number back (14/21 shown beside "more than 12 of 17" reveals 3).
    Values whose recomputed figure agrees with a figure already published are exempt: that number is public.
    ``min_cell`` 0 or 1 turns protection off.
    """
    if min_cell <= 1:
        return list(values)
    first = [_protect_one(v, min_cell) for v in values]
    withheld = {(v.label, v.timepoint_weeks, v.numerator) for v, p in zip(values, first, strict=True)
                if p.suppressed and v.kind == "proportion"}
    return [_withhold(p, "linked", min_cell)
            if not p.suppressed and not p.agrees_with_published and p.kind == "proportion"
            and (p.label, p.timepoint_weeks, p.numerator) in withheld else p
            for p in first]


def _withhold(v: Value, reason: str, min_cell: int) -> Value:
    return replace(v, value=None, numerator=None, ci_low=None, ci_high=None, sd=None, q1=None, q3=None,
                   denominator=None if reason == "group" else v.denominator,
                   suppressed=True, suppression=reason, suppressed_below=min_cell)


def _protect_one(v: Value, min_cell: int) -> Value:
    if v.agrees_with_published:
        return v
    reason = ""
    if small(v.denominator, min_cell):
        reason = "group"
    elif (v.kind == "count" and small(v.value, min_cell)) or small(v.numerator, min_cell):
        reason = "count"
    elif v.kind == "proportion" and v.numerator is not None and v.denominator is not None \
            and small(v.denominator - v.numerator, min_cell):
        reason = "complement"
    return _withhold(v, reason, min_cell) if reason else v


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
