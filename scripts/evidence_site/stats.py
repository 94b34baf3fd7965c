"""The few statistics the build needs, in plain Python (no statsmodels or scipy on the build path).

Importing statsmodels' proportion module and ``scipy.stats`` cost about 1.7 s of every build; the
arithmetic below is a few lines each. Each function reproduces one library call exactly (to floating
point) and the tests compare them against statsmodels and scipy, which stay as independent references:

- :func:`wilson_interval`: ``statsmodels.stats.proportion.proportion_confint(method="wilson")``;
- :func:`poisson_interval`: ``scipy.stats.chi2.ppf`` (exact Garwood limits);
- :func:`zero_event_upper`: ``scipy.stats.beta.ppf(1 - alpha / 2, 1, n)``;
- :func:`wilcoxon_p`: ``scipy.stats.wilcoxon(x, y).pvalue`` (default method: exact, permutation, or normal);
- :func:`kaplan_meier`: ``scipy.stats.ecdf(CensoredData(...)).sf`` with its log-log 95% band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate
from statistics import NormalDist

# 97.5th percentile of the standard normal, as statsmodels (norm.isf(0.025)) and scipy (ndtri(0.975)) give it.
Z975_ISF = 1.9599639845400545
Z975 = 1.959963984540054


def _z(alpha: float, isf: bool = False) -> float:
    if alpha == 0.05:
        return Z975_ISF if isf else Z975
    return NormalDist().inv_cdf(1 - alpha / 2)


def wilson_interval(count: int, nobs: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for ``count`` of ``nobs`` (statsmodels' formula, clipped to [0, 1])."""
    q = count / nobs
    crit = _z(alpha, isf=True)
    crit2 = crit ** 2
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    dist = crit * math.sqrt(q * (1.0 - q) / nobs + crit2 / (4.0 * nobs ** 2)) / denom
    return min(max(center - dist, 0.0), 1.0), min(max(center + dist, 0.0), 1.0)


# --- Exact Poisson limits -------------------------------------------------------------------------------------

def _gamma_p(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x) (series; continued fraction when x > a + 1)."""
    if x <= 0:
        return 0.0
    if x > a + 1:
        return 1.0 - _gamma_q_cf(a, x)
    log_front = a * math.log(x) - x - math.lgamma(a + 1)
    term = total = 1.0
    n = 0
    while term > total * 1e-17:
        n += 1
        term *= x / (a + n)
        total += term
    return math.exp(log_front) * total


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x)."""
    if x <= 0:
        return 1.0
    if x <= a + 1:
        return 1.0 - _gamma_p(a, x)
    return _gamma_q_cf(a, x)


def _gamma_q_cf(a: float, x: float) -> float:
    """Q(a, x) by Lentz's continued fraction (x > a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-17:
            break
    return math.exp(a * math.log(x) - x - math.lgamma(a)) * h


def _solve(f, low: float, high: float) -> float:
    """The root of an increasing function ``f`` on [low, high] by bisection to the last bit."""
    while f(high) < 0:
        low, high = high, high * 2
    for _ in range(2000):
        mid = (low + high) / 2
        if mid in (low, high):
            break
        if f(mid) < 0:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def gamma_ppf(p: float, a: float) -> float:
    """The ``p`` quantile of the Gamma(a, 1) distribution (``chi2.ppf(p, 2a) / 2``)."""
    if p < 0.5:
        return _solve(lambda x: _gamma_p(a, x) - p, 0.0, a + 10 * math.sqrt(a) + 10)
    return _solve(lambda x: (1 - p) - _gamma_q(a, x), 0.0, a + 10 * math.sqrt(a) + 10)


def poisson_interval(events: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) two-sided limits for a Poisson count: chi2(alpha/2, 2k)/2 to chi2(1-alpha/2, 2k+2)/2."""
    low = 0.0 if events == 0 else gamma_ppf(alpha / 2, events)
    return low, gamma_ppf(1 - alpha / 2, events + 1)


def zero_event_upper(n: int, alpha: float = 0.05) -> float:
    """Clopper–Pearson upper limit for 0 events in ``n``: the Beta(1, n) quantile, 1 - (alpha/2)^(1/n)."""
    return -math.expm1(math.log(alpha / 2) / n)


# --- Wilcoxon signed-rank test --------------------------------------------------------------------------------

