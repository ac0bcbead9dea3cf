"""Level shifts in a count series: where a monthly count moves to a new level and stays.

The best single split of a series into two Poisson levels, by likelihood ratio, with a
Bonferroni p-value over the candidate split points. Used by the ISTV scorecard (a department's
extract changes) and by place evaluation (comparison areas that change for reasons of their own
are screened out).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["level_shift", "level_shifts"]


def _ll(total: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Poisson log-likelihood (without the log y! term) of counts summing to ``total`` over
    ``months`` at their own mean: sum y log(mu) - n mu = total log(total / n) - total."""
    return total * np.log(np.maximum(total / months, 1e-12)) - total


def level_shifts(y: np.ndarray, *, min_months: int = 3) -> tuple[np.ndarray, ...]:
    """``level_shift`` for every row of ``y`` (series x months) at once, from cumulative sums:
    arrays of split index, Bonferroni p and relative change."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    n, m = y.shape[1], min_months
    if n < 2 * m:
        none = np.zeros(len(y))
        return np.full(len(y), -1), none + 1.0, none
    total = y.sum(1)
    ks = np.arange(m, n - m + 1)
    head = np.cumsum(y, 1)[:, ks - 1]  # counts before each candidate split
    tail = total[:, None] - head
    lr = 2 * (_ll(head, ks) + _ll(tail, n - ks) - _ll(total, n)[:, None])
    best = lr.argmax(1)
    rows = np.arange(len(y))
    top = lr[rows, best]
    found = top > 1e-9  # a flat series has no split (its ratio is rounding noise around 0)
    k = np.where(found, ks[best], -1)
    before = head[rows, best] / ks[best]
    after = tail[rows, best] / (n - ks[best])
    change = np.where(found, (after - before) / np.maximum(before, 1e-9), 0.0)
    p = np.minimum(1.0, stats.chi2.sf(np.where(found, top, 0.0), 1) * len(ks))
    return k, p, change


def level_shift(y: np.ndarray, *, min_months: int = 3) -> tuple[int, float, float]:
    """Best split of ``y`` into two levels: (index where the second starts, Bonferroni p,
    relative change). (-1, 1.0, 0.0) when the series is shorter than two ``min_months``."""
    k, p, change = level_shifts(np.asarray(y)[None, :], min_months=min_months)
    return int(k[0]), float(p[0]), float(change[0])
