"""A forecast of the next three months of violence for every area, with honest uncertainty,
checked against two baselines by rolling origin before anyone is shown it.

**The model** (``count_model``): one negative binomial (NB2) regression pooled over areas,
fitted directly for each horizon of one to three months (statsmodels' ``NegativeBinomial``,
which estimates the dispersion). For an area at a forecast origin it reads the area's mean
monthly count over the last 12 months and the last 3, its count in the target month a year
before (seasonality the area itself shows), the mean count of its neighbours over the last 3
months (the spatial term: violence next door spreads and signals), and how far the whole
region's count in the target month a year before sat from its 12-month mean (the region's
season, far less noisy than one area's). Every input is known at the origin, so the forecast
never peeks. Its 80% and 95% prediction intervals are the negative binomial's quantiles.

**The baselines**: the seasonal naive forecast (the same month last year) and the rolling mean
of the last 12 months, each given a negative binomial spread estimated from its own past errors
so that their intervals, too, are honest. A forecast that does not beat both is not worth
publishing.

**The check** (``rolling_origin``): at each origin, every model is fitted on the months before
it and scored on the next three: MASE (mean absolute error over that of the seasonal naive
forecast within the fitting months, pooled over areas; Hyndman and Koehler 2006), CRPS (the
continuous ranked probability score of the whole predictive distribution, for counts; Gneiting
and Raftery 2007), the interval score of the 95% interval, and the share of actual counts inside
the 80% and 95% intervals (coverage). ``worth_publishing`` states the rule: the model's MASE
below both baselines' and its 95% intervals covering between 90% and 98% of the counts.

Local authorities add their areas: the sum's mean is the sum of the means, and its spread is
the negative binomial with the summed variance (areas treated as independent, which widens
nothing: where neighbouring areas move together the intervals are too narrow, and the check
on local authorities reports it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import stats

__all__ = [
    "HORIZON",
    "LEVELS",
    "Fitted",
    "Predictive",
    "count_model",
    "forecast_table",
    "rolling_mean",
    "rolling_origin",
    "seasonal_naive",
    "worth_publishing",
]

#: Months ahead forecast.
HORIZON = 3
#: Central prediction intervals given.
LEVELS = (0.8, 0.95)
#: Months of history the models need before their first forecast origin.
MIN_HISTORY = 12
#: Origins of training the count model needs before it is fitted (each gives every area a row).
MIN_TRAINING_ORIGINS = 3


@dataclass(frozen=True)
class Predictive:
    """Negative binomial (NB2) predictive distributions: ``mean`` (areas x horizon) and one
    dispersion ``alpha`` (variance = mean + alpha * mean^2; 0 is Poisson)."""

    mean: np.ndarray
    alpha: float

    def _dist(self) -> object:
        """The distributions as SciPy's: Poisson where the dispersion adds nothing."""
        mu = np.maximum(self.mean, 1e-9)
        if np.all(self.alpha * mu <= 1e-9):
            return stats.poisson(mu)
        return stats.nbinom(1 / self.alpha, 1 / (1 + self.alpha * mu))

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The central ``level`` interval (inclusive counts)."""
        d = self._dist()
        a = (1 - level) / 2
        return d.ppf(a), d.ppf(1 - a)  # type: ignore[attr-defined]

    def crps(self, y: np.ndarray) -> np.ndarray:
        """CRPS of each cell for the observed counts ``y``: the sum over k of
        (F(k) - 1{y <= k})^2, which is the CRPS of a distribution on the integers."""
        d = self._dist()
        top = int(max(np.max(y), np.max(d.ppf(1 - 1e-10)))) + 1  # type: ignore[attr-defined]
        k = np.arange(top + 1).reshape((-1,) + (1,) * y.ndim)
        f = d.cdf(k)  # type: ignore[attr-defined]
        return np.sum((f - (y[None] <= k)) ** 2, axis=0)


@dataclass(frozen=True)
class Fitted:
    """A model's forecast for each area, and its forecasts of months it was fitted on (areas x
    cells, beside what happened), from which the spread of any sum of areas is estimated."""

    forecast: Predictive
    past_actual: np.ndarray
    past_mean: np.ndarray

    def summed(self, groups: np.ndarray) -> Predictive:
        """The forecast of each group's total (areas with the same label in ``groups``, sorted
        by label): the summed means, with a dispersion estimated from the same sums of the
        model's past forecasts, so areas that move together widen the interval as they should."""
        _, inverse = np.unique(groups, return_inverse=True)
        g = sp.csr_matrix((np.ones(len(groups)), (inverse, np.arange(len(groups)))))
        alpha = _dispersion(g @ self.past_actual, g @ self.past_mean)
        return Predictive(np.asarray(g @ self.forecast.mean), alpha)