def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Average ranks (1-based) and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def _signed_rank_counts(n: int) -> list[int]:
    """How many of the 2^n sign patterns give each rank sum 0..n(n+1)/2 (no ties)."""
    counts = [1] + [0] * (n * (n + 1) // 2)
    for k in range(1, n + 1):
        for s in range(k * (k + 1) // 2, k - 1, -1):
            counts[s] += counts[s - k]
    return counts


def wilcoxon_p(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of x - y, as ``scipy.stats.wilcoxon(x, y)`` gives it.

    scipy's default (``method="auto"``, zeros dropped, no continuity correction): the exact null distribution
    when there are no ties or zeros and at most 50 pairs; every sign pattern (a permutation test) when there
    are ties or zeros and at most 13 pairs; otherwise the normal approximation with the tie-corrected variance.
    """
    d = [float(a) - float(b) for a, b in zip(x, y, strict=True)]
    n_all = len(d)
    nonzero = [v for v in d if v != 0]
    n = len(nonzero)
    ranks, ties = _ranks([abs(v) for v in nonzero])
    r_plus = sum(r for r, v in zip(ranks, nonzero, strict=True) if v > 0)
    has_ties = any(t > 1 for t in ties)
    if n_all <= 50 and not has_ties and n == n_all:
        counts = _signed_rank_counts(n)
        total = 2 ** n
        k_low, k_high = math.ceil(r_plus), math.floor(r_plus)
        cdf = sum(counts[:k_low + 1]) / total
        sf = sum(counts[k_high:]) / total
        return min(max(2 * min(sf, cdf), 0.0), 1.0)
    if n_all <= 13:
        return _sign_flip_p(ranks, r_plus)
    mean = n * (n + 1) / 4
    var = (n * (n + 1) * (2 * n + 1) - sum(t ** 3 - t for t in ties) / 2) / 24
    z = (r_plus - mean) / math.sqrt(var)
    return min(math.erfc(abs(z) / math.sqrt(2)), 1.0)


def _sign_flip_p(ranks: list[float], observed: float) -> float:
    """Two-sided p-value over every sign pattern of the non-zero differences (scipy's permutation test)."""
    sums = [0.0]
    for r in ranks:
        sums = [s for prev in sums for s in (prev, prev + r)]
    gamma = abs(observed) * 1e-14  # scipy's tolerance for statistics equal up to rounding
    greater = sum(1 for s in sums if s >= observed - gamma) / len(sums)
    less = sum(1 for s in sums if s <= observed + gamma) / len(sums)
    return min(2 * min(greater, less), 1.0)


# --- Kaplan–Meier ---------------------------------------------------------------------------------------------

class SurvivalCurve:
    """A Kaplan–Meier estimate for right-censored data, as ``scipy.stats.ecdf(...).sf``."""

    def __init__(self, times: Sequence[float], observed: Sequence[bool]) -> None:
        pairs = sorted(zip((float(t) for t in times), (bool(o) for o in observed), strict=True),
                       key=lambda p: p[0])
        self.times: list[float] = []
        at_risk, deaths = [], []
        remaining = len(pairs)
        i = 0
        while i < len(pairs):
            t = pairs[i][0]
            j = i
            while j < len(pairs) and pairs[j][0] == t:
                j += 1
            self.times.append(t)
            at_risk.append(remaining)
            deaths.append(sum(1 for _, o in pairs[i:j] if o))
            remaining -= j - i
            i = j
        self.surv = list(accumulate(((n - d) / n for n, d in zip(at_risk, deaths, strict=True)),
                                    lambda a, b: a * b))
        self._n, self._d = at_risk, deaths

    def band(self, alpha: float = 0.05) -> tuple[list[float], list[float]]:
        """The log-log ("exponential Greenwood") band at each time; NaN where the estimate is 0 or 1."""
        z = _z(alpha)
        low, high = [], []
        greenwood = 0.0
        for s, n, d in zip(self.surv, self._n, self._d, strict=True):
            greenwood = greenwood + d / (n * (n - d)) if n != d else math.inf
            if s <= 0 or s >= 1 or math.isinf(greenwood):
                low.append(math.nan)
                high.append(math.nan)
                continue
            log_s = math.log(s)
            z_se = z * math.sqrt(greenwood / log_s ** 2)
            lnl = math.log(-log_s)
            low.append(min(max(math.exp(-math.exp(lnl + z_se)), 0.0), 1.0))
            high.append(min(max(math.exp(-math.exp(lnl - z_se)), 0.0), 1.0))
        return low, high

    def evaluate(self, points: Sequence[float], values: Sequence[float] | None = None) -> list[float]:
        """A step function (the value at the last time at or before each point; 1 before the first time)."""
        values = self.surv if values is None else values
        out = []
        for x in points:
            k = _last_at_or_before(self.times, float(x))
            out.append(1.0 if k < 0 else values[k])
        return out


def _last_at_or_before(times: list[float], x: float) -> int:
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def kaplan_meier(times: Sequence[float], observed: Sequence[bool]) -> SurvivalCurve:
    return SurvivalCurve(times, observed)
