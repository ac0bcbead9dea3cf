"""Neighbour rules: own queen contiguity gives libpysal's neighbour sets on real LSOAs."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from conftest import shared_path
from vrukit.analysis.neighbours import distance_band, hex_rings, knn, queen
from vrukit.ingest.reference import read_boundaries


def test_queen_equals_libpysal_on_real_lsoas():
    libpysal = pytest.importorskip("libpysal")
    a = read_boundaries(
        shared_path("geography", "lsoa11_boundaries_bgc_west-midlands_E47000007.geojson")
    )
    geoms = shapely.from_wkb(a.geometry_wkb.to_numpy())
    ours = queen(geoms, a.lsoa_code.to_numpy()).to_dict()
    ref = libpysal.weights.Queen.from_iterable(list(geoms), ids=list(a.lsoa_code))
    assert len(ours) == 1680
    assert all(set(ours[k]) == set(ref.neighbors[k]) for k in ours)


def test_point_rules():
    xy = np.array([[0, 0], [1, 0], [3, 0], [10, 0]], dtype=float)
    ids = np.array(list("abcd"))
    assert knn(xy, ids, k=1).to_dict() == {"a": ["b"], "b": ["a"], "c": ["b"], "d": ["c"]}
    band = distance_band(xy, ids, threshold=2.5)
    assert band.to_dict()["b"] == ["a", "c"] and list(band.islands) == ["d"]
    with pytest.raises(ValueError, match="k=4 but there are only 4 areas"):
        knn(xy, ids, k=4)


def test_hex_rings():
    h3 = pytest.importorskip("h3")
    centre = h3.latlng_to_cell(53.4, -2.98, 8)
    cells = np.array([centre, *sorted(h3.grid_ring(centre, 1))])
    nb = hex_rings(cells)
    assert nb.cardinalities[0] == 6 and set(nb.cardinalities[1:]) == {3}


def test_missing_geometry_is_named():
    with pytest.raises(ValueError, match=r"have no geometry, e\.g\. 'b'"):
        queen(np.array([shapely.box(0, 0, 1, 1), None]), np.array(["a", "b"]))