# -- baselines ----------------------------------------------------------------------------------


def _dispersion(y: np.ndarray, mu: np.ndarray) -> float:
    """Method-of-moments NB2 dispersion of counts ``y`` around forecasts ``mu`` (0 when no
    extra-Poisson spread is left)."""
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-9)
    y = np.asarray(y, dtype=float)
    return max(float((np.sum((y - mu) ** 2) - np.sum(mu)) / np.sum(mu**2)), 0.0)


def _past(
    history: np.ndarray, point: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """A baseline's forecasts at earlier origins within ``history``, beside what happened."""
    ys, mus = [], []
    for t in range(MIN_HISTORY, history.shape[1] - HORIZON + 1):
        ys.append(history[:, t : t + HORIZON])
        mus.append(point(history[:, :t]))
    if not ys:
        empty = np.zeros((len(history), 0))
        return empty, empty
    return np.concatenate(ys, axis=1).astype(float), np.concatenate(mus, axis=1)


def _baseline(history: np.ndarray, point: Callable[[np.ndarray], np.ndarray]) -> Fitted:
    y, mu = _past(history, point)
    return Fitted(Predictive(point(history), _dispersion(y, mu) if y.size else 0.0), y, mu)


def _seasonal_point(history: np.ndarray) -> np.ndarray:
    t = history.shape[1]
    return history[:, t - 12 : t - 12 + HORIZON].astype(float)


def _mean_point(history: np.ndarray) -> np.ndarray:
    return np.repeat(history[:, -12:].mean(axis=1, keepdims=True), HORIZON, axis=1)


def seasonal_naive(history: np.ndarray) -> Fitted:
    """Next months = the same months a year before (``history``: areas x months, oldest
    first, at least 12 months); the spread from its own errors at earlier origins."""
    return _baseline(history, _seasonal_point)


def rolling_mean(history: np.ndarray) -> Fitted:
    """Next months = the mean of the last 12."""
    return _baseline(history, _mean_point)


# -- the count model ----------------------------------------------------------------------------


def _row_standardised(w: sp.spmatrix) -> sp.csr_matrix:
    w = sp.csr_matrix(w, dtype=float)
    sums = np.asarray(w.sum(axis=1)).ravel()
    return sp.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)) @ w


def _features(history: np.ndarray, w: sp.csr_matrix, t: int, k: int) -> np.ndarray:
    """Inputs for forecasting month ``t + k - 1`` from an origin with months ``0 .. t - 1``
    observed (``k`` = 1 .. HORIZON): one row per area."""
    seen = history[:, :t].astype(float)
    m12, m3 = seen[:, -12:].mean(axis=1), seen[:, -3:].mean(axis=1)
    last_year = seen[:, t + k - 13]
    region = seen.sum(axis=0)
    season = np.log(max(region[t + k - 13], 0.5) / max(region[-12:].mean(), 0.5))
    cols = [np.ones(len(seen)), np.log1p(m12), np.log1p(m3), np.log1p(last_year),
            np.log1p(w @ m3), np.full(len(seen), season)]  # fmt: skip
    cols += [np.full(len(seen), float(k == h)) for h in range(2, HORIZON + 1)]
    return np.column_stack(cols)


