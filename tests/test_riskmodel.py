"""The risk-factor model against statsmodels' own formula fit and against planted rate ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
import statsmodels.formula.api as smf

from vrukit.analysis.neighbours import queen
from vrukit.analysis.riskmodel import (
    BOOTSTRAP_COLUMNS,
    FACTOR_COLUMNS,
    SPATIAL_LAG,
    bootstrap_factors,
    fit_risk_model,
    inequality_gradient,
)
from vrukit.errors import SchemaError

TRUE_LOG_IRR = {"income": 0.45, "youth": 0.20, "environment": 0.10, "health": 0.0}


def _region(seed: int, n: int = 1500):
    """Correlated area predictors and NB2 counts with known per-SD rate ratios."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    x = pd.DataFrame(
        {
            "income": 0.12 + 0.05 * (0.8 * latent + 0.6 * rng.normal(size=n)),
            "youth": 0.18 + 0.03 * (0.6 * latent + 0.8 * rng.normal(size=n)),
            "environment": 20 + 8 * rng.normal(size=n),
            "health": 0.5 * latent + rng.normal(size=n),
        }
    )
    z = (x - x.mean()) / x.std()
    pop = rng.integers(1000, 2500, n).astype(float)
    mu = pop / 1000 * 30 * np.exp(sum(b * z[c] for c, b in TRUE_LOG_IRR.items()))
    alpha = 0.15
    y = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    return x, pop, y


def test_irrs_equal_a_direct_statsmodels_fit():
    x, pop, y = _region(1)
    model = fit_risk_model(y, pop, x)
    assert list(model.factors.columns) == FACTOR_COLUMNS
    data = ((x - x.mean()) / x.std()).assign(y=y, logpop=np.log(pop))
    ref = smf.negativebinomial(
        "y ~ income + youth + environment + health", data, offset=data.logpop
    ).fit(disp=0, maxiter=200)
    np.testing.assert_allclose(model.factors.irr, np.exp(ref.params[list(x.columns)]), rtol=1e-6)
    ci = np.exp(ref.conf_int().loc[list(x.columns)])
    np.testing.assert_allclose(model.factors.irr_lo, ci[0], rtol=1e-5)
    np.testing.assert_allclose(model.factors.irr_hi, ci[1], rtol=1e-5)
    assert model.dispersion == pytest.approx(ref.params["alpha"], rel=1e-5)
    assert model.pseudo_r2 == pytest.approx(ref.prsquared, rel=1e-6)


def test_planted_rate_ratios_lie_in_the_intervals_across_seeds():
    inside = {c: 0 for c in TRUE_LOG_IRR}
    for seed in range(20):
        x, pop, y = _region(100 + seed)
        f = fit_risk_model(y, pop, x).factors.set_index("factor")
        for c, b in TRUE_LOG_IRR.items():
            inside[c] += int(f.irr_lo[c] <= np.exp(b) <= f.irr_hi[c])
    # 95% intervals: 18 or more of 20 for every factor (the bar for the demo region).
    assert min(inside.values()) >= 18, inside


def test_vif_matches_its_definition():
    x, pop, y = _region(2)
    f = fit_risk_model(y, pop, x).factors.set_index("factor")
    z = (x - x.mean()) / x.std()
    others = z.drop(columns="income").assign(const=1.0).to_numpy()
    beta, *_ = np.linalg.lstsq(others, z.income.to_numpy(), rcond=None)
    r2 = 1 - ((z.income - others @ beta) ** 2).sum() / ((z.income - z.income.mean()) ** 2).sum()
    assert f.vif["income"] == pytest.approx(1 / (1 - r2), rel=1e-8)


