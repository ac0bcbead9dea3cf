"""Units for point-based hotspots in the accuracy check (``vrukit.analysis.predictive``): H3
hexagons and the square cells of a kernel density grid, with crimes per unit and month counted
from police.uk map points.

Each unit's area is the part of it inside the areas' boundaries (a coastal hexagon counts only
its land), so the region's area is the same for hexagons, cells and areas and their scores
compare. A unit with no part inside the boundaries is left out; a crime whose map point falls in
none of the units kept is counted in ``PointUnits.left_out``, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from vrukit.analysis.hexes import cells_of, hex_polygons, region_cells
from vrukit.analysis.neighbours import Neighbours, hex_rings
from vrukit.errors import ConfigError, SchemaError
from vrukit.geo import to_bng

__all__ = ["POINT_COLUMNS", "PointUnits", "grid_units", "hex_units", "land_km2"]

#: The crimes at map points each builder reads: one row per map point and month.
POINT_COLUMNS = ["lon", "lat", "month", "count"]


@dataclass(frozen=True)
class PointUnits:
    """Units ready for ``hotspot_accuracy``: ``counts`` (units x months), ``units``
    (``area_code`` the unit's id, ``area_km2`` its area inside the boundaries, ``x, y`` its centre
    in EPSG:27700 metres), their neighbours (None for grid cells), the crimes left out (at map
    points in no unit) and what the units are, in words."""

    counts: pd.DataFrame
    units: pd.DataFrame
    nb: Neighbours | None
    left_out: int
    kind: str


def _check(points: pd.DataFrame) -> None:
    missing = [c for c in POINT_COLUMNS if c not in points]
    if missing:
        raise SchemaError("points", f"column {missing[0]!r} is missing; expected {POINT_COLUMNS}")


def land_km2(units: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """The area (km²) of each polygon of ``units`` inside the polygons ``areas`` (which do not
    overlap, as small areas do not), all in EPSG:27700 metres."""
    areas = shapely.make_valid(np.asarray(areas))
    u, a = shapely.STRtree(areas).query(units, predicate="intersects")
    shared = shapely.area(shapely.intersection(units[u], areas[a]))
    return np.bincount(u, weights=shared, minlength=len(units)) / 1e6


def _counts(of: np.ndarray, points: pd.DataFrame, ids: np.ndarray,
            months: Sequence[str]) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """Crimes per unit (``of``: each point row's unit) and month, and those in no unit."""
    long = pd.DataFrame({"unit": of, "month": points.month.to_numpy(), "n": points["count"]})
    wide = long.groupby(["unit", "month"]).n.sum().unstack(fill_value=0)
    wide = wide.reindex(index=ids, columns=list(months), fill_value=0)
    wide.index.name, wide.columns.name = None, None
    return wide.astype(int), int(points["count"].sum() - wide.to_numpy().sum())


def hex_units(
    points: pd.DataFrame, months: Sequence[str], areas: np.ndarray, *, resolution: int = 8
) -> PointUnits:
    """The H3 hexagons over the areas (``areas``: polygons in EPSG:27700) at ``resolution``,
    with their land area, ring-1 neighbours and crimes per month from ``points``
    (``POINT_COLUMNS``, months ``YYYY-MM``)."""
    _check(points)
    cells = region_cells(areas, resolution)
    polys = hex_polygons(cells)
    land = land_km2(polys, areas)
    keep = land > 0
    cells, polys, land = cells[keep], polys[keep], land[keep]
    of = cells_of(points.lon.to_numpy(), points.lat.to_numpy(), resolution)
    counts, left = _counts(of, points, cells, months)
    centre = shapely.get_coordinates(shapely.centroid(polys))
    units = pd.DataFrame({"area_code": cells, "area_km2": land, "x": centre[:, 0],
                          "y": centre[:, 1]})  # fmt: skip
    return PointUnits(counts, units, hex_rings(cells), left, f"H3 resolution {resolution}")


def grid_units(
    points: pd.DataFrame, months: Sequence[str], areas: np.ndarray, *, cell: float = 100.0
) -> PointUnits:
    """The square cells of side ``cell`` metres (on the British National Grid's lattice, as the
    density surface's) that overlap the areas, with their land area and crimes per month from
    ``points``. A cell's id names its south-west corner, e.g. ``E334500N390200``."""
    _check(points)
    if cell <= 0:
        raise ConfigError(f"cell size {cell} m must be positive")
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(areas))
    span = (np.arange(math.floor(lo / cell), math.floor(hi / cell) + 1) for lo, hi in
            ((x0, x1), (y0, y1)))  # fmt: skip
    cols, rows = np.meshgrid(*span)
    ix, iy = cols.ravel(), rows.ravel()
    land = land_km2(shapely.box(ix * cell, iy * cell, (ix + 1) * cell, (iy + 1) * cell), areas)
    keep = land > 0
    ix, iy, land = ix[keep], iy[keep], land[keep]
    ids = np.array([f"E{a * cell:.0f}N{b * cell:.0f}" for a, b in zip(ix, iy, strict=True)])
    xy = to_bng(points.lon.to_numpy(), points.lat.to_numpy())
    px, py = np.floor(xy[:, 0] / cell), np.floor(xy[:, 1] / cell)
    of = np.array([f"E{a * cell:.0f}N{b * cell:.0f}" for a, b in zip(px, py, strict=True)])
    counts, left = _counts(of, points, ids, months)
    units = pd.DataFrame({"area_code": ids, "area_km2": land, "x": (ix + 0.5) * cell,
                          "y": (iy + 0.5) * cell})  # fmt: skip
    return PointUnits(counts, units, None, left, f"{cell:g} m grid cells")
