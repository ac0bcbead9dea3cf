"""Counts into rates: exact Poisson intervals, year-on-year change and the monthly trend.

Every interval is the exact (Garwood) 95% Poisson interval on the count, divided by the
denominator; every change says which test it used. docs/methods.md gives the formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from vrukit.errors import SchemaError

__all__ = ["RATE_COLUMNS", "YOY_COLUMNS", "monthly_trend", "poisson_ci", "rates", "year_on_year"]

RATE_COLUMNS = ["count", "population", "rate_per_1000", "rate_lo", "rate_hi"]
YOY_COLUMNS = ["previous", "latest", "change", "ratio", "ratio_lo", "ratio_hi", "p_value"]


def poisson_ci(count: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for a Poisson mean, given the observed count.

    Examples
    --------
    >>> lo, hi = poisson_ci(np.array([0, 10]))
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 4.7954], [3.6889, 18.3904])
    """
    c = np.asarray(count, dtype=float)
    a = 1 - level
    lo = np.where(c > 0, stats.chi2.ppf(a / 2, 2 * c) / 2, 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * (c + 1)) / 2
    return lo, hi


def rates(
    counts: pd.DataFrame, *, count: str = "count", population: str = "population", per: int = 1000
) -> pd.DataFrame:
    """Add ``rate_per_1000`` and its exact interval ``rate_lo`` .. ``rate_hi`` to ``counts``.

    Areas with no population get no rate (NaN), never a division by zero.

    Examples
    --------
    >>> rates(pd.DataFrame({"count": [10], "population": [2000]})).round(3).to_dict("records")
    [{'count': 10, 'population': 2000, 'rate_per_1000': 5.0, 'rate_lo': 2.398, 'rate_hi': 9.195}]
    """
    for col in (count, population):
        if col not in counts:
            raise SchemaError("rates", f"no column {col!r} among {list(counts.columns)}")
    out = counts.copy()
    pop = out[population].astype(float).where(out[population] > 0)
    lo, hi = poisson_ci(out[count].to_numpy())
    out["rate_per_1000"] = per * out[count] / pop
    out["rate_lo"] = per * lo / pop
    out["rate_hi"] = per * hi / pop
    return out


def year_on_year(previous: float, latest: float, *, level: float = 0.95) -> dict[str, float]:
    """Change between two equal periods, tested exactly.

    Given the total ``previous + latest``, the latest count is binomial with probability
    ``r / (1 + r)`` under a rate ratio ``r``; the p-value is the exact two-sided binomial test of
    ``r = 1`` and the ratio's interval is the Clopper-Pearson interval mapped back to ``r``.

    Examples
    --------
    >>> out = year_on_year(100, 130)
    >>> round(out["ratio"], 2), round(out["p_value"], 4)
    (1.3, 0.0556)
    """
    n = round(previous + latest)
    k = round(latest)
    if n == 0:
        nan = float("nan")
        return dict(zip(YOY_COLUMNS, [previous, latest, 0.0, nan, nan, nan, nan], strict=True))
    test = stats.binomtest(k, n, 0.5)
    ci = test.proportion_ci(level, method="exact")

    def ratio(p: float) -> float:
        return p / (1 - p) if p < 1 else float("inf")

    return {
        "previous": float(previous),
        "latest": float(latest),
        "change": float(latest - previous),
        "ratio": latest / previous if previous else float("inf"),
        "ratio_lo": ratio(ci.low),
        "ratio_hi": ratio(ci.high),
        "p_value": float(test.pvalue),
    }


def monthly_trend(series: pd.DataFrame, *, month: str = "month", count: str = "count") -> dict:
    """Trend and seasonality of a monthly count series: a Poisson GLM with a linear time term and
    one annual harmonic (sine and cosine), with the scale estimated from the Pearson chi-square
    so that over-dispersion widens the intervals (quasi-Poisson).

    Returns the annual change as a ratio with its 95% interval and p-value, the seasonal peak
    month and amplitude, and the fitted values. Needs 24 months to separate season from trend;
    with fewer, only the trend is fitted and ``seasonal`` is ``None``.
    """
    # The two modules, not statsmodels.api: that import costs 1.5 s more on a one-shot CLI run.
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    s = series.sort_values(month).reset_index(drop=True)
    if len(s) < 3:
        raise SchemaError("trend", f"{len(s)} months: at least 3 are needed for a trend")
    months = pd.PeriodIndex(pd.to_datetime(s[month]), freq="M")
    t = np.asarray((months - months[0]).map(lambda d: d.n), dtype=float)
    cols = {"const": np.ones(len(s)), "years": t / 12}
    seasonal = len(s) >= 24
    if seasonal:
        angle = 2 * np.pi * (months.month.to_numpy() - 1) / 12
        cols["cos"], cols["sin"] = np.cos(angle), np.sin(angle)
    x = pd.DataFrame(cols)
    fit = GLM(s[count].to_numpy(float), x, family=Poisson()).fit(scale="X2")
    b, se = fit.params["years"], fit.bse["years"]
    out = {
        "annual_ratio": float(np.exp(b)),
        "annual_ratio_lo": float(np.exp(b - 1.96 * se)),
        "annual_ratio_hi": float(np.exp(b + 1.96 * se)),
        "p_value": float(fit.pvalues["years"]),
        "dispersion": float(fit.scale),
        "months": len(s),
        "seasonal": None,
        "fitted": fit.fittedvalues.to_numpy().tolist(),
    }
    if seasonal:
        c, d = fit.params["cos"], fit.params["sin"]
        peak = (np.degrees(np.arctan2(d, c)) % 360) / 30
        out["seasonal"] = {
            "peak_month": round(peak) % 12 + 1,
            "amplitude": float(np.exp(np.hypot(c, d)) - 1),
        }
    return out
