"""`vrukit risk` on the demo region: documented tables, planted rate ratios inside their
intervals, planted high-risk unserved areas on the gap list, and a direct statsmodels fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from typer.testing import CliRunner

from vrukit.analysis.priority import GAP_COLUMNS, INDEX_COLUMNS
from vrukit.cli import app
from vrukit.demo import build_demo
from vrukit.jobs.demo import load_demo_crime
from vrukit.jobs.risk import RISK_FACTOR_COLUMNS, RiskOptions, run_risk
from vrukit.store.warehouse import Warehouse


def _risk(files, db, out, **kw):
    with Warehouse(db) as wh:
        return run_risk(wh, out, indicators=[files.indicators], pilots=files.pilots, **kw)


@pytest.fixture(scope="module")
def risked(demo_region):
    files = demo_region
    run = _risk(files, files.folder / "vrukit.duckdb", files.folder / "risk",
                options=RiskOptions(draws=200))  # fmt: skip
    return files, run


def _inside(out, truth: dict[str, float]) -> dict[str, bool]:
    f = pd.read_csv(out / "risk_factors.csv").set_index("factor")
    return {k: bool(f.irr_lo[k] <= v <= f.irr_hi[k]) for k, v in truth.items()}


def test_tables_have_their_documented_columns(risked):
    files, run = risked
    factors = pd.read_csv(run.out / "risk_factors.csv")
    assert list(factors.columns) == RISK_FACTOR_COLUMNS
    index = pd.read_csv(run.out / "risk_index.csv")
    assert set(INDEX_COLUMNS) <= set(index.columns)
    assert len(index) == 1750 and index.area_code.is_unique
    assert (index.rank_lo <= index["rank"]).all() and (index["rank"] <= index.rank_hi).all()
    assert index.sort_values("rank").risk_score.is_monotonic_decreasing
    gaps = pd.read_csv(run.out / "gaps.csv")
    assert list(gaps.columns[: len(GAP_COLUMNS)]) == GAP_COLUMNS
    pilots = pd.read_csv(files.pilots)
    assert not gaps.area_code.isin(pilots.area_code).any()
    threshold = run.summary["gap_threshold"]
    median_pilot = index[index.area_code.isin(pilots.area_code)].risk_score.median()
    assert threshold == pytest.approx(median_pilot, abs=1e-3)
    assert (gaps.risk_score >= threshold - 1e-3).all()
    above = index[(index.risk_score >= threshold) & ~index.area_code.isin(pilots.area_code)]
    assert len(above) == len(gaps)
    gradient = pd.read_csv(run.out / "gradient.csv")
    assert gradient.decile.tolist() == list(range(1, 11))
    assert (run.out / "summary.md").read_text().startswith("The inequalities most closely")
    clusters = pd.read_csv(run.out / "priority_clusters.csv")
    assert clusters.areas.sum() == index.tier.isin(["very high", "high"]).sum()
    # each place named after a neighbourhood (the demo's MSOAs) it holds, no two alike
    msoa = r"^[A-Z][a-z]+( [A-Z][a-z]+)? \d{3}"
    assert clusters.name.is_unique and clusters.name.str.match(msoa).all()
    assert (clusters.other_neighbourhoods >= 0).all()


def test_planted_rate_ratios_lie_in_their_intervals(risked):
    files, run = risked
    truth = json.loads(files.truth.read_text())["risk_factors"]
    assert all(_inside(run.out, truth["planted"]).values())
    assert all(_inside(run.out, truth["control"]).values())
    # Planted nulls: with five, a 95% interval may miss one now and then; this seed misses none.
    assert sum(not v for v in _inside(run.out, truth["null"]).values()) <= 1


def test_planted_high_risk_unserved_areas_are_on_the_gap_list(risked):
    files, run = risked
    truth = pd.read_csv(files.truth_areas)
    planted = truth.lsoa_code[truth.high_risk_unserved]
    gaps = pd.read_csv(run.out / "gaps.csv")
    assert len(planted) > 100
    assert planted.isin(gaps.area_code).all()
    top = gaps.head(20)
    assert top.area_code.isin(planted).mean() >= 0.9
    assert top.reasons.str.contains("Gi\\* hot spot").all()


def test_irrs_equal_a_direct_statsmodels_fit_of_the_written_profile(risked):
    _, run = risked
    prof = pd.read_csv(run.out / "area_profile.csv")
    factors = pd.read_csv(run.out / "risk_factors.csv")
    cols = factors.factor.tolist()
    data = (prof[cols] - prof[cols].mean()) / prof[cols].std()
    data = data.assign(y=prof["count"], logpop=np.log(prof.population))
    ref = smf.poisson if run.model.family.startswith("Poisson") else smf.negativebinomial
    fit = ref(f"y ~ {' + '.join(cols)}", data, offset=data.logpop).fit(disp=0, maxiter=2000)
    np.testing.assert_allclose(factors.irr, np.exp(fit.params[cols]), rtol=1e-4)
    np.testing.assert_allclose(factors.irr_lo, np.exp(fit.conf_int().loc[cols, 0]), rtol=1e-4)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_planted_truth_holds_on_other_seeds(tmp_path, seed):
    """Smaller regions (800 areas, 24 months) from other seeds; benchmarks/risk.py runs 20."""
    files = build_demo(tmp_path, seed=seed, n_areas=800, months=24, crime_only=True)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        load_demo_crime(wh, files)  # the risk analysis reads no A&E, programme or directory data
    run = _risk(files, tmp_path / "w.duckdb", tmp_path / "risk", permutations=999,
                options=RiskOptions(draws=50))  # fmt: skip
    truth = json.loads(files.truth.read_text())["risk_factors"]
    assert all(_inside(run.out, truth["planted"]).values())
    areas = pd.read_csv(files.truth_areas)
    gaps = pd.read_csv(run.out / "gaps.csv")
    assert areas.lsoa_code[areas.high_risk_unserved].isin(gaps.area_code).all()


def test_cli_risk_prints_the_ranking(risked, tmp_path):
    files, _ = risked
    db = files.folder / "vrukit.duckdb"
    res = CliRunner().invoke(
        app,
        ["risk", "--db", str(db), "--out", str(tmp_path / "r"), "--indicators",
         str(files.indicators), "--pilots", str(files.pilots), "--draws", "20",
         "--weight", "harm=1", "--weight", "rate=1", "--fixed-effects"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "most closely linked to violence" in res.output
    assert "Income deprivation (score)" in res.output
    summary = json.loads((tmp_path / "r" / "risk_summary.json").read_text())
    assert summary["choices"]["weights"] == {"harm": 1.0, "rate": 1.0}
    assert summary["choices"]["fixed_effects"] == "local authority"
    bad = CliRunner().invoke(app, ["risk", "--db", str(db), "--weight", "harm:1"])
    assert bad.exit_code != 0
    assert "expected component=number" in str(bad.exception)


def test_areas_without_residents_are_left_out_and_named(demo_region, tmp_path):
    """Three areas lose their residents: the risk job leaves them out (never a NaN or infinite
    rate), names them in its summary, and the other areas are modelled as before."""
    import shutil

    import duckdb

    from vrukit.jobs.risk import summary_lines

    db = tmp_path / "w.duckdb"
    shutil.copy(demo_region.folder / "vrukit.duckdb", db)
    con = duckdb.connect(str(db))
    gone = [r[0] for r in con.execute("SELECT lsoa_code FROM areas ORDER BY lsoa_code LIMIT 3")
            .fetchall()]  # fmt: skip
    con.execute("UPDATE areas SET population = NULL WHERE lsoa_code IN (SELECT UNNEST(?))", [gone])
    con.close()
    run = _risk(demo_region, db, tmp_path / "risk", options=RiskOptions(draws=50))
    assert run.choices["left_out_no_population"] == gone
    index = pd.read_csv(tmp_path / "risk" / "risk_index.csv")
    assert len(index) == 1750 - 3 and not set(gone) & set(index.area_code)
    said = " ".join(summary_lines(run))
    assert f"3 areas with no residents loaded are left out: {', '.join(gone)}." in said
    for f in (tmp_path / "risk").glob("*.csv"):
        numbers = pd.read_csv(f).select_dtypes("number")
        assert np.isfinite(numbers.to_numpy(float)[~np.isnan(numbers.to_numpy(float))]).all(), f