def test_unusable_predictors_are_dropped_with_a_reason_and_controls_are_added():
    x, pop, y = _region(3, n=400)
    x["flat"] = 1.0
    x["patchy"] = np.where(np.arange(len(x)) % 50 == 0, np.nan, 1.0)
    boxes = [shapely.box(i % 20, i // 20, i % 20 + 1, i // 20 + 1) for i in range(400)]
    nb = queen(np.array(boxes), np.arange(400).astype(str))
    la = np.where(np.arange(400) < 200, "LA1", "LA2")
    model = fit_risk_model(y, pop, x, fixed_effects=pd.Series(la), neighbours=nb)
    assert model.dropped == {
        "flat": "the same value in every area",
        "patchy": "8 areas have no value",
    }
    assert SPATIAL_LAG in set(model.factors.factor)
    assert model.fixed_effects == ["fe_LA2"]
    assert len(model.expected) == 400
    lines = model.ranking()
    assert lines and lines[0].startswith("income")


def test_bad_inputs_are_refused():
    x, pop, y = _region(4, n=100)
    with pytest.raises(SchemaError, match="no population"):
        fit_risk_model(y, np.where(np.arange(100) == 3, 0, pop), x)
    with pytest.raises(SchemaError, match="99 counts"):
        fit_risk_model(y[:-1], pop, x)


def test_inequality_gradient_by_hand():
    decile = np.repeat(np.arange(1, 11), 3)
    pop = np.full(30, 1000.0)
    true_rate = np.repeat(np.linspace(60, 15, 10), 3)  # most deprived (1) highest
    counts = (pop / 1000 * true_rate).round()
    table, s = inequality_gradient(counts, pop, decile)
    assert table.decile.tolist() == list(range(1, 11))
    np.testing.assert_allclose(table.rate_per_1000, np.linspace(60, 15, 10))
    # Equal populations: ridit of decile d (10 least deprived first) is (10 - d + 0.5) / 10.
    np.testing.assert_allclose(table.ridit, (10 - table.decile + 0.5) / 10)
    slope = np.polyfit(table.ridit, table.rate_per_1000, 1)[0]
    assert s["sii_per_1000"] == pytest.approx(slope)
    assert s["rii"] > 3 and s["rii_lo"] < s["rii"] < s["rii_hi"]


def test_controls_are_reported_not_ranked_and_can_be_held():
    x, pop, y = _region(5)
    pilot = (np.arange(len(y)) % 25 == 0).astype(float)
    y = np.where(pilot == 1, np.random.default_rng(0).binomial(y, 0.75), y)
    model = fit_risk_model(y, pop, x.assign(pilot_area=pilot), controls=["pilot_area"])
    row = model.factors.set_index("factor").loc["pilot_area"]
    per_unit = np.log(row.irr) / row.sd
    assert np.exp(per_unit) == pytest.approx(0.75, abs=0.06)
    assert not any(line.startswith("pilot_area") for line in model.ranking(alpha=1.0))
    held = model.expected_if({"pilot_area": 0.0})
    ratio = held / model.expected.to_numpy()
    np.testing.assert_allclose(ratio[pilot == 0], 1.0, rtol=1e-9)
    np.testing.assert_allclose(ratio[pilot == 1], np.exp(-per_unit), rtol=1e-9)
    draws = model.draw_expected(400, seed=1, hold={"pilot_area": 0.0})
    assert np.median(draws, axis=1) == pytest.approx(held, rel=0.02)


def test_bootstrap_shows_which_ratios_are_stable():
    x, pop, y = _region(6, n=600)
    la = pd.Series(np.where(np.arange(600) < 300, "LA1", "LA2"))
    out = bootstrap_factors(y, pop, x, draws=40, seed=2, fixed_effects=la)
    assert list(out.columns) == BOOTSTRAP_COLUMNS
    full = fit_risk_model(y, pop, x, fixed_effects=la).factors.set_index("factor")
    b = out.set_index("factor")
    assert 30 <= b.draws.min() <= 40
    assert (b.boot_lo < full.irr).all() and (full.irr < b.boot_hi).all()
    # income's planted ratio (1.57) is far from 1: every refit agrees; health's (1) is not.
    assert b.same_direction["income"] == 1 and b.significant["income"] == 1
    assert b.significant["health"] < 0.5
    again = bootstrap_factors(y, pop, x, draws=40, seed=2, fixed_effects=la)
    pd.testing.assert_frame_equal(out, again)
