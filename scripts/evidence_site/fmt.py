"""How numbers are written on pages: one function per form, used by every template.

Rounding is half-up (0.5 -> 1), as readers expect, not Python's round-half-even.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from .numbers import Value

# The words that mark made-up (synthetic) data wherever a figure, chart, table or page can be seen on its own.
MADE_UP = "made-up example data"
# ... and the words for figures recomputed from a study's own patient records (CSV downloads, numbers.json).
RECORDS = "this study's records"
# A made-up study's certainty row (present.rated_rows): its rating and why, in the summary of findings and its CSV.
NOT_RATED = "not rated"
NOT_RATED_WHY = f"no published figure to rate; {MADE_UP} only"

NOT_ESTIMABLE = "not estimable"
SUPPRESSED = "suppressed"  # a percentage or interval withheld by small-cell protection (numbers.protect)


def not_estimable(v: Value) -> str:
    """'not estimable (no patients in this group)': why a value has no number, never a blank or NaN."""
    if v.denominator == 0:
        return f"{NOT_ESTIMABLE} (no patients in this group)"
    if v.kind == "p_value":
        return f"{NOT_ESTIMABLE} (too few paired measurements, or no change)"
    return f"{NOT_ESTIMABLE} (too few data)"


def withheld(v: Value) -> str:
    """A value withheld by disclosure control, as clinicians see it: 'fewer than 5 of 48', 'between 5 and 43 of
    48', 'more than 43 of 48', or words without a range.

    The words give the band the figure's own count lies in (``disclosure.policy.band``), never why it is
    withheld: a figure withheld for being small and one withheld so that another cannot be worked out read
    alike, and the disclosure audit reads the same bounds from them. They never narrow a count below what
    ``min_cell`` allows."""
    below = v.suppressed_below or 0
    if v.suppression == "group":  # the group itself is smaller than min_cell
        return f"fewer than {below} patients in this group"
    if v.suppression == "subgroup_itt_only":  # not small itself: its denominators would tell when patients stopped
        return "suppressed (small subgroup: shown among all who started only)"
    if v.suppression == "restricted_itt_only":  # its denominators would tell which children who stopped had the trait
        return "not shown for this denominator (privacy; see all who started)"
    if v.suppression in ("all_or_none", "small_group"):  # the same words, so they cannot be told apart
        return "suppressed (small group)"
    if v.suppression == "order_statistic":
        return "suppressed (too few patients: these would be individual patients' values)"
    events = " events" if v.kind == "rate" else ""
    if v.suppression == "count":
        return f"fewer than {below} of {v.denominator}" if v.denominator is not None and not events \
            else f"fewer than {below}{events}"
    if v.suppression == "at_least":
        return f"{below} or more{events}"
    if v.suppression == "complement" and v.denominator is not None:
        return f"more than {v.denominator - below} of {v.denominator}"
    if v.suppression == "middle" and v.denominator is not None:
        low, high = below, v.denominator - below
        return f"{low} of {v.denominator}" if low == high else f"between {low} and {high} of {v.denominator}"
    # the denominator, where it is kept, is printed as for any other figure (numbers.json gives it too)
    return "not shown (privacy)" if v.denominator is None or v.kind != "proportion" else \
        f"not shown (of {v.denominator}; privacy)"


def round_half_up(x: float, digits: int = 0) -> float:
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP))


def number(x: float, digits: int = 0) -> str:
    value = round_half_up(x, digits)
    return f"{value:.{digits}f}"


def as_printed(x: float) -> str:
    """A figure a source prints, to one decimal, or none where it is a whole number (a source's "14" is not
    "14.0")."""
    return number(x, 1 if round_half_up(x, 1) % 1 else 0)


def percent(v: Value, digits: int = 0) -> str:
    """'81%' (or 'not estimable', or 'suppressed' for a small cell)."""
    if v.suppressed:
        return SUPPRESSED
    if not v.estimable:
        return NOT_ESTIMABLE
    return f"{number(v.value * 100, digits)}%"


def reported_percent(v: Value) -> str:
    """A percentage its source reports without a count, as the source prints it ('68.4%', its
    ``published_value``); any other value as :func:`percent` prints it."""
    if v.numerator is None and v.published_value and v.published_value.endswith("%") and not v.suppressed:
        return v.published_value
    return percent(v)


def n_of_n(v: Value) -> str:
    """'39/48' (or 'fewer than 5 of 48' for a small cell)."""
    if v.suppressed:
        return withheld(v)
    if v.numerator is None or v.denominator is None:
        return NOT_ESTIMABLE
    return f"{v.numerator}/{v.denominator}"


def ci(v: Value, digits: int = 0) -> str:
    """'69–90%' for a proportion's 95% interval."""
    if v.suppressed:
        return SUPPRESSED
    if v.ci_low is None or v.ci_high is None:
        return NOT_ESTIMABLE
    return f"{number(v.ci_low * 100, digits)}–{number(v.ci_high * 100, digits)}%"


