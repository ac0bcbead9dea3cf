"""The three-month forecast (issue 31): its scores against independent computations, the
demo's planted seasonality forecast with honest intervals, no look-ahead, and the publication
rule; on real Merseyside files the figures docs/methods.md quotes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from typer.testing import CliRunner

from vrukit.analysis.forecast import (
    Fitted,
    Predictive,
    _interval_score,
    rolling_origin,
    worth_publishing,
)
from vrukit.cli import app

runner = CliRunner()


def _exact_crps(dist, y: int, top: int = 400) -> float:
    """CRPS = E|X - y| - E|X - X'| / 2, summed exactly over the support 0..top (a different
    formula from the one vrukit uses: the sum of squared distances between CDFs)."""
    k = np.arange(top + 1)
    p = dist.pmf(k)
    pairs = p[:, None] * p[None, :] * np.abs(k[:, None] - k[None, :])
    return float(np.sum(p * np.abs(k - y)) - 0.5 * np.sum(pairs))


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.5])
def test_crps_of_a_count_forecast_equals_the_expectation_formula(alpha):
    mean = np.array([[0.4, 3.0, 12.5]])
    ys = np.array([[0, 5, 7]])
    got = Predictive(mean, alpha).crps(ys)
    for j in range(3):
        mu = mean[0, j]
        if alpha == 0:
            dist = stats.poisson(mu)
        else:
            n = 1 / alpha
            dist = stats.nbinom(n, n / (n + mu))
        assert got[0, j] == pytest.approx(_exact_crps(dist, int(ys[0, j])), abs=1e-8)


def test_intervals_and_the_interval_score_by_hand():
    p = Predictive(np.array([[10.0]]), 0.5)  # NB2: n = 2, p = 2 / 12
    lo, hi = p.interval(0.8)
    assert (lo[0, 0], hi[0, 0]) == (
        stats.nbinom.ppf(0.1, 2, 2 / 12),
        stats.nbinom.ppf(0.9, 2, 2 / 12),
    )
    # width 10, and a count 3 above the top of a 95% interval costs 2 / 0.05 * 3 = 120 more
    lo, hi = np.array([2.0]), np.array([12.0])
    assert _interval_score(lo, hi, np.array([15.0]), 0.95)[0] == pytest.approx(130)
    assert _interval_score(lo, hi, np.array([7.0]), 0.95)[0] == 10


def test_a_sum_of_areas_takes_its_spread_from_the_sums_of_past_errors():
    """Two areas that always move together: summed independently their total's interval would
    be too narrow; the dispersion of the summed past forecasts carries the co-movement."""
    rng = np.random.default_rng(4)
    shared = rng.gamma(2.0, 5.0, 400)  # a common shock each month
    past = np.vstack([rng.poisson(shared), rng.poisson(shared)]).astype(float)
    mu = np.full_like(past, 10.0)
    fitted = Fitted(Predictive(np.full((2, 3), 10.0), 0.0), past, mu)
    total = fitted.summed(np.array(["A", "A"]))
    sums = past.sum(axis=0)
    by_hand = (np.sum((sums - 20) ** 2) - np.sum(np.full(400, 20.0))) / np.sum(np.full(400, 400.0))
    assert total.alpha == pytest.approx(by_hand) and total.alpha > 0.3
    assert (total.mean == 20).all()


def test_the_check_never_looks_ahead():
    """Changing every month after an origin's three scored months changes nothing it scored."""
    rng = np.random.default_rng(1)
    counts = rng.poisson(5, (40, 24))
    w = sp.random(40, 40, density=0.1, random_state=2, format="csr")
    w.data[:] = 1
    a = rolling_origin(counts, w, first=15, step=3)
    changed = counts.copy()
    changed[:, 18:] = rng.poisson(50, (40, 6))
    b = rolling_origin(changed, w, first=15, step=3)
    pd.testing.assert_frame_equal(a[a.origin == 15], b[b.origin == 15])
    assert not a[a.origin == 18].equals(b[b.origin == 18])


