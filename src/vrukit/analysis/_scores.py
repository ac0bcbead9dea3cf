"""The scores of a hotspot selection against the crimes that followed: hit rate, area share,
PAI, PAI*, PEI, RRI, the hit rate at a fixed coverage and the Jaccard stability of two
selections. Arrays in (one value per unit: area, hexagon or cell), a number out; None where a
score is undefined, never NaN. ``vrukit.analysis.predictive`` re-exports them and
docs/methods.md ("Do the hotspots predict?") defines each in words.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "area_share",
    "best_crimes",
    "fill",
    "hit_rate",
    "hit_rate_at",
    "jaccard",
    "pai",
    "pai_best",
    "pei",
    "ranking",
    "rri",
]


def hit_rate(selected: np.ndarray, scored: np.ndarray) -> float | None:
    """The share of the crimes in ``scored`` that fall in the ``selected`` units (None: no crime).

    Examples
    --------
    >>> hit_rate(np.array([True, False, False]), np.array([6, 3, 1]))
    0.6
    """
    total = float(np.sum(scored))
    return float(np.sum(scored[selected])) / total if total > 0 else None


def area_share(selected: np.ndarray, km2: np.ndarray) -> float:
    """The selected units' area over all the units' area."""
    return float(np.sum(km2[selected]) / np.sum(km2))


def pai(selected: np.ndarray, scored: np.ndarray, km2: np.ndarray) -> float | None:
    """Chainey, Tompson and Uhlig's (2008) predictive accuracy index: hit rate / area share.
    None when nothing is selected or there is no crime to score.

    Examples
    --------
    >>> pai(np.array([True, False, False]), np.array([5, 3, 2]), np.array([1.0, 1.0, 2.0]))
    2.0
    """
    h, a = hit_rate(selected, scored), area_share(selected, km2)
    return None if h is None or a == 0 else h / a


def fill(crimes: np.ndarray, km2: np.ndarray, area: float) -> float:
    """The crimes gathered by taking units in the given order until ``area`` km² are covered:
    every unit wholly inside ``area`` counts in full and the unit that crosses it counts in
    proportion to the part of its area taken (crimes spread evenly within a unit).

    Examples
    --------
    >>> fill(np.array([10.0, 6.0, 2.0]), np.array([1.0, 2.0, 1.0]), 2.0)  # 10 + 6 x 1/2
    13.0
    """
    reach = np.cumsum(km2)
    whole = int(np.searchsorted(reach, area, side="right"))
    got = float(np.sum(crimes[:whole]))
    if whole < len(km2):
        before = float(reach[whole - 1]) if whole else 0.0
        got += float(crimes[whole]) * max(area - before, 0.0) / float(km2[whole])
    return got


def ranking(score: np.ndarray) -> np.ndarray:
    """Unit positions from the highest ``score`` down; ties keep the units' order."""
    return np.lexsort((np.arange(len(score)), -np.asarray(score, dtype=float)))


def best_crimes(scored: np.ndarray, km2: np.ndarray, area: float) -> float:
    """The most crimes any selection of ``area`` km² could hold in ``scored``: the units with the
    most crimes per km² first, the last in part (``fill``). With units divisible this way it
    is the true maximum, so PEI never exceeds 1."""
    order = ranking(np.asarray(scored, dtype=float) / km2)
    return fill(np.asarray(scored, dtype=float)[order], km2[order], area)


def pai_best(selected: np.ndarray, scored: np.ndarray, km2: np.ndarray) -> float | None:
    """PAI*: the PAI of the best selection of the same area as ``selected`` (``best_crimes``).
    None when nothing is selected or there is no crime to score.

    Examples
    --------
    >>> pai_best(np.array([False, False, True]), np.array([5, 3, 2]), np.array([1.0, 1.0, 2.0]))
    1.6
    """
    total, a = float(np.sum(scored)), area_share(selected, km2)
    if total <= 0 or a == 0:
        return None
    return best_crimes(scored, km2, float(np.sum(km2[selected]))) / total / a


def pei(selected: np.ndarray, scored: np.ndarray, km2: np.ndarray) -> float | None:
    """Hunt's (2016) predictive efficiency index: PAI / PAI*, PAI* the PAI of the best selection
    of the same area (``best_crimes``); as the areas are equal, it is the hotspots' crimes over
    the most that area could hold. None when nothing is selected or nothing is scored.

    Examples
    --------
    >>> pei(np.array([False, False, True]), np.array([5, 3, 2]), np.array([1.0, 1.0, 2.0]))
    0.25
    """
    if not np.any(selected):
        return None
    best = best_crimes(scored, km2, float(np.sum(km2[selected])))
    return float(np.sum(scored[selected])) / best if best > 0 else None


def rri(selected: np.ndarray, fitted: np.ndarray, scored: np.ndarray) -> float | None:
    """Levine's (2008) recapture rate index: (n2 / n1) / (N2 / N1), with n1, n2 the hotspots'
    crimes in the fit and scoring windows and N1, N2 the region's. Above 1: the hotspots kept
    more of their crime than the region did. None when n1, N1 or N2 is 0.

    Examples
    --------
    >>> rri(np.array([True, False]), np.array([10, 30]), np.array([4, 6]))  # (4/10) / (10/40)
    1.6
    """
    n1, n2 = float(np.sum(fitted[selected])), float(np.sum(scored[selected]))
    big1, big2 = float(np.sum(fitted)), float(np.sum(scored))
    return (n2 / n1) / (big2 / big1) if n1 > 0 and big1 > 0 and big2 > 0 else None


def hit_rate_at(
    score: np.ndarray, scored: np.ndarray, km2: np.ndarray, coverage: float
) -> float | None:
    """The hit rate of a method's ranking (``score``, highest first, ties in unit order) taken
    until ``coverage`` of the region's area is covered, the last unit in part (``fill``)."""
    total = float(np.sum(scored))
    if total <= 0:
        return None
    order = ranking(score)
    got = fill(np.asarray(scored, dtype=float)[order], km2[order], coverage * float(np.sum(km2)))
    return got / total


def jaccard(a: np.ndarray, b: np.ndarray) -> float | None:
    """|a ∩ b| / |a ∪ b| of two selections (boolean masks); None when both are empty."""
    union = int(np.sum(a | b))
    return int(np.sum(a & b)) / union if union else None
