"""Random-effects pooling of proportions across studies, and the rule for when not to pool (pure).

DerSimonian–Laird on the logit scale, written out (tests check it against statsmodels' ``combine_effects``).
Studies are pooled only when at least two report the same outcome, definition, population, disease and time
point with a count and denominator, and none of them may share patients with another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
METHOD = ("DerSimonian–Laird random effects on the logit scale (0.5 added to both cells of a study with 0 or "
          "all events); 95% interval from the normal approximation, back-transformed")


@dataclass(frozen=True)
class Pooled:
    estimate: float  # proportion
    low: float
    high: float
    tau2: float  # between-study variance, logit scale
    i2: float  # 0..1
    q: float
    k: int
    events: int
    total: int


def logit_and_variance(events: int, total: int) -> tuple[float, float]:
    if events in (0, total):
        events, total = events + 0.5, total + 1  # type: ignore[assignment]
    return math.log(events / (total - events)), 1 / events + 1 / (total - events)


def dersimonian_laird(counts: list[tuple[int, int]]) -> Pooled:
    """Pool (events, total) pairs."""
    if len(counts) < 2:
        raise ValueError("pooling needs at least two studies")
    y, v = zip(*(logit_and_variance(e, n) for e, n in counts), strict=True)
    w = [1 / vi for vi in v]
    fixed = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    q = sum(wi * (yi - fixed) ** 2 for wi, yi in zip(w, y, strict=True))
    df = len(y) - 1
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    ws = [1 / (vi + tau2) for vi in v]
    mu = sum(wi * yi for wi, yi in zip(ws, y, strict=True)) / sum(ws)
    se = math.sqrt(1 / sum(ws))
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    return Pooled(expit(mu), expit(mu - Z95 * se), expit(mu + Z95 * se), tau2, i2, q, len(y),
                  sum(e for e, _ in counts), sum(n for _, n in counts))
