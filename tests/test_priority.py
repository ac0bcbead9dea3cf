"""The risk index, its bootstrap rank intervals, sensitivity, clusters and the gap list, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from vrukit.analysis.neighbours import queen
from vrukit.analysis.priority import (
    INDEX_COLUMNS,
    RISK_WEIGHTS,
    clusters,
    gap_list,
    place_names,
    rank_intervals,
    risk_index,
    sensitivity,
)
from vrukit.errors import ConfigError, SchemaError


def _grid(n: int = 10):
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(n) for x in range(n)]
    ids = np.array([f"a{i:03d}" for i in range(n * n)])
    return queen(np.array(boxes), ids), np.array([[x * 1000.0, y * 1000.0] for y in range(n)
                                                 for x in range(n)])  # fmt: skip


def _frame(seed: int = 1, n: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = n * n
    mu = np.full(k, 30.0)
    mu[[0, 1, n, n + 1]] = 150  # a hot corner
    count = rng.poisson(mu)
    return pd.DataFrame(
        {
            "area_code": [f"a{i:03d}" for i in range(k)],
            "population": np.full(k, 1500),
            "count": count,
            "harm": count * rng.uniform(5, 15, k),
            "expected": mu * rng.uniform(0.8, 1.2, k),
            "hotspot": np.isin(np.arange(k), [0, 1, n, n + 1]),
        }
    )


def test_score_is_the_weighted_mean_of_percentile_components():
    f = _frame()
    out = risk_index(f)
    assert list(out.columns) == INDEX_COLUMNS
    pct = lambda v: (pd.Series(v).rank(method="average") - 0.5) / len(v)  # noqa: E731
    w = RISK_WEIGHTS
    expect = 100 * (
        w["rate"] * pct(f["count"] / f.population) + w["harm"] * pct(f.harm / f.population)
        + w["expected"] * pct(f.expected / f.population) + w["hotspot"] * f.hotspot
    ) / sum(w.values())  # fmt: skip
    np.testing.assert_allclose(out.risk_score, expect, atol=1e-3)
    assert set(out.loc[out["rank"] <= 4, "area_code"]) == {"a000", "a001", "a010", "a011"}
    assert (out.tier == "very high").sum() == 5 and (out.tier == "high").sum() == 15


def test_bad_weights_and_frames_are_refused():
    f = _frame()
    with pytest.raises(ConfigError, match="unknown risk component"):
        risk_index(f, weights={"rate": 1, "poverty": 1})
    with pytest.raises(ConfigError, match="not all 0"):
        risk_index(f, weights={"rate": 0})
    with pytest.raises(SchemaError, match="missing column"):
        risk_index(f.drop(columns="expected"))


def test_rank_intervals_hold_the_rank_and_narrow_with_more_evidence():
    nb, _ = _grid()
    f = _frame()
    draws = np.repeat(f.expected.to_numpy()[:, None], 100, axis=1)
    a = rank_intervals(f, nb, draws, seed=3)
    b = rank_intervals(f, nb, draws, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert ((a.rank_lo <= a["rank"]) & (a["rank"] <= a.rank_hi)).mean() >= 0.9
    hot = a.area_code.isin(["a000", "a001", "a010", "a011"])
    assert (a.rank_hi[hot] <= 10).all()  # clearly the top, whatever the draw
    big = f.assign(count=f["count"] * 20, harm=f.harm * 20, population=f.population * 20)
    c = rank_intervals(big, nb, draws * 20, seed=3)
    assert (c.rank_hi - c.rank_lo).median() < (a.rank_hi - a.rank_lo).median()
    with pytest.raises(SchemaError, match="must align"):
        rank_intervals(f, nb, draws[:-1], seed=3)


def test_sensitivity_of_the_main_weights_is_the_identity():
    out = risk_index(_frame())
    ranks, schemes = sensitivity(out, {"same": RISK_WEIGHTS, "rate only": {"rate": 1}})
    assert (ranks["same"] == ranks["main"]).all()
    same = schemes.set_index("scheme").loc["same"]
    assert same.spearman == pytest.approx(1) and same.top20_kept == 1
    assert same.median_rank_change == 0
    assert schemes.set_index("scheme").loc["rate only"].spearman < 1


def test_clusters_are_contiguous_high_tier_groups():
    nb, _ = _grid(4)
    index = pd.DataFrame(
        {"area_code": nb.ids, "risk_score": np.arange(16, 0, -1.0),
         "tier": ["very high" if i in (0, 1, 4, 15) else "lower" for i in range(16)]}
    )  # fmt: skip
    c = clusters(index, nb)
    assert c[[0, 1, 4]].eq(1).all()  # the corner block, highest total score
    assert c[15] == 2 and (c[[2, 3, 5, 14]] == 0).all()


def test_priority_places_are_named_after_the_neighbourhood_carrying_their_risk():
    members = pd.DataFrame(
        {"cluster": [1, 1, 1, 2, 2, 3, 3],
         "risk_score": [90.0, 80.0, 75.0, 70.0, 60.0, 50.0, 50.0],
         "ward_name": ["Anfield", None, "", "Anfield", "Everton", "Anfield", "Anfield"],
         "msoa_name": ["Liverpool 017", "Liverpool 018", "Liverpool 019", "Liverpool 020",
                       "Liverpool 021", "Liverpool 022", "Liverpool 023"],
         "lad_name": ["Liverpool"] * 7}
    )  # fmt: skip
    got = place_names(members).set_index("cluster")
    # place 1: the ward where a ward is named, the MSOA where it is missing or blank
    assert got.loc[1, "name"] == "Anfield" and got.loc[1, "other_neighbourhoods"] == 2
    # place 2 carries more risk in Anfield, which place 1 took: it takes its next neighbourhood
    assert got.loc[2, "name"] == "Everton" and got.loc[2, "other_neighbourhoods"] == 1
    # place 3 has only Anfield: a number keeps its name apart
    assert got.loc[3, "name"] == "Anfield (3)" and got.loc[3, "other_neighbourhoods"] == 0
    # without wards, the MSOA; without either, the local authority
    by_msoa = place_names(members.drop(columns="ward_name")).set_index("cluster")
    assert by_msoa.loc[1, "name"] == "Liverpool 017"
    assert place_names(members[["cluster", "risk_score", "lad_name"]]).name.iloc[0] == "Liverpool"


def test_gap_list_by_hand():
    nb, xy = _grid()
    out = risk_index(_frame())
    pilots = pd.DataFrame({"pilot": ["P1", "P1", "P2"], "area_code": ["a055", "a056", "a099"]})
    gaps, threshold = gap_list(out, pilots, xy, clusters(out, nb))
    scores = out.set_index("area_code").risk_score
    assert threshold == pytest.approx(scores[["a055", "a056", "a099"]].median())
    expected = out[(out.risk_score >= threshold) & ~out.area_code.isin(pilots.area_code)]
    assert set(gaps.area_code) == set(expected.area_code)
    first = gaps.set_index("area_code").loc["a000"]
    assert "Gi* hot spot" in first.reasons and "observed violence rate in the top" in first.reasons
    # a000 sits at (0, 0) km; P1's a055 at (5, 5) km is nearer than P2's a099 at (9, 9).
    assert first.nearest_pilot == "P1"
    assert first.nearest_pilot_km == pytest.approx(np.hypot(5, 5), abs=0.01)
    with pytest.raises(SchemaError, match="none of the pilot areas"):
        gap_list(out, pilots.assign(area_code="E01999999"), xy, clusters(out, nb))
