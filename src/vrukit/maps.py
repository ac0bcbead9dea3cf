"""The point-based layers of an analysis: H3 hexagons with their hotspots, and the kernel density
surface. Both start from crime locations (police.uk's snapped map points), not from LSOA codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from vrukit.analysis.hexes import cells_of, hex_polygons, hex_table, region_cells
from vrukit.analysis.hotspots import hotspots
from vrukit.analysis.kde import Surface, kde_surface
from vrukit.analysis.neighbours import hex_rings

__all__ = ["density_surface", "hex_layer", "peak_area", "to_bng", "write_geojson"]

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """WGS84 degrees to British National Grid metres (pyproj's Helmert transform, about 2 m)."""
    x, y = _TO_BNG.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def write_geojson(geoms_bng: np.ndarray, table: pd.DataFrame, path: Path) -> None:
    """A GeoJSON FeatureCollection in WGS84 (as the format requires) of ``table``'s rows."""
    geoms = shapely.transform(
        np.asarray(geoms_bng), lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1]))
    )
    geoms = shapely.set_precision(geoms, 1e-6)
    props = table.replace({np.nan: None}).to_dict("records")
    features = [
        {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        for p, g in zip(props, geoms, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def hex_layer(
    points: pd.DataFrame,
    areas: np.ndarray,
    population: np.ndarray,
    resolution: int,
    *,
    permutations: int,
    seed: int,
    alpha: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Hexagons covering the areas, with counts from ``points`` (lon, lat, count), areal-weighted
    population and rates, and Gi*/Local Moran on the counts with ring-1 neighbours.
    Returns the table and the hexagons' polygons (EPSG:27700)."""
    cells = region_cells(areas, resolution)
    of = cells_of(points.lon.to_numpy(), points.lat.to_numpy(), resolution)
    per = pd.Series(points["count"].to_numpy()).groupby(of).sum()
    extra = np.array(sorted(set(per.index) - set(cells)), dtype=object)
    cells = np.concatenate([cells, extra])
    table = hex_table(
        cells, per.reindex(cells, fill_value=0).to_numpy(), resolution=resolution,
        areas=areas, population=population,
    )  # fmt: skip
    nb = hex_rings(cells, k=1)
    hs = hotspots(table["count"].to_numpy(float), nb, permutations=permutations, seed=seed,
                  alpha=alpha)  # fmt: skip
    cols = ["gi_z", "gi_p_fdr", "gi_class", "lisa_i", "lisa_p_fdr", "lisa_class"]
    table = pd.concat([table, hs[cols].reset_index(drop=True)], axis=1)
    return table, hex_polygons(cells)


def density_surface(
    points: pd.DataFrame,
    bounds: tuple[float, float, float, float],
    *,
    cell: float,
    bandwidth: float | None,
) -> Surface:
    """The quartic kernel density of the crimes at ``points`` over the areas' bounds."""
    return kde_surface(
        to_bng(points.lon.to_numpy(), points.lat.to_numpy()),
        weights=points["count"].to_numpy(float),
        bounds=bounds,
        cell=cell,
        bandwidth=bandwidth,
    )


def peak_area(surface: Surface, areas: np.ndarray, names: np.ndarray) -> dict[str, object]:
    """Where the surface peaks: the cell centre and the name of the area that holds it."""
    r, c = np.unravel_index(int(np.argmax(surface.density)), surface.shape)
    xs, ys = surface.centres()
    point = shapely.points(xs[c], ys[r])
    hit = shapely.STRtree(areas).query(point, predicate="intersects")
    return {
        "easting": float(xs[c]),
        "northing": float(ys[r]),
        "density": float(surface.density[r, c]),
        "area_name": str(names[hit[0]]) if len(hit) else None,
    }
