"""Engaged against declined, fairly: a propensity-score matched comparison.

Those who engage with an intervention are rarely like those who decline: in the seed report,
about 11% of those who engaged re-offended against 66% of those who refused, but the young
people who engage were at lower risk to begin with (fewer prior offences, older, less deprived
areas). The naive gap mixes that *selection* with any effect of engaging.

``matched_comparison`` estimates the propensity to engage from the recorded covariates
(logistic regression, statsmodels), then pairs each member of the smaller group with the
nearest member of the larger one on the logit of that propensity (greedy, without replacement,
within a caliper of 0.2 standard deviations - Austin 2011), and compares the outcome within
pairs: the effect is the mean paired difference, its interval the paired t-interval. Balance
before and after matching is reported as standardised mean differences (|SMD| < 0.1 is the
usual sign of balance). It removes only the selection the covariates record; anything else that
drives both engagement and re-offending still biases it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = ["MatchedComparison", "matched_comparison", "naive_gap"]


@dataclass(frozen=True)
class MatchedComparison:
    """Outcome rate difference, treated minus comparison (negative: fewer re-offend)."""

    effect: float
    low: float
    high: float
    pairs: int
    unmatched: int
    #: Which group was matched: "treated" (effect on the treated) or "comparison" (the effect
    #: engaging would have had on those who declined).
    matched_group: str
    #: Standardised mean difference of each covariate: before and after matching.
    balance: pd.DataFrame


def naive_gap(frame: pd.DataFrame, treated: str, outcome: str) -> tuple[float, float, float]:
    """Outcome rate among the treated, among the rest, and the difference (with no adjustment)."""
    t = frame.loc[frame[treated].astype(bool), outcome].astype(float)
    c = frame.loc[~frame[treated].astype(bool), outcome].astype(float)
    return float(t.mean()), float(c.mean()), float(t.mean() - c.mean())


def _design(frame: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    x = pd.get_dummies(frame[covariates], drop_first=True, dtype=float)
    return sm.add_constant(x, has_constant="add")


def _smd(x: pd.DataFrame, t: np.ndarray) -> pd.Series:
    a, b = x[t], x[~t]
    pooled = np.sqrt((a.var() + b.var()) / 2).replace(0, np.nan)
    return (a.mean() - b.mean()) / pooled


def _pairs(
    score: np.ndarray,
    small: np.ndarray,
    large: np.ndarray,
    caliper: float,
    rng: np.random.Generator,
) -> list[tuple[int, int]]:
    """Greedy nearest-neighbour pairs (index into ``small``'s and ``large``'s positions) in
    random order of the smaller group, without replacement, within ``caliper``."""
    order = np.argsort(score[large], kind="stable")
    pool = score[large][order]
    free = np.ones(len(pool), dtype=bool)
    out = []
    for i in rng.permutation(small):
        at = int(np.searchsorted(pool, score[i]))
        best, gap = -1, caliper
        for step in (-1, 1):  # walk outwards to the nearest free neighbour on each side
            j = at if step == 1 else at - 1
            while 0 <= j < len(pool) and not free[j]:
                j += step
            if 0 <= j < len(pool) and abs(pool[j] - score[i]) <= gap:
                best, gap = j, abs(pool[j] - score[i])
        if best >= 0:
            free[best] = False
            out.append((int(i), int(large[order[best]])))
    return out


def matched_comparison(
    frame: pd.DataFrame,
    treated: str,
    outcome: str,
    covariates: list[str],
    *,
    caliper_sd: float = 0.2,
    seed: int = 0,
    min_pairs: int = 30,
) -> MatchedComparison | None:
    """The matched difference in ``outcome`` between ``treated`` and the rest, or ``None`` when
    the data do not allow it (fewer than ``min_pairs`` pairs, or a propensity model that does
    not fit)."""
    data = frame.dropna(subset=[treated, outcome, *covariates]).reset_index(drop=True)
    t = data[treated].astype(bool).to_numpy()
    if min(t.sum(), (~t).sum()) < min_pairs:
        return None
    x = _design(data, covariates)
    try:
        fit = sm.Logit(t.astype(float), x).fit(disp=0)
    except (np.linalg.LinAlgError, sm.tools.sm_exceptions.PerfectSeparationError):
        return None
    p = np.clip(np.asarray(fit.predict(x)), 1e-6, 1 - 1e-6)
    score = np.log(p / (1 - p))
    treated_small = t.sum() <= (~t).sum()
    small, large = (np.flatnonzero(t), np.flatnonzero(~t))
    if not treated_small:
        small, large = large, small
    pairs = _pairs(score, small, large, caliper_sd * score.std(), np.random.default_rng(seed))
    if len(pairs) < min_pairs:
        return None
    y = data[outcome].astype(float).to_numpy()
    idx = np.array(pairs)
    ti, ci = (idx[:, 0], idx[:, 1]) if treated_small else (idx[:, 1], idx[:, 0])
    diff = y[ti] - y[ci]
    n = len(diff)
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n)
    covs = x.drop(columns="const")
    matched = np.concatenate([ti, ci])
    balance = pd.DataFrame({"before": _smd(covs, t), "after": _smd(covs.iloc[matched], t[matched])})
    return MatchedComparison(
        effect=float(diff.mean()),
        low=float(diff.mean() - half),
        high=float(diff.mean() + half),
        pairs=n,
        unmatched=len(small) - n,
        matched_group="treated" if treated_small else "comparison",
        balance=balance,
    )
