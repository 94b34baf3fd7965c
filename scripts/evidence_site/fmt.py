"""How numbers are written on pages: one function per form, used by every template.

Rounding is half-up (0.5 -> 1), as readers expect, not Python's round-half-even.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .numbers import Value

NOT_ESTIMABLE = "not estimable"


def round_half_up(x: float, digits: int = 0) -> float:
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP))


def number(x: float, digits: int = 0) -> str:
    value = round_half_up(x, digits)
    return f"{value:.{digits}f}"


def percent(v: Value, digits: int = 0) -> str:
    """'81%' (or 'not estimable')."""
    if not v.estimable:
        return NOT_ESTIMABLE
    return f"{number(v.value * 100, digits)}%"


def n_of_n(v: Value) -> str:
    """'39/48'."""
    return f"{v.numerator}/{v.denominator}"


def ci(v: Value, digits: int = 0) -> str:
    """'69–90%' for a proportion's 95% interval."""
    if v.ci_low is None or v.ci_high is None:
        return NOT_ESTIMABLE
    return f"{number(v.ci_low * 100, digits)}–{number(v.ci_high * 100, digits)}%"


def clinical(v: Value) -> str:
    """The clinician form: '39/48 (81%; 95% CI 69–90%)', a mean with SD, or a count."""
    if not v.estimable:
        return NOT_ESTIMABLE
    if v.kind == "proportion":
        return f"{n_of_n(v)} ({percent(v)}; 95% CI {ci(v)})"
    if v.kind == "mean":
        sd = f" (SD {number(v.sd, 1)})" if v.sd is not None else ""
        return f"{number(v.value, 1)}{sd}"
    if v.kind == "count":
        return f"{v.value:d}"
    return number(v.value, 1)


def out_of_ten(v: Value) -> int:
    """A proportion as a whole number of children out of every 10, the families' fixed denominator."""
    return int(round_half_up(v.value * 10))


def value_as_published(v: Value, precision: str) -> str:
    """The recomputed value written the way the published figure is written, for side-by-side display."""
    if not v.estimable:
        return NOT_ESTIMABLE
    if precision == "integer":
        return number(v.value)
    if precision == "1dp":
        return number(v.value, 1)
    return percent(v)


def time_frame(weeks: int) -> str:
    """Weeks in family words: 52 -> 'one year', 26 -> 'six months', 8 -> '8 weeks'."""
    words = {52: "one year", 26: "six months", 104: "two years", 12: "three months"}
    return words.get(weeks, f"{weeks} weeks")
