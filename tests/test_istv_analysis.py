"""ISTV analysis: triangulation with police data against planted truth (the demo and a small
simulation), the pattern tables, and the CSP package through the disclosure layer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import published_exposures, strict_outputs
from vrukit.analysis.triangulate import ed_high_police_low, share_unknown_to_police
from vrukit.jobs.istv import located_assaults, run_analysis, run_share
from vrukit.store.warehouse import Warehouse


@pytest.fixture(scope="module")
def analysis(demo_region, tmp_path_factory):
    out = tmp_path_factory.mktemp("istv_analysis")
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        return run_analysis(wh, out)


def _simulate(rng, reported: float, misplaced: float, *, busy_low: float = 0.0, steps: int = 0):
    """Police counts with seasonality, ED assaults known (a thinning of police records) and
    unknown (drawn from the expected level); some placed in a random wrong area.

    ``busy_low``: the busiest tenth of areas report this much less (the night-time economy);
    ``steps``: this many busy areas jump to four times their level halfway (a venue opens)."""
    areas, months, ed_share = 400, 24, 0.05
    level = rng.gamma(2.0, 3.0, areas)
    season = 1 + 0.3 * np.sin(np.arange(months) / 12 * 2 * np.pi)
    lam = level[:, None] * season[None]
    if steps:
        jump = rng.choice(np.argsort(level)[-100:], steps, replace=False)
        lam[jump, months // 2 :] *= 4
    rep = np.full(areas, reported)
    rep[level >= np.quantile(level, 0.9)] -= busy_low
    police = rng.poisson(lam)
    known = rng.binomial(police, ed_share)
    unknown = rng.poisson(ed_share * lam * ((1 - rep) / rep)[:, None])
    n = known + unknown
    i, t = np.nonzero(n)
    i, t = np.repeat(i, n[i, t]), np.repeat(t, n[i, t])
    wrong = rng.random(len(i)) < misplaced
    i = np.where(wrong, rng.integers(0, areas, len(i)), i)
    codes = np.array([f"E0100{k:04d}" for k in range(areas)])
    labels = pd.period_range("2021-01", periods=months, freq="M").strftime("%Y-%m").to_numpy()
    ed = pd.DataFrame({"lsoa_code": codes[i], "month": labels[t], "confidence": 1 - misplaced})
    a, m = np.meshgrid(np.arange(areas), np.arange(months), indexing="ij")
    pol = pd.DataFrame(
        {"lsoa_code": codes[a.ravel()], "month": labels[m.ravel()], "count": police.ravel()}
    )
    truth = unknown.sum() / n.sum()
    return ed, pol, truth


@pytest.mark.parametrize("misplaced", [0.0, 0.4])
def test_share_unknown_recovers_planted_truth(misplaced):
    rng = np.random.default_rng(11)
    ed, pol, truth = _simulate(rng, reported=0.3, misplaced=misplaced)
    est = share_unknown_to_police(ed, pol, boot=300)
    assert est.low <= truth <= est.high
    assert abs(est.share - truth) < 0.06


def test_share_unknown_is_unbiased_where_reporting_and_levels_vary():
    """Over 40 simulated regions where the busiest areas report least and some areas' level
    jumps: the estimate's mean error is within Monte Carlo error of zero and its interval
    covers the truth about 95% of the time. (Weighting quiet cells up, or a baseline blind to
    level changes, put the mean 0.04 to 0.09 too low here.)"""
    errors, covered = [], 0
    for seed in range(40):
        rng = np.random.default_rng([7, seed])
        ed, pol, truth = _simulate(rng, reported=0.35, misplaced=0.2, busy_low=0.25, steps=8)
        est = share_unknown_to_police(ed, pol, boot=200)
        errors.append(est.share - truth)
        covered += est.low <= truth <= est.high
    errors = np.array(errors)
    mc_se = errors.std(ddof=1) / np.sqrt(len(errors))
    assert abs(errors.mean()) < 3 * mc_se, (errors.mean(), mc_se)
    assert covered >= 34, covered


def test_the_share_is_not_published_where_police_counts_are_overdispersed():
    """Police counts with gamma noise (variance about three times the mean in busy areas): the
    estimate is biased (each known assault sits in a size-biased cell), the run says so and the
    share is marked not for publication; Poisson counts pass."""
    rng = np.random.default_rng(5)
    ed, pol, _ = _simulate(rng, reported=0.35, misplaced=0.0)
    assert share_unknown_to_police(ed, pol, boot=100).trustworthy
    noisy = pol.assign(count=rng.poisson(rng.gamma(4.0, pol["count"].to_numpy() / 4 + 0.01)))
    est = share_unknown_to_police(ed, noisy, boot=100)
    assert est.dispersion > 1.5 and not est.trustworthy
    assert est.as_dict()["trustworthy"] is False


def test_demo_share_unknown_to_police_matches_the_truth(demo_region, analysis):
    truth = json.loads((demo_region.istv / "istv_truth.json").read_text())["linkage"]
    u = analysis.unknown
    # the estimator's accuracy is tested over 40 simulated regions above; one demo draw can
    # only show that its interval holds the truth and is narrow enough to say something
    assert u.low <= truth["share_unknown_to_police"] <= u.high
    assert u.high - u.low < 0.3, "the interval says something"
    assert u.low > 0.4, "most ED-treated assaults are unknown to police, as planted"
    assert u.trustworthy and u.dispersion < 1.2, "the demo's police counts are Poisson"


def test_demo_areas_where_police_see_little_are_found(demo_region, analysis):
    low = set(json.loads((demo_region.istv / "istv_truth.json").read_text())["linkage"][
        "low_reporting_lsoas"
    ])  # fmt: skip
    t = analysis.tables["ed_high_police_low"]
    flagged = set(t[t.flag].lsoa_code)
    assert len(flagged & low) >= 4, "most planted low-reporting areas are flagged"
    assert set(t.lsoa_code.iloc[:3]) <= low, "the strongest evidence is where it was planted"


def test_ed_high_police_low_flags_nothing_under_the_null():
    rng = np.random.default_rng(3)
    police = pd.Series(rng.poisson(rng.gamma(2, 20, 600)) + 1, index=[f"L{k}" for k in range(600)])
    ed = pd.Series(rng.poisson(0.1 * police.to_numpy()), index=police.index).astype(float)
    out = ed_high_police_low(ed, police)
    assert out.flag.sum() <= 2
    ed.iloc[:5] = 0.6 * police.iloc[:5]
    out = ed_high_police_low(ed, police)
    assert set(out[out.flag].lsoa_code) >= set(police.index[:5])


def test_pattern_tables_add_up(demo_region, analysis):
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        a = located_assaults(wh)
    t = analysis.tables
    timed = a.assault_time_known.astype(bool) & a.assault_at.notna()
    assert t["hour_weekday"]["count"].sum() == timed.sum()
    mix = t["weapon_mix"]
    assert np.allclose(mix.groupby("site_code").share.sum(), 1.0)
    assert mix[mix.site_code == "all"]["count"].sum() == a.method.notna().sum()
    assert t["monthly"]["count"].sum() == len(a)
    # Northbrook's weapons-as-"other" shows in its weapon mix
    rnb = mix[mix.site_code == "RNB01"].set_index("method").share
    others = mix[mix.site_code.isin(["REH01", "RKM01"])].groupby("method").share.mean()
    assert rnb["other"] > 1.5 * others["other"] and rnb["knife"] < others["knife"]
    for name in ("hour_weekday.svg", "weapon_mix.svg", "analysis.html"):
        assert (analysis.files["html"].parent / name).stat().st_size > 1000
    assert strict_outputs(analysis.files["html"].parent) > 5, "strict JSON, finite rates"


def test_csp_package_passes_the_disclosure_audit(demo_region, tmp_path):
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        pk = run_share(wh, tmp_path / "share")
        a = located_assaults(wh)
    hidden, exposed = published_exposures(pk.folder)
    assert hidden > 0 and exposed == []
    assert strict_outputs(pk.folder) > 3, "strict JSON, finite rates"
    for f in (pk.folder / "data").glob("*.csv"):
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
        values = pd.to_numeric(t.drop(columns=[c for c in t if c in ("lad_name", "lsoa_code",
                               "site_code", "age_band")]).stack(), errors="coerce")  # fmt: skip
        assert not values.between(1, 4).any(), f"{f.name} shows a count under 5"
    # every assault of the month is in the package: placed in a CSP or unplaced (before
    # suppression), and each CSP's folder holds only its own rows
    month = pd.to_datetime(a.assault_at.fillna(a.arrival_at)).dt.strftime("%Y-%m") == pk.month
    m = pk.protected.specs
    placed = m["csp_method"].frame.total.sum()
    unplaced = m["unplaced"].frame.assaults.sum()
    assert placed + unplaced == month.sum() == m["region_age_sex"].frame.total.sum()
    for lad, folder in pk.csps.items():
        assert set(pd.read_csv(folder / "csp_lsoa.csv").lad_name) == {lad}


def test_istv_commands_work_on_the_demo_with_no_options(demo_region, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vrukit.cli import app

    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "vrukit.duckdb").write_bytes((demo_region.folder / "vrukit.duckdb").read_bytes())
    (demo / "istv").symlink_to(demo_region.istv, target_is_directory=True)
    monkeypatch.setenv("VRUKIT_DEMO_DIR", str(demo))
    monkeypatch.chdir(tmp_path)
    said = {}
    for cmd in ("ingest", "venues", "locate", "score", "analyse", "share"):
        res = CliRunner().invoke(app, ["istv", cmd])
        assert res.exit_code == 0, (cmd, res.output, res.exception)
        said[cmd] = " ".join(res.output.split())
    assert "unchanged" in said["ingest"] and "replaced" not in said["ingest"]
    venues = len(pd.read_csv(demo_region.istv / "venues.csv"))
    assert f"{venues} venues loaded" in said["venues"]
    assert "97." in said["locate"] and "Review queue" in said["locate"]
    assert "Unknown to police" in said["analyse"]
    assert (tmp_path / "vrukit-istv" / "location_review_queue.csv").exists()
    assert any((tmp_path / "vrukit-istv" / "share").glob("*/data/manifest.json"))
    # what `make demo`'s istv score, analyse and share steps write: strict JSON, finite rates
    assert strict_outputs(tmp_path / "vrukit-istv") > 10