def _training(history: np.ndarray, w: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for t in range(MIN_HISTORY, history.shape[1]):
        for k in range(1, HORIZON + 1):
            if t + k - 1 < history.shape[1]:
                xs.append(_features(history, w, t, k))
                ys.append(history[:, t + k - 1])
    return np.vstack(xs), np.concatenate(ys).astype(float)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """NB2 coefficients and dispersion by maximum likelihood (statsmodels); when that does not
    converge, Poisson coefficients and a method-of-moments dispersion."""
    start = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = sm.NegativeBinomial(y, x).fit(
                start_params=np.r_[start.params, 0.1], disp=0, maxiter=200, method="bfgs"
            )
            beta, alpha = np.asarray(nb.params[:-1]), float(nb.params[-1])
            if nb.mle_retvals.get("converged", False) and np.isfinite(beta).all() and alpha >= 0:
                return beta, alpha
        except (np.linalg.LinAlgError, ValueError):
            pass
    beta = np.asarray(start.params)
    return beta, _dispersion(y, np.exp(x @ beta))


def count_model(history: np.ndarray, neighbours: sp.spmatrix) -> Fitted:
    """The negative binomial model fitted on ``history`` (areas x months) and its forecast of
    the next ``HORIZON`` months; ``neighbours`` is the areas' neighbour matrix."""
    t = history.shape[1]
    if t < MIN_HISTORY + MIN_TRAINING_ORIGINS:
        raise ValueError(
            f"the count model needs {MIN_HISTORY + MIN_TRAINING_ORIGINS} months of history; "
            f"there are {t}"
        )
    w = _row_standardised(neighbours)
    x, y = _training(history, w)
    beta, alpha = _fit(x, y)
    mean = np.column_stack(
        [np.exp(_features(history, w, t, k) @ beta) for k in range(1, HORIZON + 1)]
    )
    n = len(history)  # the training rows come a block of every area at a time
    return Fitted(Predictive(mean, alpha), y.reshape(-1, n).T, np.exp(x @ beta).reshape(-1, n).T)


MODELS: dict[str, Callable[[np.ndarray, sp.spmatrix], Fitted]] = {
    "negative binomial model": count_model,
    "seasonal naive": lambda h, _w: seasonal_naive(h),
    "rolling mean (12 months)": lambda h, _w: rolling_mean(h),
}


# -- the check ----------------------------------------------------------------------------------


def _mase_scale(history: np.ndarray) -> float:
    """Mean absolute error of the seasonal naive forecast within ``history``, over all areas."""
    d = np.abs(history[:, 12:] - history[:, :-12])
    return float(d.mean()) if d.size and d.mean() > 0 else 1.0


def _interval_score(lo: np.ndarray, hi: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """Gneiting and Raftery's interval score: width, plus 2 / (1 - level) times the miss."""
    a = 1 - level
    return (hi - lo) + 2 / a * (lo - y) * (y < lo) + 2 / a * (y - hi) * (y > hi)


def _score(p: Predictive, y: np.ndarray, scale: float) -> dict[str, float]:
    out = {"mase": float(np.abs(y - p.mean).mean() / scale), "crps": float(p.crps(y).mean())}
    for level in LEVELS:
        lo, hi = p.interval(level)
        out[f"coverage_{round(level * 100)}"] = float(((y >= lo) & (y <= hi)).mean())
    lo, hi = p.interval(0.95)
    out["interval_score_95"] = float(_interval_score(lo, hi, y, 0.95).mean())
    return out


def rolling_origin(
    counts: np.ndarray, neighbours: sp.spmatrix, *, groups: np.ndarray | None = None,
    first: int = MIN_HISTORY + MIN_TRAINING_ORIGINS, step: int = HORIZON,
    say: Callable[[str], None] = lambda _m: None,
) -> pd.DataFrame:  # fmt: skip
    """Every model fitted at each origin (``first``, ``first + step``, ... while three months
    remain) on the months before it and scored on the next three: one row per origin, model
    and level (``area``, or ``group`` for the sums over ``groups``, local authorities say),
    with ``mase``, ``crps``, ``interval_score_95``, ``coverage_80``, ``coverage_95``, ``cells``.
    ``counts``: areas x months, oldest first."""
    rows = []
    origins = list(range(first, counts.shape[1] - HORIZON + 1, step))
    for n, t in enumerate(origins, 1):
        say(f"origin {n} of {len(origins)}: fitting on {t} months, scoring the next {HORIZON}")
        history, actual = counts[:, :t], counts[:, t : t + HORIZON].astype(float)
        scale = _mase_scale(history)
        for name, model in MODELS.items():
            fitted = model(history, neighbours)
            rows.append({"origin": t, "model": name, "level": "area", "cells": actual.size}
                        | _score(fitted.forecast, actual, scale))  # fmt: skip
            if groups is not None:
                rows.append({"origin": t, "model": name, "level": "group"}
                            | _group_score(fitted, groups, history, actual))  # fmt: skip
    return pd.DataFrame(rows)


def _group_score(
    fitted: Fitted, groups: np.ndarray, history: np.ndarray, actual: np.ndarray
) -> dict[str, float]:
    _, inverse = np.unique(groups, return_inverse=True)
    g = sp.csr_matrix((np.ones(len(groups)), (inverse, np.arange(len(groups)))))
    total = np.asarray(g @ actual)
    return {"cells": total.size} | _score(
        fitted.summed(groups), total, _mase_scale(np.asarray(g @ history))
    )


def summary(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Each model's scores over all origins (weighted by cells), per level."""
    metrics = ["mase", "crps", "interval_score_95", "coverage_80", "coverage_95"]
    weighted = evaluation[metrics].mul(evaluation.cells, axis=0)
    g = weighted.groupby([evaluation.level, evaluation.model], sort=False).sum()
    cells = evaluation.groupby(["level", "model"], sort=False).cells.sum()
    out = g.div(cells, axis=0).reset_index()
    out["origins"] = evaluation.groupby(["level", "model"], sort=False).origin.nunique().values
    return out


def worth_publishing(summary_table: pd.DataFrame, level: str = "area") -> tuple[bool, str]:
    """Whether the model's forecast may be published, and why (in words): its MASE must beat
    both baselines' and its 95% intervals must cover between 90% and 98% of actual counts."""
    s = summary_table[summary_table.level == level].set_index("model")
    model = s.loc["negative binomial model"]
    best = s.drop(index="negative binomial model").mase.min()
    cover = model.coverage_95
    if model.mase >= best:
        return False, (f"it did not beat the baselines (MASE {model.mase:.3f} against "
                       f"{best:.3f})")  # fmt: skip
    if not 0.90 <= cover <= 0.98:
        return False, f"its 95% intervals covered {cover:.1%} of counts, outside 90% to 98%"
    return True, (f"MASE {model.mase:.3f} against the best baseline's {best:.3f}; its 95% "
                  f"intervals covered {cover:.1%} of counts")  # fmt: skip


def forecast_table(
    p: Predictive, ids: np.ndarray, months: list[str], level: str = "area"
) -> pd.DataFrame:
    """A forecast as a tidy table: ``level``, ``code``, ``month``, ``mean`` and the bounds of
    each interval (``lo80``, ``hi80``, ``lo95``, ``hi95``)."""
    out = pd.DataFrame({"level": level, "code": np.repeat(ids, len(months)),
                        "month": np.tile(months, len(ids)), "mean": p.mean.ravel()})  # fmt: skip
    for level_ in LEVELS:
        lo, hi = p.interval(level_)
        pct = round(level_ * 100)
        out[f"lo{pct}"], out[f"hi{pct}"] = lo.ravel().astype(int), hi.ravel().astype(int)
    return out
