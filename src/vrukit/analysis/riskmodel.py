"""Which inequalities go with violence: a negative-binomial model of area counts, and the
inequality gradient by deprivation decile.

The model is statsmodels' NB2 regression (``statsmodels.discrete.discrete_model.NegativeBinomial``)
of each area's count on standardised predictors, with log population as an offset, so
``exp(b)`` is the incidence rate ratio for one standard deviation more of the predictor, holding
the others fixed. docs/methods.md gives the assumptions and caveats.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from vrukit.analysis.neighbours import Neighbours
from vrukit.analysis.rates import rates
from vrukit.errors import SchemaError

__all__ = [
    "BOOTSTRAP_COLUMNS",
    "FACTOR_COLUMNS",
    "RiskModel",
    "bootstrap_factors",
    "fit_risk_model",
    "inequality_gradient",
]

FACTOR_COLUMNS = ["factor", "irr", "irr_lo", "irr_hi", "p", "vif", "mean", "sd"]
SPATIAL_LAG = "neighbours' violence (spatial lag)"
#: Below this NB2 dispersion the model is fitted as Poisson (the limit alpha -> 0).
BOUNDARY_ALPHA = 1e-4


@dataclass
class RiskModel:
    """A fitted risk-factor model: one row per standardised predictor in ``factors``
    (``FACTOR_COLUMNS``), the fit statistics, and each area's modelled expected count."""

    factors: pd.DataFrame
    dispersion: float
    pseudo_r2: float
    areas: int
    log_likelihood: float
    aic: float
    expected: pd.Series
    dropped: dict[str, str] = field(default_factory=dict)
    fixed_effects: list[str] = field(default_factory=list)
    family: str = "negative binomial (NB2)"
    design: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    offset: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    coef: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    cov: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    columns: list[str] = field(default_factory=list, repr=False)
    controls: list[str] = field(default_factory=list)

    def _design_holding(self, hold: Mapping[str, float] | None) -> np.ndarray:
        """The design with each factor in ``hold`` set to a raw value for every area."""
        x = self.design.copy()
        for name, value in (hold or {}).items():
            row = self.factors.set_index("factor").loc[name]
            x[:, self.columns.index(name)] = (value - row["mean"]) / row["sd"]
        return x

    def expected_if(self, hold: Mapping[str, float]) -> np.ndarray:
        """Each area's expected count had the factors in ``hold`` taken these raw values, e.g.
        ``{"pilot_area": 0}``: what the model predicts without the pilots."""
        return np.exp(self._design_holding(hold) @ self.coef + self.offset)

    def draw_expected(
        self, draws: int, *, seed: int | None = None, hold: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """Expected counts (areas x draws) under coefficients drawn from their estimated sampling
        distribution, multivariate normal around the fit: the model's own uncertainty."""
        rng = np.random.default_rng(seed)
        beta = rng.multivariate_normal(self.coef, self.cov, size=draws, method="eigh")
        return np.exp(self._design_holding(hold) @ beta.T + self.offset[:, None])

    def ranking(self, alpha: float = 0.05, labels: Mapping[str, str] | None = None) -> list[str]:
        """Plain-English lines, strongest association first, for the factors significant at
        ``alpha`` (the spatial lag and fixed effects are controls, not inequalities), each
        named by ``labels`` where given."""
        names = labels or {}
        controls = {SPATIAL_LAG, *self.controls}
        f = self.factors[(self.factors.p <= alpha) & ~self.factors.factor.isin(controls)]
        f = f.reindex(f.irr.map(lambda r: abs(np.log(r))).sort_values(ascending=False).index)
        lines = []
        for r in f.itertuples():
            way = "higher" if r.irr > 1 else "lower"
            pct = abs(r.irr - 1)
            lines.append(
                f"{names.get(r.factor, r.factor)}: one standard deviation more goes with "
                f"{pct:.0%} {way} violence "
                f"(rate ratio {r.irr:.2f}, 95% CI {r.irr_lo:.2f} to {r.irr_hi:.2f})"
            )
        return lines


def _standardise(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    dropped: dict[str, str] = {}
    keep = []
    for c in x.columns:
        col = pd.to_numeric(x[c], errors="coerce")
        if col.isna().any():
            dropped[c] = f"{int(col.isna().sum())} areas have no value"
        elif col.std() == 0:
            dropped[c] = "the same value in every area"
        else:
            keep.append(c)
    z = x[keep].astype(float)
    return (z - z.mean()) / z.std(), dropped


def _fit(y: np.ndarray, design: pd.DataFrame, offset: np.ndarray) -> Any:
    """NB2 by maximum likelihood; at the boundary alpha = 0 (no overdispersion left once the
    predictors are in), the NB2 model is the Poisson model, fitted as such so that it converges."""
    from statsmodels.discrete.discrete_model import NegativeBinomial, Poisson

    with warnings.catch_warnings():
        # Near alpha = 0 the optimiser may step onto log(0) or a singular Hessian; the checks
        # below decide what the fit is worth, so its warnings would only be noise.
        for category in (ConvergenceWarning, HessianInversionWarning, RuntimeWarning):
            warnings.simplefilter("ignore", category)
        fit = NegativeBinomial(y, design, offset=offset, loglike_method="nb2").fit(
            disp=0, maxiter=2000
        )
    usable = _converged(fit.mle_retvals) and bool(np.isfinite(fit.bse).all())
    if usable and fit.params["alpha"] > BOUNDARY_ALPHA:
        return fit
    if fit.params["alpha"] <= BOUNDARY_ALPHA:
        poisson = Poisson(y, design, offset=offset).fit(disp=0, maxiter=200, method="newton")
        if poisson.mle_retvals.get("converged", False):
            return poisson
    raise SchemaError("risk model", "the negative-binomial fit did not converge")


def _converged(info: dict) -> bool:
    """BFGS's own flag, or its "precision loss" stop (warnflag 2) where the coefficients'
    gradient has all but vanished. That stop happens when the data show almost no overdispersion
    and alpha sits at its bound of 0, where its own gradient need not vanish; a gradient of 1e-3
    per area moves a coefficient by far less than its standard error."""
    if info.get("converged", True):
        return True
    gradient = np.asarray(info.get("gopt", [np.inf]))[:-1]
    return info.get("warnflag") == 2 and float(np.abs(gradient).max()) < 1e-3


def _vif(design: pd.DataFrame) -> pd.Series:
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    with np.errstate(divide="ignore"):
        vals = [variance_inflation_factor(design.to_numpy(), i) for i in range(design.shape[1])]
    return pd.Series(vals, index=design.columns)


def fit_risk_model(
    counts: np.ndarray,
    population: np.ndarray,
    predictors: pd.DataFrame,
    *,
    fixed_effects: pd.Series | None = None,
    neighbours: Neighbours | None = None,
    controls: Sequence[str] = (),
    level: float = 0.95,
) -> RiskModel:
    """Fit the NB2 model of ``counts`` on the standardised ``predictors`` (one row per area,
    aligned with ``counts`` and ``population``), offset log population.

    ``fixed_effects`` (e.g. local authority codes) adds one indicator per group but the first;
    ``neighbours`` adds the spatial lag: the average standardised log rate of each area's
    neighbours (a control for spillover; it is endogenous, so read the other ratios with it as
    conditional on the neighbourhood). ``controls`` names predictors that are held fixed but are
    not inequalities (e.g. a pilot-area flag): reported, never ranked. Predictors with missing or
    constant values are dropped and listed in ``dropped`` with the reason.
    """
    y = np.asarray(counts, dtype=float)
    pop = np.asarray(population, dtype=float)
    if not (len(y) == len(pop) == len(predictors)):
        raise SchemaError(
            "risk model", f"{len(y)} counts, {len(pop)} populations, {len(predictors)} rows"
        )
    unrated = ~(np.isfinite(pop) & (pop > 0))  # NaN compares False: count it as missing
    if unrated.any():
        raise SchemaError("risk model", f"{int(unrated.sum())} areas have no population")
    z, dropped = _standardise(predictors.reset_index(drop=True))
    if z.shape[1] == 0:
        raise SchemaError("risk model", f"no usable predictor: {dropped}")
    if neighbours is not None:
        lograte = np.log((y + 0.5) / pop)
        lograte = (lograte - lograte.mean()) / lograte.std()
        k = neighbours.cardinalities
        with np.errstate(invalid="ignore", divide="ignore"):
            lag = np.where(k > 0, (neighbours.matrix @ lograte) / k, 0.0)
        z[SPATIAL_LAG] = (lag - lag.mean()) / lag.std()
    design = z.copy()
    design.insert(0, "const", 1.0)
    fe_cols: list[str] = []
    if fixed_effects is not None:
        dummies = pd.get_dummies(
            pd.Series(np.asarray(fixed_effects), name="fe"), prefix="fe", drop_first=True
        ).astype(float)
        fe_cols = list(dummies.columns)
        design = pd.concat([design, dummies], axis=1)
    fit = _fit(y, design, np.log(pop))
    ci = fit.conf_int(alpha=1 - level)
    vif = _vif(design.drop(columns=fe_cols))
    names = list(z.columns)
    raw = predictors.reset_index(drop=True)
    factors = pd.DataFrame(
        {
            "factor": names,
            "irr": np.exp(fit.params[names]).to_numpy(),
            "irr_lo": np.exp(ci.loc[names, 0]).to_numpy(),
            "irr_hi": np.exp(ci.loc[names, 1]).to_numpy(),
            "p": fit.pvalues[names].to_numpy(),
            "vif": vif[names].to_numpy(),
            "mean": [float(raw[c].astype(float).mean()) if c in raw else np.nan for c in names],
            "sd": [float(raw[c].astype(float).std()) if c in raw else np.nan for c in names],
        }
    )
    return RiskModel(
        factors=factors[FACTOR_COLUMNS],
        dispersion=float(fit.params.get("alpha", 0.0)),
        pseudo_r2=float(fit.prsquared),
        areas=len(y),
        log_likelihood=float(fit.llf),
        aic=float(fit.aic),
        expected=pd.Series(fit.predict(design, offset=np.log(pop)), name="expected"),
        dropped=dropped,
        fixed_effects=fe_cols,
        family="negative binomial (NB2)" if "alpha" in fit.params else "Poisson (alpha at 0)",
        design=design.to_numpy(float),
        offset=np.log(pop),
        coef=fit.params[design.columns].to_numpy(float),
        cov=fit.cov_params().loc[design.columns, design.columns].to_numpy(float),
        columns=list(design.columns),
        controls=[c for c in controls if c in names],
    )


BOOTSTRAP_COLUMNS = ["factor", "boot_lo", "boot_hi", "same_direction", "significant", "draws"]


def bootstrap_factors(
    counts: np.ndarray,
    population: np.ndarray,
    predictors: pd.DataFrame,
    *,
    draws: int = 200,
    seed: int | None = None,
    alpha: float = 0.05,
    fixed_effects: pd.Series | None = None,
    controls: Sequence[str] = (),
) -> pd.DataFrame:
    """How stable the fitted rate ratios are: refit on ``draws`` resamples of the areas (with
    replacement) and report, per factor, the 2.5th and 97.5th percentiles of its rate ratio,
    the share of draws whose ratio points the same way as the full fit, and the share in which
    it is significant at ``alpha``. Draws that do not converge are left out (``draws`` counts
    those used). ``fixed_effects`` and ``controls`` are as in :func:`fit_risk_model`; there is
    no spatial lag, as resampling areas breaks neighbour relations."""
    fe = None if fixed_effects is None else np.asarray(fixed_effects)
    full = fit_risk_model(counts, population, predictors, fixed_effects=fixed_effects,
                          controls=controls).factors.set_index("factor")  # fmt: skip
    rng = np.random.default_rng(seed)
    y, pop = np.asarray(counts), np.asarray(population)
    x = predictors.reset_index(drop=True)
    irr, sig = [], []
    for _ in range(draws):
        i = rng.integers(0, len(y), len(y))
        group = None if fe is None else pd.Series(fe[i])
        try:
            f = fit_risk_model(y[i], pop[i], x.iloc[i], fixed_effects=group, controls=controls)
            f = f.factors.set_index("factor")
        except SchemaError:
            continue
        irr.append(f.irr.reindex(full.index))
        sig.append(f.p.reindex(full.index) <= alpha)
    ratios, significant = pd.DataFrame(irr), pd.DataFrame(sig)
    up = full.irr > 1
    out = pd.DataFrame(
        {
            "factor": full.index,
            "boot_lo": ratios.quantile(0.025).to_numpy(),
            "boot_hi": ratios.quantile(0.975).to_numpy(),
            "same_direction": ((ratios > 1) == up).mean().to_numpy(),
            "significant": significant.mean().to_numpy(),
            "draws": len(ratios),
        }
    )
    return out[BOOTSTRAP_COLUMNS]


def inequality_gradient(
    counts: np.ndarray, population: np.ndarray, decile: np.ndarray, *, level: float = 0.95
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rates by deprivation decile (1 = most deprived, as IoD2019) with exact intervals, and the
    slope and relative indices of inequality.

    Each decile's population gets a ridit score: the midpoint of its cumulative share of the
    population, ordered from least to most deprived (0 to 1). The relative index (RII) is
    ``exp(b)`` from a Poisson regression of the decile counts on the ridit score with log
    population offset and the scale estimated from the Pearson chi-square (quasi-Poisson): the
    rate ratio between the most and the least deprived ends of the population. The slope index
    (SII) is the population-weighted least-squares slope of the rate per 1,000 on the ridit score:
    the rate difference between those ends.
    """
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    frame = pd.DataFrame({"decile": decile, "count": counts, "population": population})
    if frame.decile.isna().any():
        raise SchemaError("gradient", f"{int(frame.decile.isna().sum())} areas have no decile")
    g = frame.groupby("decile", as_index=False)[["count", "population"]].sum()
    g = g.sort_values("decile", ascending=False).reset_index(drop=True)  # least deprived first
    share = g.population / g.population.sum()
    g["ridit"] = share.cumsum() - share / 2
    g = rates(g)
    x = np.column_stack([np.ones(len(g)), g.ridit])
    fit = GLM(g["count"].to_numpy(float), x, family=Poisson(),
              offset=np.log(g.population.to_numpy(float))).fit(scale="X2")  # fmt: skip
    b, se = fit.params[1], fit.bse[1]
    zq = stats.norm.ppf(0.5 + level / 2)
    w = g.population.to_numpy(float)
    xm = np.average(g.ridit, weights=w)
    ym = np.average(g.rate_per_1000, weights=w)
    sii = float(
        np.sum(w * (g.ridit - xm) * (g.rate_per_1000 - ym)) / np.sum(w * (g.ridit - xm) ** 2)
    )
    summary = {
        "rii": float(np.exp(b)),
        "rii_lo": float(np.exp(b - zq * se)),
        "rii_hi": float(np.exp(b + zq * se)),
        "rii_p": float(fit.pvalues[1]),
        "sii_per_1000": sii,
    }
    out = g.sort_values("decile").reset_index(drop=True)
    return out[
        ["decile", "count", "population", "rate_per_1000", "rate_lo", "rate_hi", "ridit"]
    ], summary