def clinical(v: Value) -> str:
    """The clinician form: '39/48 (81%; 95% CI 69–90%)', a mean with SD, or a count."""
    if v.suppressed:
        return withheld(v)
    if not v.estimable:
        return not_estimable(v)
    if v.kind == "proportion":
        return f"{n_of_n(v)} ({percent(v)}; 95% CI {ci(v)})"
    if v.kind == "mean":
        sd = f" (SD {number(v.sd, 1)})" if v.sd is not None else ""
        return f"{number(v.value, 1)}{sd}"
    if v.kind == "count":
        return f"{v.value:d}"
    if v.kind == "median":
        iqr = f" [{number(v.q1, 1)} to {number(v.q3, 1)}]" if v.q1 is not None and v.q3 is not None else ""
        return f"{number(v.value, 1)}{iqr}"
    if v.kind == "p_value":
        return p_value(v)
    if v.kind == "rate" and v.ci_low is not None and v.ci_high is not None:
        return f"{number(v.value, 1)} (95% CI {number(v.ci_low, 1)}–{number(v.ci_high, 1)})"
    return number(v.value, 1)


def p_value(v: Value) -> str:
    """'p = 0.03', 'p = 0.003' or 'p < 0.001' (two significant figures above 0.001)."""
    if v.suppressed:
        return SUPPRESSED
    if not v.estimable:
        return NOT_ESTIMABLE
    if v.value < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{v.value:.2g}'):g}"


def out_of_ten(v: Value) -> int | None:
    """A proportion as a whole number of children out of every 10, the families' fixed denominator.

    None when there is no number to show (withheld by small-cell protection, or not estimable): use
    :func:`for_families` for the words in that case.
    """
    if v.suppressed or not v.estimable:
        return None
    return int(round_half_up(v.value * 10))


def ended(text: object) -> str:
    """Words from data as a sentence that ends once: a full stop added unless they end in one, or in ?, ! or …,
    also inside closing quotes or brackets (the trust line printed "None declared?.", "Ninguno…." and
    "(None declared.).")."""
    words = str(text).strip()
    return words if words.rstrip("\"'”’»›」』)]").endswith((".", "?", "!", "…")) else words + "."


def counts_none(v: Value) -> bool:
    """No child at all: 0 of N, or a reported 0% (a shown proportion; never one withheld)."""
    return not v.suppressed and (v.numerator == 0 or (v.numerator is None and v.value == 0))


def counts_all(v: Value) -> bool:
    """Every child: N of N, or a reported 100% (a shown proportion; never one withheld)."""
    return not v.suppressed and v.value is not None and (
        (v.numerator is not None and v.numerator == v.denominator) or (v.numerator is None and v.value == 1))


def for_families(v: Value, noun: str = "children") -> str:
    """A proportion in family words: 'about 8 out of every 10 children', or for a small cell 'a few children'."""
    if v.suppressed:
        return suppressed_for_families(v.suppression, noun)
    if not v.estimable:
        return f"not known (too few {noun} to say)"
    tenths = out_of_ten(v)
    if counts_none(v):
        return f"no {noun}"
    if counts_all(v):
        return f"all {noun}"
    if tenths <= 0:
        return f"fewer than 1 out of every 10 {noun}"
    if tenths >= 10:
        return f"nearly all {noun}"
    return f"about {tenths} out of every 10 {noun}"


# A withheld proportion in family words, by its band (``disclosure.policy.band``): true of every count in the
# band, none included, so the words never tell why a figure is withheld.
FAMILY_BANDS = {"count": "a few {noun} or none", "complement": "all or nearly all {noun}",
                "middle": "a number of {noun} (not given, to protect privacy)",
                "secondary": "a number of {noun} (not given, to protect privacy)"}
FAMILY_BAND_CASES = {"count": "few", "complement": "all_or_nearly_all", "middle": "withheld", "secondary": "withheld"}
FAMILY_BANDS_OTHER = {"count": "complement", "complement": "count"}  # the other side of a band


def suppressed_for_families(reason: str | None, noun: str = "children") -> str:
    return FAMILY_BANDS.get(reason or "", "too few {noun} to say").format(noun=noun)


def value_as_published(v: Value, precision: str) -> str:
    """The recomputed value written the way the published figure is written, for side-by-side display."""
    if v.suppressed:
        return withheld(v)
    if not v.estimable:
        return NOT_ESTIMABLE
    if precision == "integer":
        return number(v.value)
    if precision == "1dp":
        return number(v.value, 1)
    return percent(v)


def time_frame(weeks: int) -> str:
    """Weeks in family words: 52 -> 'one year', 26 -> 'six months', 156 -> '3 years', 8 -> '8 weeks'."""
    words = {52: "one year", 26: "six months", 104: "two years", 12: "three months"}
    years = whole_years(weeks)
    return words.get(weeks, f"{years} years" if years else f"{weeks} weeks")


def whole_years(weeks: int) -> int | None:
    """Weeks that are a whole number of years beyond the two that have words of their own (156 -> 3), else None:
    a family reads '3 years', not '156 weeks'."""
    return weeks // 52 if weeks > 104 and weeks % 52 == 0 else None


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_date(day: dt.date | str) -> str:
    """'15 January 2026' from a date or 'YYYY-MM-DD' (independent of the machine's locale)."""
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
