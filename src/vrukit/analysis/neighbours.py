"""Who neighbours whom: queen contiguity for polygons, k-nearest and distance bands for points,
ring adjacency for H3 hexagons. Every rule returns a binary sparse matrix with its description.

Queen contiguity is computed with shapely's STRtree rather than libpysal's ``Queen`` because it
gives the same neighbour sets (``tests/test_neighbours.py`` checks this on real LSOAs) without
libpysal's import cost, which dominates a one-shot CLI run (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from vrukit.errors import SchemaError

__all__ = ["Neighbours", "distance_band", "hex_rings", "knn", "queen"]


@dataclass(frozen=True)
class Neighbours:
    """A binary, symmetric-or-not neighbour matrix over ``ids`` (no self-neighbours).

    ``rule`` says how it was built (e.g. "queen contiguity"), so every result can announce it.
    """

    ids: np.ndarray
    matrix: sp.csr_matrix
    rule: str

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def cardinalities(self) -> np.ndarray:
        return np.diff(self.matrix.indptr)

    @property
    def islands(self) -> np.ndarray:
        """Ids with no neighbour at all."""
        return self.ids[self.cardinalities == 0]

    def to_dict(self) -> dict[str, list[str]]:
        """``{id: [neighbour ids]}``, e.g. to hand the same weights to libpysal."""
        m = self.matrix
        return {
            str(self.ids[i]): [str(x) for x in self.ids[m.indices[m.indptr[i] : m.indptr[i + 1]]]]
            for i in range(self.n)
        }


def _from_pairs(ids: np.ndarray, i: np.ndarray, j: np.ndarray, rule: str) -> Neighbours:
    keep = i != j
    n = len(ids)
    m = sp.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return Neighbours(np.asarray(ids), m, rule)


def queen(geometries: np.ndarray, ids: np.ndarray) -> Neighbours:
    """Polygons that share at least one boundary point (queen contiguity).

    Examples
    --------
    >>> import shapely
    >>> squares = [shapely.box(x, y, x + 1, y + 1) for y in range(2) for x in range(2)]
    >>> queen(np.array(squares), np.array(["a", "b", "c", "d"])).to_dict()["a"]
    ['b', 'c', 'd']
    """
    geoms = np.asarray(geometries)
    if len(geoms) != len(ids):
        raise SchemaError("neighbours", f"{len(geoms)} geometries but {len(ids)} ids")
    if shapely.is_missing(geoms).any():
        missing = np.asarray(ids)[shapely.is_missing(geoms)]
        raise SchemaError(
            "neighbours",
            f"{len(missing)} area(s) have no geometry, e.g. {str(missing[0])!r}; load boundaries "
            "(`vrukit ingest boundaries`) or choose a point-based rule (--neighbours knn)",
        )
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    return _from_pairs(np.asarray(ids), i, j, "queen contiguity")


def knn(xy: np.ndarray, ids: np.ndarray, *, k: int = 8) -> Neighbours:
    """The ``k`` nearest other points (not symmetric in general)."""
    if k >= len(ids):
        raise SchemaError("neighbours", f"k={k} but there are only {len(ids)} areas")
    _, nn = cKDTree(xy).query(xy, k=k + 1)
    i = np.repeat(np.arange(len(ids)), k + 1)
    return _from_pairs(np.asarray(ids), i, nn.ravel(), f"{k} nearest neighbours")


def distance_band(xy: np.ndarray, ids: np.ndarray, *, threshold: float) -> Neighbours:
    """Every other point within ``threshold`` (same units as ``xy``; metres in EPSG:27700)."""
    pairs = cKDTree(xy).query_pairs(threshold, output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return _from_pairs(np.asarray(ids), i, j, f"distance band {threshold:g} m")


def hex_rings(cells: np.ndarray, *, k: int = 1) -> Neighbours:
    """H3 cells within ``k`` grid steps (``k=1``: the six touching hexagons in ``cells``)."""
    import h3

    ids = np.asarray(cells)
    index = {c: n for n, c in enumerate(ids)}
    i: list[int] = []
    j: list[int] = []
    for n, cell in enumerate(ids):
        for other in h3.grid_disk(cell, k):
            m = index.get(other)
            if m is not None:
                i.append(n)
                j.append(m)
    return _from_pairs(ids, np.array(i, dtype=int), np.array(j, dtype=int), f"H3 ring {k}")
