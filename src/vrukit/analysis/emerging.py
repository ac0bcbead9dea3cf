"""Emerging hotspots: a space-time cube by month, Gi* per month and a Mann-Kendall trend per area.

Each area is classified with the pattern definitions of ArcGIS Pro's Emerging Hot Spot Analysis
(listed in ``PATTERNS`` and docs/methods.md). Each month's Gi* counts a trailing window of months
in each spatial neighbourhood (``time_window``), uses the analytic z-score and applies FDR across
the areas of that month, as ArcGIS does; the map mean and variance are those of the month's
window, not of the whole cube.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from vrukit.analysis.hotspots import fdr, gi_analytic
from vrukit.analysis.neighbours import Neighbours
from vrukit.errors import SchemaError

__all__ = ["EMERGING_COLUMNS", "PATTERNS", "emerging_hotspots", "gi_star_cube", "mann_kendall"]

EMERGING_COLUMNS = [
    "area_code",
    "pattern",
    "hot_months",
    "cold_months",
    "final_gi_z",
    "trend_tau",
    "trend_z",
    "trend_p",
]

PATTERNS = {
    "new": "significant hot (cold) spot in the final month and never before",
    "consecutive": "an unbroken run of at least two significant months ending in the final "
    "month, never significant before the run, and fewer than 90% of all months significant",
    "intensifying": "significant in at least 90% of months including the final one, with the "
    "Gi* z-scores rising significantly over time (Mann-Kendall)",
    "persistent": "significant in at least 90% of months with no significant trend",
    "diminishing": "significant in at least 90% of months including the final one, with the "
    "Gi* z-scores falling significantly over time (Mann-Kendall)",
    "sporadic": "significant in the final month, on and off before, fewer than 90% of months, "
    "and never significant the other way",
    "oscillating": "significant in the final month, significant the other way in some earlier "
    "month, and fewer than 90% of months",
    "historical": "not significant in the final month, but significant in at least 90% of months",
}


def mann_kendall(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``x`` (areas x time): tau, z and two-sided p.

    Uses the normal approximation with the tie-corrected variance and continuity correction.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    t = x.shape[1]
    # S sums sign(x_j - x_i) over all pairs i < j, taken one lag at a time: memory stays at one
    # areas x months array (all pairs at once needed 4 GB for 35,000 areas over 120 months).
    s = np.zeros(len(x))
    for lag in range(1, t):
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    var = np.full(len(x), t * (t - 1) * (2 * t + 5) / 18.0)
    srt = np.sort(x, axis=1)
    tied_rows = np.nonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))[0]
    for r in tied_rows:
        _, g = np.unique(x[r], return_counts=True)
        var[r] -= (g * (g - 1) * (2 * g + 5)).sum() / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    return s / (t * (t - 1) / 2), z, 2 * stats.norm.sf(np.abs(z))


def gi_star_cube(cube: np.ndarray, nb: Neighbours) -> np.ndarray:
    """Analytic Gi* z-scores (binary weights with self) for every column of ``cube`` at once."""
    _, z = gi_analytic(np.asarray(cube, dtype=float), nb)
    return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)


def _final_run(sig: np.ndarray) -> np.ndarray:
    """Length of the unbroken run of True values that ends in the last column."""
    rev = sig[:, ::-1]
    first_false = np.where(~rev.any(axis=1), 0, np.argmin(rev, axis=1))
    return np.where(rev.all(axis=1), sig.shape[1], first_false)


def _classify(sig: np.ndarray, other: np.ndarray, trend: int, tz: np.ndarray, tp: np.ndarray,
              alpha: float) -> np.ndarray:  # fmt: skip
    """Pattern names for one direction (``sig``: significant this way; ``other``: the other way)."""
    t = sig.shape[1]
    total = sig.sum(axis=1)
    frac = total / t
    final = sig[:, -1]
    run = _final_run(sig)
    trending = tp < alpha
    rules = [
        ("new", final & (total == 1)),
        ("consecutive", final & (run >= 2) & (total == run) & (frac < 0.9)),
        ("intensifying", (frac >= 0.9) & final & trending & (trend * tz > 0)),
        ("persistent", (frac >= 0.9) & ~trending),
        ("diminishing", (frac >= 0.9) & final & trending & (trend * tz < 0)),
        ("sporadic", final & (frac < 0.9) & ~other.any(axis=1)),
        ("oscillating", final & (frac < 0.9) & other[:, :-1].any(axis=1)),
        ("historical", ~final & (frac >= 0.9)),
    ]
    out = np.full(len(sig), "", dtype=object)
    for name, hit in rules:
        out[(out == "") & hit] = name
    return out


def _trailing_sum(y: np.ndarray, window: int) -> np.ndarray:
    """Each month plus the ``window`` months before it (fewer at the start of the series)."""
    c = np.cumsum(y, axis=1)
    out = c.copy()
    out[:, window + 1 :] -= c[:, : -(window + 1)]
    return out


def emerging_hotspots(
    cube: np.ndarray,
    nb: Neighbours,
    *,
    alpha: float = 0.05,
    correction: str = "fdr",
    time_window: int = 2,
) -> pd.DataFrame:
    """Classify every area's space-time pattern from a cube of counts (areas x months, in order).

    ``pattern`` is e.g. "new hot spot", "consecutive cold spot" or "no pattern". Each month's
    Gi* counts that month and the ``time_window`` months before it in every neighbourhood (the
    space-time neighbourhood of ArcGIS's "neighborhood time step"; 0 for the month alone).
    The default of 2 (a three-month window) is vrukit's choice for monthly police.uk counts per
    LSOA, which are small: on the demo region it classifies planted emerging and diminishing
    areas right 92% of the time against 64% with the month alone (docs/methods.md).
    """
    y = np.asarray(cube, dtype=float)
    if y.ndim != 2 or y.shape[0] != nb.n:
        raise SchemaError("emerging", f"cube has shape {y.shape}, expected ({nb.n}, months)")
    if y.shape[1] < 3:
        raise SchemaError("emerging", f"{y.shape[1]} months: at least 3 are needed")
    z = gi_star_cube(_trailing_sum(y, time_window) if time_window else y, nb)
    p = 2 * stats.norm.sf(np.abs(z))
    if correction == "fdr":
        p = np.column_stack([fdr(p[:, t]) for t in range(p.shape[1])])
    sig = p <= alpha
    hot, cold = sig & (z > 0), sig & (z < 0)
    tau, tz, tp = mann_kendall(z)
    hot_pat = _classify(hot, cold, +1, tz, tp, alpha)
    cold_pat = _classify(cold, hot, -1, tz, tp, alpha)
    pattern = np.where(
        hot_pat != "",
        [f"{x} hot spot" for x in hot_pat],
        np.where(cold_pat != "", [f"{x} cold spot" for x in cold_pat], "no pattern"),
    )
    return pd.DataFrame(
        {
            "area_code": nb.ids,
            "pattern": pattern,
            "hot_months": hot.sum(axis=1),
            "cold_months": cold.sum(axis=1),
            "final_gi_z": z[:, -1],
            "trend_tau": tau,
            "trend_z": tz,
            "trend_p": tp,
        }
    )[EMERGING_COLUMNS]
