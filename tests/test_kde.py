"""Kernel density: the binned FFT surface against exact sums and against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.neighbors import KernelDensity

from vrukit.analysis.kde import arcgis_bandwidth, density_at, kde_surface
from vrukit.errors import ConfigError, SchemaError


def _grid_points(surface):
    xs, ys = surface.centres()
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


@pytest.fixture(scope="module")
def crimes():
    """Clustered points in metres: two town centres and a scatter, as crime locations look."""
    rng = np.random.default_rng(7)
    return np.vstack(
        [
            rng.normal([2000, 3000], 400, (3000, 2)),
            rng.normal([6000, 1500], 900, (2000, 2)),
            rng.uniform(0, 8000, (1000, 2)),
        ]
    )


def test_bandwidth_follows_the_arcgis_rule(crimes):
    centre = crimes.mean(0)
    d = np.hypot(*(crimes - centre).T)
    sd = math.sqrt((d**2).mean())
    dm = np.median(d)
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * len(crimes) ** -0.2
    assert arcgis_bandwidth(crimes) == pytest.approx(expected, rel=1e-3)
    # A weight of 3 is the same as three points in the same place.
    w = np.ones(len(crimes))
    w[:10] = 3
    repeated = np.vstack([crimes, crimes[:10], crimes[:10]])
    assert arcgis_bandwidth(crimes, w) == pytest.approx(arcgis_bandwidth(repeated), rel=1e-3)


@pytest.mark.parametrize("kernel", ["quartic", "epanechnikov"])
def test_points_at_cell_centres_give_the_exact_surface(crimes, kernel):
    centred = np.floor(crimes / 50) * 50 + 25
    s = kde_surface(centred, cell=50, bandwidth=400, kernel=kernel)
    exact = density_at(_grid_points(s), centred, 400, kernel=kernel).reshape(s.shape)
    assert np.abs(s.density - exact).max() <= 1e-9 * exact.max()


def test_epanechnikov_equals_scikit_learn(crimes):
    centred = np.floor(crimes / 100) * 100 + 50
    s = kde_surface(centred, cell=100, bandwidth=600, kernel="epanechnikov")
    kd = KernelDensity(kernel="epanechnikov", bandwidth=600).fit(centred)
    with np.errstate(divide="ignore"):
        ref = np.exp(kd.score_samples(_grid_points(s))) * len(centred) * 1e6
    np.testing.assert_allclose(s.density.ravel(), ref, rtol=1e-9, atol=1e-9 * ref.max())


def test_any_points_are_within_one_percent_of_the_exact_surface(crimes):
    # Linear binning moves no weight further than a cell; measured: 0.7% of the peak at
    # 100 m cells with the rule's bandwidth (~500 m here), 0.2% at 50 m (docs/methods.md).
    s = kde_surface(crimes, cell=100)
    exact = density_at(_grid_points(s), crimes, s.bandwidth).reshape(s.shape)
    assert np.abs(s.density - exact).max() <= 0.01 * exact.max()
    # The volume under the surface is the number of crimes (per km²: cell area in km²).
    assert s.density.sum() * (s.cell / 1000) ** 2 == pytest.approx(len(crimes), rel=0.005)
    assert s.points == len(crimes) and s.outside == 0


def test_weights_count_points(crimes):
    w = np.arange(len(crimes)) % 4 + 1.0
    repeated = np.repeat(crimes, w.astype(int), axis=0)
    a = kde_surface(crimes, weights=w, cell=100, bandwidth=500)
    b = kde_surface(repeated, cell=100, bandwidth=500, bounds=(*crimes.min(0), *crimes.max(0)))
    np.testing.assert_allclose(a.density, b.density, atol=1e-9 * a.density.max())


def test_points_outside_the_bounds_are_counted_not_mapped():
    xy = np.array([[500.0, 500.0], [90_000.0, 90_000.0]])
    s = kde_surface(xy, cell=100, bandwidth=200, bounds=(0, 0, 1000, 1000))
    assert (s.points, s.outside) == (1.0, 1.0)


def test_ascii_grid_reads_back(tmp_path, crimes):
    s = kde_surface(crimes, cell=100, bandwidth=500)
    asc, prj = s.write_ascii_grid(tmp_path / "density.asc")
    head = dict(line.split() for line in asc.read_text().splitlines()[:6])
    assert int(head["ncols"]) == s.shape[1] and int(head["nrows"]) == s.shape[0]
    assert float(head["xllcorner"]) == s.x0 and float(head["cellsize"]) == s.cell
    grid = np.loadtxt(asc, skiprows=6)
    np.testing.assert_allclose(grid, s.density, rtol=1e-5, atol=1e-6)
    assert "British_National_Grid" in prj.read_text()


def test_bad_requests_say_what_is_wrong(crimes):
    with pytest.raises(ConfigError, match="kernel 'gaussian'"):
        kde_surface(crimes, kernel="gaussian")
    with pytest.raises(ConfigError, match="bandwidth -5"):
        kde_surface(crimes, bandwidth=-5)
    with pytest.raises(ConfigError, match="too large"):
        kde_surface(crimes, cell=0.5)
    with pytest.raises(SchemaError, match="not a finite number"):
        kde_surface(np.array([[0.0, np.nan], [1.0, 1.0]]))
    with pytest.raises(SchemaError, match="at least two"):
        arcgis_bandwidth(np.array([[0.0, 0.0]]))
