"""H3 hexagons over the region: counts, density per km², population and rates, for any resolution.

Hexagons have equal size and no boundary history, so maps at resolutions 7 to 9 (about 5.2,
0.74 and 0.11 km²) compare places that LSOAs of very different sizes hide. They have no census
population, so each hexagon gets the population of the LSOAs it overlaps in proportion to the
area shared (areal weighting: it assumes people spread evenly within an LSOA, docs/methods.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from vrukit.analysis.rates import rates
from vrukit.errors import ConfigError, SchemaError
from vrukit.geo import to_bng, to_wgs84

__all__ = ["HEX_COLUMNS", "RESOLUTIONS", "cells_of", "hex_polygons", "hex_table", "region_cells"]

RESOLUTIONS = (7, 8, 9)
HEX_COLUMNS = [
    "hex_id",
    "resolution",
    "area_km2",
    "land_share",
    "count",
    "per_km2",
    "harm",
    "harm_per_km2",
    "population",
    "rate_per_1000",
    "rate_lo",
    "rate_hi",
]


def _check_resolution(resolution: int) -> int:
    if resolution not in range(16):
        raise ConfigError(f"H3 resolution {resolution} is not between 0 and 15 (7 to 9 suit LSOAs)")
    return int(resolution)


def cells_of(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """The H3 cell of each point (WGS84 degrees); one h3 call per distinct location."""
    import h3

    res = _check_resolution(resolution)
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SchemaError("hexagons", "a point has no finite longitude/latitude")
    # Distinct points as one complex key: exact, and ~15x faster to factorise than a MultiIndex.
    codes, uniq = pd.factorize(x + 1j * y)
    cells = np.array([h3.latlng_to_cell(p.imag, p.real, res) for p in uniq], dtype=object)
    return cells[codes] if len(codes) else np.array([], dtype=object)


def hex_polygons(cells: np.ndarray) -> np.ndarray:
    """Hexagon polygons in British National Grid metres (EPSG:27700)."""
    import h3

    rings = []
    for c in cells:
        lat, lon = np.array(h3.cell_to_boundary(c)).T
        rings.append(shapely.polygons(to_bng(lon, lat)))
    return np.array(rings, dtype=object)


def region_cells(polygons: np.ndarray, resolution: int) -> np.ndarray:
    """Every H3 cell that overlaps the union of ``polygons`` (EPSG:27700), sorted.

    h3 fills a shape with the cells whose centres fall inside it; filling the region widened by
    more than a cell's radius catches every overlapping cell, and the ones that only touch the
    widened edge are then dropped.
    """
    import h3

    res = _check_resolution(resolution)
    region = shapely.union_all(shapely.make_valid(np.asarray(polygons)))
    if region.is_empty:
        raise SchemaError("hexagons", "the areas have no geometry to cover with hexagons")
    reach = 2.0 * h3.average_hexagon_edge_length(res, unit="m")
    wide = shapely.transform(region.buffer(reach), lambda xy: to_wgs84(xy[:, 0], xy[:, 1]))
    cells = np.array(sorted(h3.geo_to_cells(wide, res)), dtype=object)
    polys = hex_polygons(cells)
    return cells[shapely.intersects(polys, region)]


def _areal_population(
    hexes: np.ndarray, areas: np.ndarray, population: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Population of each hexagon by areal weighting, and the share of it inside the areas."""
    tree = shapely.STRtree(areas)
    h, a = tree.query(hexes, predicate="intersects")
    shared = shapely.area(shapely.intersection(hexes[h], areas[a]))
    pop = np.bincount(h, weights=shared / shapely.area(areas[a]) * population[a],
                      minlength=len(hexes))  # fmt: skip
    land = np.bincount(h, weights=shared, minlength=len(hexes)) / shapely.area(hexes)
    return pop, np.minimum(land, 1.0)


def hex_table(
    cells: np.ndarray,
    counts: np.ndarray,
    *,
    resolution: int,
    areas: np.ndarray | None = None,
    population: np.ndarray | None = None,
    polygons: np.ndarray | None = None,
    harm: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per hexagon (``HEX_COLUMNS``): count, density per km², harm (when given, with its
    density) and, given LSOA polygons (EPSG:27700) and populations, an areal-weighted population
    with rates and exact intervals. ``polygons`` are the hexagons' own (``hex_polygons(cells)``)
    if the caller has them already.
    """
    import h3

    cells = np.asarray(cells, dtype=object)
    counts = np.asarray(counts)
    if counts.shape != cells.shape:
        raise SchemaError("hexagons", f"{len(counts)} counts for {len(cells)} hexagons")
    out = pd.DataFrame({"hex_id": cells, "resolution": _check_resolution(resolution)})
    out["area_km2"] = [h3.cell_area(c, unit="km^2") for c in cells]
    out["count"] = counts.astype(int)
    out["per_km2"] = out["count"] / out.area_km2
    out["harm"] = np.nan if harm is None else np.asarray(harm, dtype=float)
    out["harm_per_km2"] = out.harm / out.area_km2
    if areas is not None and population is not None:
        polys = hex_polygons(cells) if polygons is None else polygons
        pop, land = _areal_population(polys, np.asarray(areas), np.asarray(population, float))
        out["population"], out["land_share"] = pop, land
    else:
        out["population"], out["land_share"] = np.nan, np.nan
    out = rates(out)
    return out[HEX_COLUMNS]
