"""Rates, exact intervals, year-on-year tests and trends against hand-computed references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from vrukit.analysis.areas import rollup
from vrukit.analysis.rates import monthly_trend, poisson_ci, rates, year_on_year


def test_poisson_ci_matches_garwood_table():
    # Garwood (1936) exact 95% limits, as tabulated by e.g. the Public Health England
    # fingertips tools: 0 -> (0, 3.689), 1 -> (0.0253, 5.572), 10 -> (4.795, 18.39).
    lo, hi = poisson_ci(np.array([0, 1, 10]))
    np.testing.assert_allclose(lo, [0.0, 0.025318, 4.795389], atol=1e-6)
    np.testing.assert_allclose(hi, [3.688879, 5.571643, 18.390356], atol=1e-6)


def test_poisson_ci_is_the_gamma_quantile():
    c = np.arange(1, 60)
    lo, hi = poisson_ci(c)
    np.testing.assert_allclose(lo, stats.gamma.ppf(0.025, c), rtol=1e-10)
    np.testing.assert_allclose(hi, stats.gamma.ppf(0.975, c + 1), rtol=1e-10)


def test_rates_by_hand():
    out = rates(pd.DataFrame({"count": [25, 0, 7], "population": [1600, 1200, 0]}))
    assert out.rate_per_1000.iloc[0] == pytest.approx(1000 * 25 / 1600)
    lo, hi = stats.chi2.ppf(0.025, 50) / 2, stats.chi2.ppf(0.975, 52) / 2
    assert out.rate_lo.iloc[0] == pytest.approx(1000 * lo / 1600)
    assert out.rate_hi.iloc[0] == pytest.approx(1000 * hi / 1600)
    assert out.rate_per_1000.iloc[1] == 0 and out.rate_lo.iloc[1] == 0
    assert out.rate_hi.iloc[1] == pytest.approx(1000 * 3.688879 / 1200, rel=1e-6)
    assert np.isnan(out.rate_per_1000.iloc[2]), "no residents: no rate, not infinity"


def test_year_on_year_is_the_exact_conditional_test():
    out = year_on_year(120, 150)
    ref = stats.binomtest(150, 270, 0.5)
    assert out["p_value"] == pytest.approx(ref.pvalue)
    ci = ref.proportion_ci(0.95, method="exact")
    assert out["ratio_lo"] == pytest.approx(ci.low / (1 - ci.low))
    assert out["ratio_hi"] == pytest.approx(ci.high / (1 - ci.high))
    assert out["ratio"] == pytest.approx(1.25) and out["change"] == 30


def test_trend_recovers_a_planted_trend_and_season():
    """Over 40 simulated series the 95% interval covers the planted trend about 95% of the time."""
    months = pd.period_range("2019-04", periods=48, freq="M")
    t = np.arange(48)
    mu = 400 * 1.10 ** (t / 12) * np.exp(0.15 * np.cos(2 * np.pi * (months.month - 7) / 12))
    covered, peaks, amps = 0, [], []
    for seed in range(40):
        y = np.random.default_rng(seed).poisson(mu)
        out = monthly_trend(pd.DataFrame({"month": months.to_timestamp(), "count": y}))
        covered += out["annual_ratio_lo"] < 1.10 < out["annual_ratio_hi"]
        peaks.append(out["seasonal"]["peak_month"])
        amps.append(out["seasonal"]["amplitude"])
    assert 34 <= covered <= 40
    assert set(peaks) == {7}
    assert abs(np.mean(amps) - (np.exp(0.15) - 1)) < 0.01


@given(
    st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=7),
)
def test_aggregation_to_any_level_preserves_totals(counts, n_groups):
    n = len(counts)
    areas = pd.DataFrame(
        {
            "lsoa_code": [f"E01{i:06d}" for i in range(n)],
            "msoa_code": [f"E02{i % max(1, n_groups * 2):06d}" for i in range(n)],
            "msoa_name": "m",
            "lad_code": [f"E08{i % n_groups:06d}" for i in range(n)],
            "lad_name": "l",
        }
    )
    frame = pd.DataFrame({"lsoa_code": areas.lsoa_code, "count": counts})
    for level in ("msoa", "lad"):
        assert rollup(frame, areas, level=level, values=["count"])["count"].sum() == sum(counts)
