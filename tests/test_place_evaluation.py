"""Place-tier evaluation: difference-in-differences and synthetic control recover the effect
planted in the demo's pilot places, inside their intervals; the estimators agree with reference
implementations; the checks (event study, placebo in time) find nothing where nothing was done."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize

from vrukit.analysis.place_evaluation import (
    _simplex_weights,
    comparison_areas,
    did,
    donor_places,
    poisson_did,
    screen_breaks,
    synthetic_control,
)
from vrukit.schemas import VIOLENCE_TYPES
from vrukit.warehouse import Warehouse


@pytest.fixture(scope="module")
def demo_panel(demo_region):
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        c = wh.table("crimes")
        counts = (
            c.filter(c.crime_type.isin(list(VIOLENCE_TYPES)) & c.lsoa_code.notnull())
            .group_by([c.lsoa_code.name("area"), c.month])
            .aggregate(count=lambda t: t.count())
            .to_pandas()
        )
        areas = wh.table("areas").to_pandas().set_index("lsoa_code")
    counts["month"] = pd.to_datetime(counts.month).dt.strftime("%Y-%m")
    truth = json.loads(demo_region.truth.read_text())
    return counts, areas, truth["model"]["pilots"]


def test_did_and_synthetic_control_recover_the_planted_pilot_effects(demo_panel):
    counts, areas, pilots = demo_panel
    in_pilots = {a for p in pilots for a in p["areas"]}
    changed = screen_breaks(counts)
    wide = counts.pivot_table(
        index="month", columns="area", values="count", aggfunc="sum", fill_value=0
    )

    def rate(codes):
        codes = [c for c in codes if c in wide.columns]
        return wide[codes].sum(axis=1) / areas.population.reindex(codes).sum() * 1000

    donors = pd.DataFrame(
        {
            k: rate(v)
            for k, v in donor_places(
                areas.rename(
                    columns={"centroid_easting": "easting", "centroid_northing": "northing"}
                ),
                in_pilots | changed,
            ).items()
        }
    )
    for p in pilots:
        planted = -p["effect"]
        treated, start = set(p["areas"]), p["start_month"]
        comp = comparison_areas(counts, treated, start, exclude=in_pilots | changed)
        r = did(counts, treated, start, comp)
        assert r.low <= planted <= r.high, (p["name"], r.effect, r.low, r.high)
        assert r.high < 0, "the fall is found"
        # parallel trends before the start: on average the quarters before it differ little
        # (each alone is noisy, about +-0.15 for ten areas), those after show the fall; and no
        # effect at a false start (placebo interval)
        es = r.event_study
        assert abs(es[es.quarter < -1].effect.mean()) < 0.1
        assert es[es.quarter >= 0].effect.mean() < -0.15
        assert r.placebo["low"] <= 0 <= r.placebo["high"]
        s = synthetic_control(rate(treated), donors, start)
        assert s.low <= planted <= s.high, (p["name"], s.effect, s.low, s.high)
        assert s.high < 0 and s.p < 0.05
        assert s.weights.sum() == pytest.approx(1.0) and (s.weights >= 0).all()
        assert r.sms_level == s.sms_level == 3


def test_poisson_did_matches_statsmodels():
    rng = np.random.default_rng(5)
    areas, months = 40, 24
    y = rng.poisson(rng.gamma(3, 2, areas)[:, None] * (1 + 0.2 * np.sin(np.arange(months))))
    d = np.zeros((areas, months))
    d[:6, 12:] = 1
    y[:6, 12:] = rng.poisson(0.7 * y[:6, 12:] + 0.1)
    ours = poisson_did(y.astype(float), d)[0]
    a = np.repeat(np.arange(areas), months)
    m = np.tile(np.arange(months), areas)
    x = pd.concat(
        [
            pd.DataFrame({"d": d.ravel()}),
            pd.get_dummies(a, prefix="a", drop_first=True, dtype=float),
            pd.get_dummies(m, prefix="m", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    x.insert(0, "const", 1.0)
    ref = sm.GLM(y.ravel().astype(float), x, family=sm.families.Poisson()).fit()
    assert ours == pytest.approx(ref.params["d"], abs=1e-8)


def test_synthetic_weights_match_a_general_optimiser():
    rng = np.random.default_rng(2)
    x = rng.gamma(4, 1, (18, 12))
    truth = np.r_[0.5, 0.3, 0.2, np.zeros(9)]
    y = x @ truth + rng.normal(0, 0.05, 18)
    ours = _simplex_weights(y, x)
    ref = optimize.minimize(
        lambda w: np.sum((y - x @ w) ** 2),
        np.full(12, 1 / 12),
        method="SLSQP",
        bounds=[(0, 1)] * 12,
        constraints={"type": "eq", "fun": lambda w: w.sum() - 1},
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert np.sum((y - x @ ours) ** 2) <= np.sum((y - x @ ref.x) ** 2) + 1e-9
    assert np.allclose(ours, ref.x, atol=1e-3)
