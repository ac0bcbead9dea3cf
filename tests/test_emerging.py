"""Mann-Kendall against scipy, and the emerging-hotspot rules on series built to match each one."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import stats

from vrukit.analysis.emerging import EMERGING_COLUMNS, _classify, emerging_hotspots, mann_kendall
from vrukit.analysis.neighbours import queen


def test_mann_kendall_equals_kendall_tau_against_time():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 24)).cumsum(axis=1)
    x[0, :6] = 1.0  # ties
    tau, z, p = mann_kendall(x)
    for row, zi, pi in zip(x, z, p, strict=True):
        ref = stats.kendalltau(np.arange(24), row)
        assert np.sign(zi) == np.sign(ref.statistic)
        # scipy's asymptotic p has no continuity correction: equal to within it
        assert abs(pi - ref.pvalue) < 0.03
    assert tau[1] == pytest.approx(stats.kendalltau(np.arange(24), x[1]).statistic)


def _one(sig, other=None, tz=0.0, tp=1.0):
    sig = np.array([sig], dtype=bool)
    other = np.zeros_like(sig) if other is None else np.array([other], dtype=bool)
    return _classify(sig, other, +1, np.array([tz]), np.array([tp]), 0.05)[0]


T, F = True, False


@pytest.mark.parametrize(
    ("sig", "other", "tz", "tp", "pattern"),
    [
        ([F] * 9 + [T], None, 0, 1, "new"),
        ([F] * 6 + [T] * 4, None, 0, 1, "consecutive"),
        ([T] * 10, None, 3.0, 0.001, "intensifying"),
        ([T] * 10, None, 0.5, 0.6, "persistent"),
        ([T] * 10, None, -3.0, 0.001, "diminishing"),
        ([T, F, T, F, F, T, F, F, T, T], None, 0, 1, "sporadic"),
        ([T, F, F, F, F, T, F, F, F, T], [F, T] + [F] * 8, 0, 1, "oscillating"),
        ([T] * 9 + [F], None, -3.0, 0.001, "historical"),
        ([F] * 10, None, 0, 1, ""),
        ([T] * 4 + [F] * 6, None, 0, 1, ""),
    ],
)
def test_each_pattern_rule(sig, other, tz, tp, pattern):
    assert _one(sig, other, tz, tp) == pattern


def test_cube_on_a_lattice_finds_a_new_block():
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(8) for x in range(8)]
    nb = queen(np.array(boxes), np.array([f"a{i:02d}" for i in range(64)]))
    cube = np.random.default_rng(1).poisson(5, (64, 12)).astype(float)
    block = [27, 28, 35, 36]
    cube[block, 8:] = 60
    out = emerging_hotspots(cube, nb)
    assert list(out.columns) == EMERGING_COLUMNS
    assert set(out.pattern.iloc[block]) == {"consecutive hot spot"}
