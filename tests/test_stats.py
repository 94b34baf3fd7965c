"""stats.py (the build's own arithmetic) against statsmodels and scipy, kept here as independent references."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.stats import CensoredData, beta, chi2, ecdf, wilcoxon
from statsmodels.stats.proportion import proportion_confint

from evidence_site import stats


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


def test_wilson_matches_statsmodels_exactly():
    for n in range(1, 80):
        for k in range(n + 1):
            assert stats.wilson_interval(k, n) == tuple(float(x) for x in proportion_confint(k, n, method="wilson"))


@pytest.mark.parametrize("k", [*range(0, 40), 57, 120, 999, 5000])
def test_poisson_limits_match_chi2(k):
    low, high = stats.poisson_interval(k)
    assert close(low, 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2)
    assert close(high, chi2.ppf(0.975, 2 * k + 2) / 2)


def test_zero_event_upper_matches_beta():
    for n in (1, 2, 5, 48, 500, 5000):
        assert close(stats.zero_event_upper(n), float(beta.ppf(0.975, 1, n)))


@pytest.mark.parametrize("n", [2, 5, 9, 13, 14, 20, 50, 51, 120])
@pytest.mark.parametrize("kind", ["continuous", "ties", "zeros"])
def test_wilcoxon_matches_scipy_default(n, kind):
    rng = random.Random(n * 7 + len(kind))
    # With ties or zeros at n = 13, scipy's default enumerates every assignment of signs (2.6 s a call alone, 15 s in a
    # full run): one sample there (n = 14 and above take the normal approximation, n = 9 and below are cheap)
    for _ in range(1 if kind != "continuous" and n == 13 else 8):
        x = [rng.gauss(0, 1) for _ in range(n)]
        if kind == "continuous":
            y = [rng.gauss(0.3, 1) for _ in range(n)]
        elif kind == "ties":
            x, y = [rng.randint(0, 5) for _ in range(n)], [rng.randint(0, 5) for _ in range(n)]
        else:
            y = [v if rng.random() < 0.3 else v + rng.gauss(0.2, 1) for v in x]
        if all(a == b for a, b in zip(x, y, strict=True)):
            continue
        assert close(stats.wilcoxon_p(x, y), float(wilcoxon(x, y).pvalue), 1e-11)


@pytest.mark.parametrize("seed", range(12))
def test_kaplan_meier_and_log_log_band_match_scipy_ecdf(seed):
    rng = random.Random(seed)
    n = rng.choice([3, 6, 48, 500])
    times = [min(52.0, float(rng.choice(range(0, 60, rng.choice([1, 4, 12]))))) for _ in range(n)]
    observed = [rng.random() < 0.4 for _ in range(n)]
    observed[0] = True
    t, o = np.array(times), np.array(observed)
    ref = ecdf(CensoredData(uncensored=t[o], right=t[~o])).sf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        band = ref.confidence_interval(confidence_level=0.95, method="log-log")
    grid = sorted({0.0, 4.0, 12.0, 26.0, 52.0, *times})
    km = stats.kaplan_meier(times, observed)
    low, high = km.band()
    for mine, theirs in ((km.evaluate(grid), ref.evaluate(grid)), (km.evaluate(grid, low), band.low.evaluate(grid)),
                         (km.evaluate(grid, high), band.high.evaluate(grid))):
        assert all(close(a, float(b)) for a, b in zip(mine, theirs, strict=True))


def test_the_build_path_imports_neither_scipy_nor_statsmodels():
    code = ("import sys, evidence_site.pipeline, evidence_site.commands; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'statsmodels')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
