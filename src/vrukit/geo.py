"""Coordinates between WGS84 (what police.uk, GeoJSON and H3 use) and British National Grid
metres (EPSG:27700, what areas, distances and densities use). pyproj's offline Helmert transform,
accurate to about 2 m; transformers are built once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

__all__ = ["Repair", "geoms_to_wgs84", "repair_polygons", "to_bng", "to_wgs84", "transformer"]


@cache
def transformer(source: int | str, target: int | str) -> Transformer:
    """A cached always-x-first (lon, lat / easting, northing) transformer."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """WGS84 degrees to British National Grid metres, as an (n, 2) array."""
    x, y = transformer(4326, 27700).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def to_wgs84(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """British National Grid metres to WGS84 degrees (lon, lat), as an (n, 2) array."""
    lon, lat = transformer(27700, 4326).transform(np.asarray(x, float), np.asarray(y, float))
    return np.column_stack([lon, lat])


def geoms_to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """Geometries in EPSG:27700 to WGS84, rounded to 1e-6 degrees (about 0.1 m), as GeoJSON
    wants them."""
    out = shapely.transform(np.asarray(geoms), lambda xy: to_wgs84(xy[:, 0], xy[:, 1]))
    return shapely.set_precision(out, 1e-6)


@dataclass(frozen=True)
class Repair:
    """One polygon mended (or left out) on load: the row, why, and its area before and after."""

    index: int
    reason: str
    area_before: float
    area_after: float
    action: str  # "repaired" | "left out"

    @property
    def area_change(self) -> float:
        """Relative change of the area (0.0 when the polygon had no area before)."""
        return (self.area_after - self.area_before) / self.area_before if self.area_before else 0.0


def repair_polygons(shapes: np.ndarray) -> tuple[np.ndarray, list[Repair]]:
    """Make every geometry a valid (multi)polygon, listing what was changed.

    An invalid polygon (a bow-tie, nested shells, a ring crossing itself) is rebuilt with GEOS's
    *structure* method - the union of its shells less the union of its holes, which keeps an
    island drawn as a nested shell as land, not as a hole - and only the polygonal part is kept
    (a collapsed spike becomes nothing, not a line). A geometry with no area left, or none at
    all, is left out (``None``) with its reason.

    >>> bow = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    >>> fixed, repairs = repair_polygons(np.array([bow]))
    >>> round(fixed[0].area), repairs[0].reason, repairs[0].action
    (50, 'Self-intersection[5 5]', 'repaired')
    """
    shapes = np.asarray(shapes, dtype=object).copy()
    repairs: list[Repair] = []
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    polygonal = np.isin(shapely.get_type_id(shapes), [3, 6])  # Polygon, MultiPolygon
    invalid = ~missing & ~(polygonal & shapely.is_valid(shapes))
    for i in np.flatnonzero(missing):
        repairs.append(Repair(int(i), "no geometry", 0.0, 0.0, "left out"))
        shapes[i] = None
    for i in np.flatnonzero(invalid):
        before = shapes[i]
        reason = shapely.is_valid_reason(before) if polygonal[i] else f"a {before.geom_type}"
        fixed = _polygonal(shapely.make_valid(before, method="structure", keep_collapsed=False))
        area = float(before.area)
        if fixed is None:
            repairs.append(Repair(int(i), reason, area, 0.0, "left out"))
        else:
            repairs.append(Repair(int(i), reason, area, float(fixed.area), "repaired"))
        shapes[i] = fixed
    repairs.sort(key=lambda r: r.index)
    return shapes, repairs


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons in ``geom`` as one Polygon or MultiPolygon, or None when it has none."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    out = shapely.union_all(parts)
    return out if not out.is_empty and out.area > 0 else None
