"""Concentration figures against a direct numpy computation."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from vrukit.analysis.concentration import concentration, gini, lorenz, top_share


def _gini_by_mean_difference(v: np.ndarray) -> float:
    """Gini as the mean absolute difference over twice the mean (the textbook definition)."""
    v = v.astype(float)
    return np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=2, max_size=80))
def test_gini_equals_mean_difference_formula(values):
    v = np.array(values)
    if v.sum() == 0:
        assert gini(v) == 0.0
    else:
        assert abs(gini(v) - _gini_by_mean_difference(v)) < 1e-9


def test_top_shares_and_lorenz_by_hand():
    v = np.arange(1, 101)  # 1..100, total 5050
    assert top_share(v, 0.01) == 100 / 5050
    assert top_share(v, 0.05) == sum(range(96, 101)) / 5050
    assert top_share(v, 0.10) == sum(range(91, 101)) / 5050
    curve = lorenz(v)
    assert curve.iloc[0].tolist() == [0.0, 0.0] and curve.iloc[-1].tolist() == [1.0, 1.0]
    assert curve.value_share.is_monotonic_increasing
    c = concentration({"count": v})["count"]
    assert c["total"] == 5050 and c["top_10pct_share"] == top_share(v, 0.1)