def test_the_demo_s_planted_season_is_forecast_with_honest_intervals(demo_region, tmp_path):
    """The demo plants a seasonal cycle (12% amplitude, peaking in July), a trend, hot spots
    and pilots. By rolling origin over its 36 months the model beats both baselines on areas
    and its 95% intervals cover between 90% and 98% of counts, so the forecast is written."""
    out = tmp_path / "fc"
    res = runner.invoke(app, ["forecast", "--db", str(demo_region.folder / "vrukit.duckdb"),
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    s = pd.read_csv(out / "forecast_summary.csv")
    area = s[s.level == "area"].set_index("model")
    model = area.loc["negative binomial model"]
    assert model.mase < area.drop(index="negative binomial model").mase.min()
    assert model.crps < area.drop(index="negative binomial model").crps.min()
    assert 0.90 <= model.coverage_95 <= 0.98 and 0.70 <= model.coverage_80 <= 0.90
    assert worth_publishing(s)[0]
    meta = json.loads((out / "forecast.json").read_text())
    assert meta["published"]["area"]["published"] is True
    assert meta["forecast_months"] == ["2022-04", "2022-05", "2022-06"]
    fc = pd.read_csv(out / "forecast.csv")
    areas = fc[fc.level == "area"]
    assert areas.code.nunique() == 1750 and len(areas) == 3 * 1750
    assert (areas.lo95 <= areas.lo80).all() and (areas.lo80 <= areas.hi80).all()
    assert (areas.hi80 <= areas.hi95).all() and (areas["mean"] >= 0).all()
    assert "Forecast for areas: written" in " ".join(res.output.split())


MERSEYSIDE = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_on_merseyside_the_check_is_reported_as_docs_methods_md_says(tmp_path):
    """Real police.uk files (Merseyside, 2023-10..2025-09, LSOA 2021): the rolling-origin
    figures and the decision docs/methods.md quotes are those a run gives."""
    folder = MERSEYSIDE / "policeuk" / "merseyside-lsoa21"
    if not folder.exists():
        pytest.skip(f"real data not here: {folder} (see ../shared/data/SOURCES.md)")
    db = tmp_path / "m.duckdb"
    for f in sorted((MERSEYSIDE / "geography" / "lsoa21_merseyside").glob("*.geojson")):
        assert runner.invoke(app, ["ingest", "boundaries", str(f), "--db", str(db)]).exit_code == 0
    pop = MERSEYSIDE / "population" / "TS001_usual_residents_LSOA2021.csv"
    assert runner.invoke(app, ["ingest", "population", str(pop), "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["ingest", "police", str(folder), "--db", str(db)]).exit_code == 0
    res = runner.invoke(app, ["forecast", "--db", str(db), "--out", str(tmp_path / "fc")])
    assert res.exit_code == 0, res.output
    s = pd.read_csv(tmp_path / "fc" / "forecast_summary.csv")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "methods.md").read_text()
    block = doc.split("<!-- forecast-merseyside -->")[1].split("<!-- /forecast-merseyside -->")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in block.strip().splitlines()[2:]]  # fmt: skip
    expected = [
        ["areas" if r.level == "area" else "local authorities", r.model, f"{r.mase:.3f}",
         f"{r.crps:.3f}", f"{r.interval_score_95:.1f}", f"{100 * r.coverage_80:.1f}%",
         f"{100 * r.coverage_95:.1f}%"]
        for r in s.itertuples()
    ]  # fmt: skip
    assert rows == expected
    meta = json.loads((tmp_path / "fc" / "forecast.json").read_text())
    for level, words in (("area", "areas"), ("group", "local authorities")):
        verdict = meta["published"][level]
        said = f"Forecast for {words}: {'written' if verdict['published'] else 'not written'}"
        assert said in doc and verdict["why"] in " ".join(doc.split())


def test_the_site_s_when_page_says_whether_the_forecast_passed_and_how_well_it_did(demo_site):
    """The SNA site shows the local authorities' forecast only where the rolling-origin check
    passed for them, and says how well it did either way, in every language."""
    run, work = demo_site
    meta = json.loads((work / "forecast" / "forecast.json").read_text())
    verdict = meta["published"]["group"]
    page = (run.out / "en" / "when.html").read_text()
    assert "The next three months" in page
    assert f"Checked at {verdict['origins']} earlier points" in page
    data = run.out / "data"
    if verdict["published"]:
        assert "Violence expected in each local authority" in page
        assert (data / "forecast.csv").exists()
    else:
        assert "No forecast is shown" in page and not (data / "forecast.csv").exists()
        assert "Average of the last 12 months" in page
    assert "اگلے تین مہینے" in (run.out / "ur" / "when.html").read_text()
