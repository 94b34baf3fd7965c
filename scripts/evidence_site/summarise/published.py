"""Published headline figures beside the values this build computed (pure)."""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import BuildError
from ..fmt import number, round_half_up
from ..numbers import Value


def agrees(value: Value, published: str, precision: str) -> bool:
    """Whether the recomputed value, rounded as the published figure was, equals it."""
    if not value.estimable:
        return False
    x = value.value
    if precision == "integer":
        return number(x) == published.strip()
    if precision == "1dp":
        return number(x, 1) == published.strip()
    if precision == "percent":
        pct = re.search(r"(\d+(?:\.\d+)?)\s*%", published)
        ok = pct is not None and round_half_up(x * 100) == float(pct.group(1))
        counts = re.search(r"(\d+)\s+of\s+(\d+)", published)
        if counts:
            ok = ok and (value.numerator, value.denominator) == (int(counts.group(1)), int(counts.group(2)))
        return ok
    if precision == "just_over_half":
        return 0.5 < x < 0.6
    raise ValueError(f"unknown precision {precision!r}")


def attach_published(values: dict[str, Value], published: list[dict], citations: dict) -> dict[str, Value]:
    """Return ``values`` with each published figure attached to the value of the same short id."""
    out = dict(values)
    for entry in published:
        short = entry["id"]
        if short not in out:
            raise BuildError(
                f"study.yml: the published figure {short!r} has no computed value of that id. "
                f"Computed ids are: {', '.join(sorted(out))}.")
        v = out[short]
        out[short] = replace(
            v, published_value=str(entry["value"]), published_precision=entry["precision"],
            source=" ".join(citations[entry["source"]]["text"].split()),
            agrees_with_published=agrees(v, str(entry["value"]), entry["precision"]))
    return out
