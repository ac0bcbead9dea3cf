"""How concentrated crime is: Lorenz curve, Gini coefficient and the share in the top areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["concentration", "gini", "lorenz", "top_share"]

TOP_SHARES = (0.01, 0.05, 0.10)


def lorenz(values: np.ndarray) -> pd.DataFrame:
    """Cumulative share of areas (lowest first) against cumulative share of the total.

    Starts at (0, 0) and ends at (1, 1); one row per area plus the origin.
    """
    v = np.sort(np.asarray(values, dtype=float))
    total = v.sum()
    cum = np.concatenate([[0.0], np.cumsum(v)]) / (total if total else 1.0)
    return pd.DataFrame({"area_share": np.linspace(0, 1, len(v) + 1), "value_share": cum})


def gini(values: np.ndarray) -> float:
    """Gini coefficient: 0 when every area has the same, (n-1)/n when one area has it all.

    Examples
    --------
    >>> gini(np.array([1, 1, 1, 1]))
    0.0
    >>> gini(np.array([0, 0, 0, 8]))
    0.75
    """
    v = np.sort(np.asarray(values, dtype=float))
    n, total = len(v), v.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * v).sum()) / (n * total) - (n + 1) / n)


def top_share(values: np.ndarray, fraction: float) -> float:
    """Share of the total in the top ``fraction`` of areas (at least one area).

    Examples
    --------
    >>> top_share(np.array([10, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0.1)
    1.0
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    k = max(1, int(np.ceil(fraction * len(v))))
    return float(v[:k].sum() / total) if total else 0.0


def concentration(values: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Gini and top 1%/5%/10% shares for each named measure (e.g. count and harm)."""
    out: dict[str, dict[str, float]] = {}
    for name, v in values.items():
        d = {"areas": float(len(v)), "total": float(np.sum(v)), "gini": gini(v)}
        for f in TOP_SHARES:
            d[f"top_{round(f * 100)}pct_share"] = top_share(v, f)
        out[name] = d
    return out
