"""Conditional permutation for local statistics on binary neighbour matrices, without a row loop.

For area *i* with ``k_i`` neighbours, conditional randomisation holds ``y_i`` fixed and draws its
neighbours' values as ``k_i`` of the other ``n - 1`` values at random, ``permutations`` times.
Gi* (binary or row-standardised with self) and Local Moran's I (row-standardised) are monotone
functions of the drawn neighbour *sum* ``S``, so each test reduces to counting draws with
``S >= S_obs`` (or ``<=``).

The trick: every permutation draws one ordered sample of ``k_max + 1`` distinct areas out of all
``n``. Area *i* uses the first ``k_i`` of them, unless *i* itself is among those, in which case it
drops itself and takes the ``(k_i + 1)``-th. That is a uniform ``k_i``-subset of the other areas
(a short counting argument, written out in docs/methods.md), and all areas with the same ``k``
share one vector of sums, which is sorted once so every area's count is a binary search. Only the
few (draw, area) pairs where the area drew itself need correcting. The cost is
O(permutations x k_max + n log permutations) instead of esda's O(n x permutations x k).

Like esda, all areas share the same draws, so their p-values are not independent of each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SumCounts", "neighbour_sum_counts"]


@dataclass(frozen=True)
class SumCounts:
    """For each area: how many permuted neighbour sums were >= and <= the observed sum."""

    ge: np.ndarray
    le: np.ndarray
    permutations: int


def _draws(n: int, size: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """``permutations`` ordered samples of ``size`` distinct areas out of ``n``.

    Independent uniform draws, with any row that repeats an area drawn again (rejection keeps
    each row a uniform sample without replacement); vectorised, since rows with a repeat are few.
    """
    if size * size > n:  # repeats would be common: shuffle whole rows instead
        return rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)[:, :size]
    out = rng.integers(0, n, size=(permutations, size))
    while True:
        s = np.sort(out, axis=1)
        bad = np.nonzero((s[:, 1:] == s[:, :-1]).any(axis=1))[0]
        if not len(bad):
            return out
        out[bad] = rng.integers(0, n, size=(len(bad), size))


def neighbour_sum_counts(
    y: np.ndarray,
    k: np.ndarray,
    observed: np.ndarray,
    *,
    permutations: int,
    seed: int | None,
) -> SumCounts:
    """Count permuted neighbour sums at or above / at or below ``observed`` for every area.

    ``y`` are the values, ``k`` each area's number of neighbours and ``observed`` each area's
    observed sum of its neighbours' values (same arithmetic as the draws: exact for counts).
    """
    n = len(y)
    y = np.asarray(y, dtype=float)
    kmax = int(k.max()) if n else 0
    rng = np.random.default_rng(seed)
    draws = _draws(n, min(kmax + 1, n), permutations, rng)
    cs = np.zeros((permutations, draws.shape[1] + 1))
    np.cumsum(y[draws], axis=1, out=cs[:, 1:])
    ge = np.empty(n, dtype=np.int64)
    le = np.empty(n, dtype=np.int64)
    for kk in np.unique(k):
        rows = np.nonzero(k == kk)[0]
        sums = np.sort(cs[:, kk])
        obs = observed[rows]
        ge[rows] = permutations - np.searchsorted(sums, obs, side="left")
        le[rows] = np.searchsorted(sums, obs, side="right")
    # Draws where an area picked itself among its first k: use the (k+1)-th instead.
    pos = np.arange(draws.shape[1])
    p_idx, j_idx = np.nonzero(pos[None, :] < k[draws])
    who = draws[p_idx, j_idx]
    kw = k[who]
    fix = kw < draws.shape[1]
    p_idx, who, kw = p_idx[fix], who[fix], kw[fix]
    old = cs[p_idx, kw]
    new = cs[p_idx, kw + 1] - y[who]
    obs = observed[who]
    np.add.at(ge, who, (new >= obs).astype(np.int64) - (old >= obs))
    np.add.at(le, who, (new <= obs).astype(np.int64) - (old <= obs))
    return SumCounts(ge, le, permutations)
