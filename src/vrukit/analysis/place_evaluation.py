"""Place-tier evaluation: did violence fall in a pilot place more than where there was no pilot?

Two designs on monthly police-recorded violence, each with its own checks:

**Difference-in-differences** (``did``). Poisson regression of each area's monthly count on area
and month fixed effects and ``pilot x after``: the month effects absorb what happens everywhere
(season, trend, a pandemic), the area effects each area's level, so ``exp(beta) - 1`` is the
relative change in the pilot beyond the comparison areas'. With ten or so pilot areas,
cluster-robust standard errors are too small (few treated clusters: Conley and Taber, 2011), so
the interval comes from **placebos in space**: the same model with the "pilot" drawn at random,
many times, from the comparison areas; the spread of those null estimates is the estimate's
error. (The cluster-robust interval is reported beside it.) Comparison areas are matched to the
pilot's areas on their violence level before the start (``comparison_areas``), after screening
out areas whose violence shifted level for reasons of their own (``screen_breaks``: a new
night-time economy, a closed venue) - the comparison must stand for "what would have
happened". Checks: an **event study** (the effect by quarter relative to the start; the quarters
before it should be near zero - parallel trends) and an **in-time placebo** (the same design on
the pre-period alone with a false start half-way: it should find nothing).

**Synthetic control** (``synthetic_control``). The pilot's monthly rate is matched, over the
months before the start, by a weighted average of donor places (weights >= 0, summing to 1);
after the start the weighted average is the counterfactual. The effect is the relative gap
after the start. Inference is by **placebos in space**: every donor in turn is treated as if it
had been the pilot. The p-value ranks the pilot's ratio of post- to pre-period prediction error
among theirs (Abadie, Diamond and Hainmueller 2010); the spread of their effects gives the
interval.

Both are **Maryland Scientific Methods Scale level 3**: a comparison between places with and
without the intervention, before and after, with checks on the comparison's credibility. Level 4
would need many places where pilots started at different times or were assigned with some
randomness; level 5 a randomised design.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize

from vrukit.analysis.breaks import level_shifts

__all__ = [
    "DidResult",
    "SynthResult",
    "comparison_areas",
    "did",
    "donor_places",
    "poisson_did",
    "screen_breaks",
    "synthetic_control",
]

#: Maryland Scientific Methods Scale level of the place designs, and why.
SMS_PLACE = (3, "comparison places without the pilot, before and after, with placebo checks")


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences: the relative effect, its 95% interval, and the checks."""

    effect: float
    low: float
    high: float
    p: float
    cluster_ci: tuple[float, float]
    event_study: pd.DataFrame
    placebo: dict[str, float | str]
    treated: int
    comparison: int
    sms_level: int = SMS_PLACE[0]


@dataclass(frozen=True)
class SynthResult:
    """Synthetic control: the relative effect, its placebo interval, weights and the series."""

    effect: float
    low: float
    high: float
    p: float
    weights: pd.Series
    series: pd.DataFrame
    pre_rmspe: float
    placebo_effects: np.ndarray
    post_rmspe: float
    #: Each donor's post/pre RMSPE ratio as a placebo (the p-value ranks the pilot's among them).
    placebo_ratios: np.ndarray
    #: Each donor's pre-period RMSPE as a placebo: how well the method fits a place before.
    placebo_pre_rmspe: np.ndarray
    #: How the interval was found: "test inversion" or (failing that) "placebo effects".
    interval: str
    sms_level: int = SMS_PLACE[0]

    @property
    def rmspe_ratio(self) -> float:
        return _ratio(self.pre_rmspe, self.post_rmspe)


def screen_breaks(counts: pd.DataFrame, *, p: float = 1e-3, change: float = 0.25) -> set[str]:
    """Areas whose monthly count shifts level (``level_shift``: Bonferroni p < ``p`` and a
    change of at least ``change``): not fit to stand for a pilot's counterfactual."""
    wide = counts.pivot_table(
        index="area", columns="month", values="count", aggfunc="sum", fill_value=0
    )
    _, pv, ch = level_shifts(wide.to_numpy())
    return {str(a) for a in wide.index[(pv < p) & (np.abs(ch) >= change)]}


