"""Coordinates between WGS84 (what police.uk, GeoJSON and H3 use) and British National Grid
metres (EPSG:27700, what areas, distances and densities use). pyproj's offline Helmert transform,
accurate to about 2 m; transformers are built once, on first use.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

__all__ = ["geoms_to_wgs84", "to_bng", "to_wgs84", "transformer"]


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
