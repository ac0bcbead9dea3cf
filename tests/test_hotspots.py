"""Gi* and Local Moran's I: pinned to esda on real Merseyside counts, and to simple truths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import shared_path
from vrukit.analysis._crand import neighbour_sum_counts
from vrukit.analysis.hotspots import (
    GI_COLUMNS,
    HOTSPOT_COLUMNS,
    LISA_COLUMNS,
    gi_star,
    hotspots,
    local_moran,
)
from vrukit.analysis.neighbours import queen
from vrukit.ingest.reference import read_boundaries
from vrukit.schemas import VIOLENCE_TYPES

HALTON = "E06000006"  # in the Liverpool City Region file, but policed by Cheshire


@pytest.fixture(scope="module")
def merseyside():
    """Violence counts (11 months of 2022) per Merseyside LSOA, and queen neighbours."""
    bounds = shared_path(
        "geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson"
    )
    folder = shared_path("policeuk", "merseyside")
    a = read_boundaries(bounds)
    a = a[a.lad_code != HALTON].reset_index(drop=True)
    nb = queen(shapely.from_wkb(a.geometry_wkb.to_numpy()), a.lsoa_code.to_numpy())
    crimes = pd.concat(
        pd.read_csv(f, usecols=["LSOA code", "Crime type"]) for f in sorted(folder.glob("*.csv.gz"))
    )
    counts = crimes[crimes["Crime type"].isin(VIOLENCE_TYPES)]["LSOA code"].value_counts()
    y = a.lsoa_code.map(counts).fillna(0).to_numpy(dtype=float)
    assert len(y) == 910 and y.sum() > 60_000
    return y, nb


@pytest.fixture(scope="module")
def esda_w(merseyside):
    libpysal = pytest.importorskip("libpysal")
    _, nb = merseyside
    d = nb.to_dict()
    return libpysal.weights.W(d, {k: [1.0] * len(v) for k, v in d.items()}, id_order=list(nb.ids))


def _within_mc_error(ours: np.ndarray, ref: np.ndarray, permutations: int) -> None:
    """Two independent permutation estimates of the same p-value differ by MC error only."""
    p = (ours + ref) / 2
    sd = np.sqrt(2 * p * (1 - p) / permutations)
    assert np.all(np.abs(ours - ref) <= 4.5 * sd + 2 / permutations)
    assert abs(np.mean(ours - ref)) < 0.01
    assert np.corrcoef(ours, ref)[0, 1] > 0.99


@pytest.mark.parametrize("transform", ["B", "R"])
def test_gi_star_equals_esda(merseyside, esda_w, transform):
    esda = pytest.importorskip("esda")
    y, nb = merseyside
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(
            y, esda_w, transform=transform, star=True, permutations=999, seed=3, n_jobs=1
        )
    ours = gi_star(y, nb, permutations=999, seed=11, transform=transform)
    assert list(ours.columns) == GI_COLUMNS
    np.testing.assert_allclose(ours.gi, ref.Gs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.gi_z, ref.Zs, rtol=0, atol=1e-8)
    _within_mc_error(ours.gi_p_sim.to_numpy(), np.asarray(ref.p_sim), 999)


def test_local_moran_equals_esda(merseyside, esda_w):
    esda = pytest.importorskip("esda")
    y, nb = merseyside
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, esda_w, permutations=999, seed=3, n_jobs=1)
    ours = local_moran(y, nb, permutations=999, seed=11)
    assert list(ours.columns) == LISA_COLUMNS
    np.testing.assert_allclose(ours.lisa_i, ref.Is, rtol=0, atol=1e-8)
    quad = ours.lisa_quadrant.map({"HH": 1, "LH": 2, "LL": 3, "HL": 4}).to_numpy()
    np.testing.assert_array_equal(quad, ref.q)
    _within_mc_error(ours.lisa_p_sim.to_numpy(), np.asarray(ref.p_sim), 999)


def test_permutation_engine_matches_brute_force():
    """The shared-draw engine gives each area a uniform sample of the *other* areas."""
    rng = np.random.default_rng(0)
    n, perms = 12, 20000
    y = rng.poisson(5, n).astype(float)
    k = rng.integers(1, 5, n)
    obs = np.array(
        [y[rng.choice(np.delete(np.arange(n), i), k[i], replace=False)].sum() for i in range(n)]
    )
    c = neighbour_sum_counts(y, k, obs, permutations=perms, seed=1)
    for i in range(n):
        others = np.delete(y, i)
        brute = np.array([rng.choice(others, k[i], replace=False).sum() for _ in range(perms)])
        expect = (brute >= obs[i]).mean()
        assert abs(c.ge[i] / perms - expect) < 5 * np.sqrt(expect * (1 - expect) / perms) + 0.01


def test_hotspots_columns_and_a_planted_block():
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(10) for x in range(10)]
    nb = queen(np.array(boxes), np.array([f"a{i:02d}" for i in range(100)]))
    y = np.random.default_rng(2).poisson(3, 100).astype(float)
    block = [44, 45, 54, 55]
    y[block] = 40
    out = hotspots(y, nb, seed=1)
    assert list(out.columns[: len(HOTSPOT_COLUMNS)]) == HOTSPOT_COLUMNS
    hot = set(np.nonzero(out.gi_class == "hot spot")[0])
    assert set(block) <= hot
    assert set(np.nonzero(out.lisa_class == "HH")[0]) == set(block)
    assert (out.gi_class == "cold spot").sum() == 0


def test_bad_values_are_named():
    boxes = [shapely.box(x, 0, x + 1, 1) for x in range(3)]
    nb = queen(np.array(boxes), np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match="'b' is not a finite number"):
        hotspots(np.array([1.0, np.nan, 2.0]), nb)
    with pytest.raises(ValueError, match="2 values for 3 areas"):
        gi_star(np.array([1.0, 2.0]), nb)


def test_local_moran_p_values_agree_with_esda_in_distribution_over_seeds(merseyside, esda_w):
    """Issue 31: on the Merseyside 2022 LSOAs, over many seeds, the mean of vrukit's Local
    Moran p-values and the number of areas flagged at p < 0.05 match esda's within Monte Carlo
    error. (A comparison on one seed each is dominated by the draws both share across areas: a
    whole group of areas moves together from one seed to the next.)"""
    esda = pytest.importorskip("esda")
    y, nb = merseyside
    seeds = 20
    ours_mean, ref_mean, ours_flags, ref_flags = [], [], [], []
    for seed in range(seeds):
        ours = local_moran(y, nb, permutations=999, seed=seed).lisa_p_sim.to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = np.asarray(esda.Moran_Local(y, esda_w, permutations=999, seed=1000 + seed,
                                              n_jobs=1).p_sim)  # fmt: skip
        ours_mean.append(ours.mean())
        ref_mean.append(ref.mean())
        ours_flags.append((ours < 0.05).sum())
        ref_flags.append((ref < 0.05).sum())

    def within(a: list, b: list) -> bool:
        a, b = np.asarray(a, float), np.asarray(b, float)
        se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        return abs(a.mean() - b.mean()) <= 3 * se

    assert within(ours_mean, ref_mean), (np.mean(ours_mean), np.mean(ref_mean))
    assert within(ours_flags, ref_flags), (np.mean(ours_flags), np.mean(ref_flags))