def comparison_areas(
    counts: pd.DataFrame, treated: set[str], start: str, *, k: int = 100,
    exclude: Collection[str] = (),
) -> list[str]:  # fmt: skip
    """The ``k`` areas (not treated, not excluded) whose mean monthly count before ``start``
    is closest to the treated areas' - so the comparison shares the pilot's level of violence.
    ``counts``: ``area``, ``month`` (``YYYY-MM``), ``count``."""
    pre = counts[counts.month < start].groupby("area")["count"].mean()
    pool = pre.drop(index=list(treated | set(exclude)), errors="ignore")
    target = pre.reindex(sorted(treated)).dropna()  # in a fixed order: the choice depends on it
    # for each treated area, its nearest pool areas by log level, until k are chosen
    lp, lt = np.log1p(pool.to_numpy()), np.log1p(target.to_numpy())
    order = np.argsort(np.abs(lp[None, :] - lt[:, None]), axis=1)
    chosen: list[str] = []
    for rank in range(order.shape[1]):
        for row in order[:, rank]:
            code = str(pool.index[row])
            if code not in chosen:
                chosen.append(code)
            if len(chosen) >= k:
                return chosen
    return chosen


def _panel(counts: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    p = counts[counts.area.isin(areas)]
    months = sorted(counts.month.unique())
    full = pd.MultiIndex.from_product([areas, months], names=["area", "month"])
    return p.set_index(["area", "month"])["count"].reindex(full, fill_value=0).reset_index()


def _poisson_fe(
    panel: pd.DataFrame, terms: pd.DataFrame
) -> sm.genmod.generalized_linear_model.GLMResultsWrapper:
    area = pd.get_dummies(panel.area, prefix="a", drop_first=True, dtype=float)
    month = pd.get_dummies(panel.month, prefix="m", drop_first=True, dtype=float)
    x = pd.concat([terms.reset_index(drop=True), area, month], axis=1)
    x.insert(0, "const", 1.0)
    groups = pd.factorize(panel.area)[0]
    model = sm.GLM(panel["count"].to_numpy(float), x, family=sm.families.Poisson())
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


def _effect(fit, term: str) -> tuple[float, float, float, float]:
    b, se = float(fit.params[term]), float(fit.bse[term])
    return (float(np.expm1(b)), float(np.expm1(b - 1.96 * se)), float(np.expm1(b + 1.96 * se)),
            float(fit.pvalues[term]))  # fmt: skip


def poisson_did(y: np.ndarray, d: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Poisson fixed-effects estimates of ``beta`` in ``log E[y_it] = a_i + g_t + beta d_it``.

    ``y``: areas x months (every area needs a count); ``d``: areas x months, or a stack of
    them (draws x areas x months) estimated together. The fixed effects are profiled out by
    iterative proportional fitting and ``beta`` found by Newton steps on the profile
    likelihood: thousands of fits a second, which the placebo inference needs.
    ``tests/test_place_evaluation.py`` checks it against statsmodels' GLM.
    """
    dd = d[None] if d.ndim == 2 else d
    rows, cols = y.sum(axis=1), y.sum(axis=0)
    beta = np.zeros(len(dd))
    g = np.ones((len(dd), y.shape[1]))
    for _ in range(50):
        e = np.exp(beta[:, None, None] * dd)
        for _ in range(500):
            a = rows[None] / (e * g[:, None, :]).sum(axis=2)
            g_new = cols[None] / (a[:, :, None] * e).sum(axis=1)
            moved = np.max(np.abs(g_new / g - 1))
            g = g_new
            if moved < tol:
                break
        mu = a[:, :, None] * g[:, None, :] * e
        score = (dd * (y[None] - mu)).sum(axis=(1, 2))
        # the information net of the fixed effects (d's variation within areas and months)
        m_a = (dd * mu).sum(axis=2) / mu.sum(axis=2)
        m_t = (dd * mu).sum(axis=1) / mu.sum(axis=1)
        m = (dd * mu).sum(axis=(1, 2)) / mu.sum(axis=(1, 2))
        r = dd - m_a[:, :, None] - m_t[:, None, :] + m[:, None, None]
        step = score / np.maximum((mu * r**2).sum(axis=(1, 2)), 1e-12)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta if d.ndim == 3 else beta[:1]


def did(
    counts: pd.DataFrame,
    treated: set[str],
    start: str,
    comparison: list[str],
    *,
    placebos: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> DidResult:
    """Difference-in-differences of monthly counts (``area``, ``month``, ``count``) for the
    ``treated`` areas from ``start`` (``YYYY-MM``) against ``comparison`` areas."""
    areas = sorted(treated) + [c for c in comparison if c not in treated]
    panel = _panel(counts, areas)
    is_t = panel.area.isin(treated).to_numpy()
    after = (panel.month >= start).to_numpy()
    fit = _poisson_fe(panel, pd.DataFrame({"pilot_after": (is_t & after).astype(float)}))
    effect, c_low, c_high, _ = _effect(fit, "pilot_after")
    y = panel["count"].to_numpy(float).reshape(len(areas), -1)
    post = after.reshape(len(areas), -1)[0]
    beta = float(np.log1p(effect))
    null = _placebo_betas(y[len(treated) :], post, len(treated), placebos, seed)
    lo, hi, p = _interval(beta, null, level)
    return DidResult(
        effect, lo, hi, p, (c_low, c_high),
        _event_study(panel, is_t, start),
        _placebo_in_time(y, post, len(treated), placebos, seed, level, panel),
        len(treated), len(areas) - len(treated),
    )  # fmt: skip


def _placebo_betas(
    y: np.ndarray, post: np.ndarray, n_treated: int, draws: int, seed: int
) -> np.ndarray:
    """DiD estimates with the "pilot" drawn at random from the comparison areas (``y``)."""
    rng = np.random.default_rng(seed)
    y = y[y.sum(axis=1) > 0]
    d = np.zeros((draws, *y.shape))
    for k in range(draws):
        d[k, rng.choice(len(y), n_treated, replace=False)] = post
    return poisson_did(y, d)


def _interval(beta: float, null: np.ndarray, level: float) -> tuple[float, float, float]:
    """Interval (as relative effects) and p-value from null estimates around zero."""
    a = (1 - level) / 2
    q_lo, q_hi = np.quantile(null, [a, 1 - a])
    p = float((np.sum(np.abs(null) >= abs(beta)) + 1) / (len(null) + 1))
    return float(np.expm1(beta - q_hi)), float(np.expm1(beta - q_lo)), p


def _event_study(panel: pd.DataFrame, is_t: np.ndarray, start: str) -> pd.DataFrame:
    """Effect by quarter relative to the start (quarter -1, the last before it, is the base)."""
    months = sorted(panel.month.unique())
    rel = np.array([months.index(m) for m in panel.month]) - months.index(start)
    quarter = np.floor_divide(rel, 3)
    terms = {}
    for q in sorted(set(quarter)):
        if q != -1:
            terms[f"q{q}"] = (is_t & (quarter == q)).astype(float)
    fit = _poisson_fe(panel, pd.DataFrame(terms))
    rows = [(-1, 0.0, 0.0, 0.0)]
    for name in terms:
        e, lo, hi, _ = _effect(fit, name)
        rows.append((int(name[1:]), e, lo, hi))
    return pd.DataFrame(rows, columns=["quarter", "effect", "low", "high"]).sort_values("quarter")


def _placebo_in_time(
    y: np.ndarray, post: np.ndarray, n_treated: int, draws: int, seed: int, level: float,
    panel: pd.DataFrame,
) -> dict[str, float | str]:  # fmt: skip
    """The same design on the months before the start, with a false start half-way."""
    pre = y[:, ~post]
    half = pre.shape[1] // 2
    fake = np.arange(pre.shape[1]) >= half
    d = np.zeros(pre.shape)
    d[:n_treated, half:] = 1.0
    ok = pre.sum(axis=1) > 0
    beta = float(poisson_did(pre[ok], d[ok])[0])
    null = _placebo_betas(pre[n_treated:], fake, n_treated, draws, seed + 1)
    lo, hi, p = _interval(beta, null, level)
    months = sorted(panel.month.unique())
    return {"start": months[half], "effect": float(np.expm1(beta)), "low": lo, "high": hi, "p": p}


def donor_places(
    centroids: pd.DataFrame, exclude: set[str], *, size: int = 10, seed: int = 0
) -> dict[str, list[str]]:
    """Group areas not in ``exclude`` into places of about ``size`` neighbouring areas (k-means
    on ``easting``/``northing`` of ``centroids``, indexed by area code): synthetic control's
    donors, comparable in size to a pilot place."""
    from scipy.cluster.vq import kmeans2

    pool = centroids.drop(index=list(exclude), errors="ignore")
    k = max(2, len(pool) // size)
    _, label = kmeans2(pool[["easting", "northing"]].to_numpy(float), k, minit="++", seed=seed)
    places: dict[str, list[str]] = {}
    for code, lab in zip(pool.index, label, strict=True):
        places.setdefault(f"D{lab:03d}", []).append(str(code))
    return places


def _simplex_weights(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """min ||y - x w|| with w >= 0 and sum(w) = 1: non-negative least squares with the sum
    enforced by a heavily weighted extra row."""
    big = 1e3 * max(float(np.abs(x).max()), 1.0)
    a = np.vstack([x, np.full((1, x.shape[1]), big)])
    w, _ = optimize.nnls(a, np.r_[y, big], maxiter=50 * x.shape[1])
    return w / w.sum()


def _fit(y: np.ndarray, x: np.ndarray, pre: int) -> tuple[float, np.ndarray, float, float]:
    """The relative gap after the start, the weights, and the root mean squared prediction
    error before and after it."""
    w = _simplex_weights(y[:pre], x[:pre])
    synth = x @ w
    effect = y[pre:].sum() / synth[pre:].sum() - 1
    gap = y - synth
    before, after = np.sqrt(np.mean(gap[:pre] ** 2)), np.sqrt(np.mean(gap[pre:] ** 2))
    return float(effect), w, float(before), float(after)


def _ratio(before: float, after: float) -> float:
    """Post/pre RMSPE; a perfect fit before the start counts as infinitely far apart after."""
    return after / before if before > 0 else (np.inf if after > 0 else 1.0)


def _inverted_interval(
    y: np.ndarray, synth: np.ndarray, pre: int, before: float, ratios: np.ndarray, level: float
) -> tuple[float, float] | None:
    """The relative effects ``a`` the placebo test does not reject at ``1 - level``: the
    pilot's months after the start divided by ``1 + a`` (the effect taken out) leave a post/pre
    RMSPE ratio that at least ``m`` placebos reach, ``m`` the fewest for p > 1 - level
    (Firpo and Possebom 2018, with a proportional effect). The post-period error of
    ``c * y - synth`` is quadratic in ``c = 1 / (1 + a)``, so the set is an interval, found in
    closed form. ``None`` when it is empty or unbounded (no proportional effect fits the months
    after the start, or too few donors to reject any)."""
    m = int(np.floor((1 - level) * (len(ratios) + 1) + 1e-9))
    if m < 1 or before <= 0:
        return None
    bound = np.sort(ratios)[::-1][m - 1] * before  # the post-period RMSPE at the edge
    yp, sp, n = y[pre:], synth[pre:], len(y) - pre
    qa, qb, qc = yp @ yp, -2 * (yp @ sp), sp @ sp - n * bound**2
    disc = qb * qb - 4 * qa * qc
    if qa <= 0 or disc < 0 or not np.isfinite(bound):
        return None
    c_lo, c_hi = (-qb - np.sqrt(disc)) / (2 * qa), (-qb + np.sqrt(disc)) / (2 * qa)
    if c_lo <= 0:
        return None
    return float(1 / c_hi - 1), float(1 / c_lo - 1)


def synthetic_control(
    treated: pd.Series, donors: pd.DataFrame, start: str, *, level: float = 0.95
) -> SynthResult:
    """Synthetic control of a monthly series (``treated``, indexed by ``YYYY-MM``) from
    ``donors`` (months x donor places, same index), the intervention starting at ``start``.

    Series should be rates (per 1,000 residents) so places of different size compare. The
    p-value is Abadie, Diamond and Hainmueller's (2010) placebo test: every donor in turn is
    fitted from the others as if it were the pilot, and the pilot's ratio of post- to
    pre-period RMSPE is ranked among all the ratios, its own included (so p is never below
    1 / (donors + 1)). Ranking the ratio, not the post-period gap, discounts a placebo whose
    large gap after the start only continues a poor fit before it. The interval inverts the
    same test (``_inverted_interval``), so it leaves out 0% exactly when p < 1 - level; where
    it cannot (no proportional effect fits), it is the estimate minus the central range of
    the donors' placebo effects, and ``interval`` says so.
    """
    months = sorted(treated.index)
    donors = donors.reindex(months)
    pre = sum(m < start for m in months)
    y, x = treated.reindex(months).to_numpy(float), donors.to_numpy(float)
    effect, w, before, after = _fit(y, x, pre)
    fits = [_fit(x[:, j], np.delete(x, j, axis=1), pre) for j in range(x.shape[1])]
    placebos = np.array([f[0] for f in fits])
    ratios = np.array([_ratio(f[2], f[3]) for f in fits])
    p = float((np.sum(ratios >= _ratio(before, after)) + 1) / (len(ratios) + 1))
    inverted = _inverted_interval(y, x @ w, pre, before, ratios, level)
    if inverted is not None:
        low, high, how = *inverted, "test inversion"
    else:
        a = (1 - level) / 2
        lo_q, hi_q = np.quantile(placebos, [a, 1 - a])
        low, high, how = float(effect - hi_q), float(effect - lo_q), "placebo effects"
    series = pd.DataFrame({"month": months, "actual": y, "synthetic": x @ w})
    weights = pd.Series(w, index=donors.columns).sort_values(ascending=False)
    return SynthResult(
        effect, low, high, p, weights[weights > 1e-6], series, before, placebos, after, ratios,
        np.array([f[2] for f in fits]), how,
    )  # fmt: skip
