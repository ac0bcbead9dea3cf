"""Level shifts in a count series: where a monthly count moves to a new level and stays.

The best single split of a series into two Poisson levels, by likelihood ratio, with a
Bonferroni p-value over the candidate split points. Used by the ISTV scorecard (a department's
extract changes) and by place evaluation (comparison areas that change for reasons of their own
are screened out).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["level_shift"]


def _ll(y: np.ndarray, mu: float) -> float:
    return float(np.sum(y * np.log(max(mu, 1e-12)) - mu))


def level_shift(y: np.ndarray, *, min_months: int = 3) -> tuple[int, float, float]:
    """Best split of ``y`` into two levels: (index where the second starts, Bonferroni p,
    relative change). (-1, 1.0, 0.0) when the series is shorter than two ``min_months``."""
    m = min_months
    if len(y) < 2 * m:
        return -1, 1.0, 0.0
    ll0 = _ll(y, y.sum() / len(y))
    best = (-1, 0.0, 0.0)
    for k in range(m, len(y) - m + 1):
        a, b = y[:k], y[k:]
        lr = 2 * (_ll(a, a.mean()) + _ll(b, b.mean()) - ll0)
        if lr > best[1]:
            best = (k, lr, (b.mean() - a.mean()) / max(a.mean(), 1e-9))
    k, lr, change = best
    p = min(1.0, float(stats.chi2.sf(lr, 1)) * (len(y) - 2 * m + 1))
    return k, p, change
