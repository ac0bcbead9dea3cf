"""The point-based layers of an analysis: H3 hexagons with their hotspots, and the kernel density
surface. Both start from crime locations (police.uk's snapped map points), not from LSOA codes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.analysis.emerging import EMERGING_COLUMNS, emerging_hotspots
from vrukit.analysis.hexes import cells_of, hex_polygons, hex_table, region_cells
from vrukit.analysis.hotspots import hotspots
from vrukit.analysis.kde import Surface, kde_surface
from vrukit.analysis.neighbours import Neighbours, hex_rings
from vrukit.errors import SchemaError
from vrukit.geo import geoms_to_wgs84, to_bng

__all__ = ["density_surface", "hex_emerging", "hex_layer", "peak_area", "write_geojson"]

#: Columns of ``emerging_rN.csv``: those of ``emerging.csv`` with the hexagon's id for the area's.
HEX_EMERGING_COLUMNS = ["hex_id", *EMERGING_COLUMNS[1:]]


def write_geojson(geoms_bng: np.ndarray, table: pd.DataFrame, path: Path) -> None:
    """A GeoJSON FeatureCollection in WGS84 (as the format requires) of ``table``'s rows."""
    geoms = geoms_to_wgs84(geoms_bng)
    props = table.replace({np.nan: None}).to_dict("records")
    features = [
        {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        for p, g in zip(props, geoms, strict=True)
    ]
    path.write_text(jsonio.dumps({"type": "FeatureCollection", "features": features}))


def hex_layer(
    points: pd.DataFrame,
    areas: np.ndarray,
    population: np.ndarray,
    resolution: int,
    *,
    permutations: int,
    seed: int,
    alpha: float,
) -> tuple[pd.DataFrame, np.ndarray, Neighbours]:
    """Hexagons covering the areas, with counts (and harm, when ``points`` has it) from ``points``
    (lon, lat, count[, harm]), areal-weighted population and rates, and Gi*/Local Moran on the
    counts with ring-1 neighbours. Returns the table, the hexagons' polygons (EPSG:27700) and
    their ring-1 neighbours."""
    cells = region_cells(areas, resolution)
    of = cells_of(points.lon.to_numpy(), points.lat.to_numpy(), resolution)
    measures = ["count", *(["harm"] if "harm" in points else [])]
    per = points[measures].reset_index(drop=True).groupby(of).sum()
    extra = np.array(sorted(set(per.index) - set(cells)), dtype=object)
    cells = np.concatenate([cells, extra])
    polygons = hex_polygons(cells)
    per = per.reindex(cells, fill_value=0)
    table = hex_table(
        cells, per["count"].to_numpy(), resolution=resolution, areas=areas,
        population=population, polygons=polygons,
        harm=per["harm"].to_numpy() if "harm" in per else None,
    )  # fmt: skip
    nb = hex_rings(cells, k=1)
    hs = hotspots(table["count"].to_numpy(float), nb, permutations=permutations, seed=seed,
                  alpha=alpha)  # fmt: skip
    cols = ["gi_z", "gi_p_fdr", "gi_class", "lisa_i", "lisa_p_fdr", "lisa_class"]
    table = pd.concat([table, hs[cols].reset_index(drop=True)], axis=1)
    return table, polygons, nb


def hex_emerging(
    cell_months: pd.DataFrame, nb: Neighbours, months: Sequence[object], *, alpha: float
) -> pd.DataFrame:
    """The emerging hotspot pattern of every hexagon of ``nb`` (one H3 resolution, with its ring-1
    neighbours as ``hex_layer`` returns them), from the crimes per hexagon and month (``cell,
    month, count``) over ``months`` (every month of the series, in order): the same space-time
    cube, Gi* per month and Mann-Kendall trend as for areas."""
    row = pd.Index(nb.ids).get_indexer(cell_months.cell)
    if (row < 0).any():
        outside = cell_months.cell.to_numpy()[row < 0][0]
        raise SchemaError("hexagons", f"crimes fall in hexagon {outside}, not in the layer")
    col = pd.Index(pd.to_datetime(pd.Series(months))).get_indexer(pd.to_datetime(cell_months.month))
    if (col < 0).any():
        raise SchemaError("hexagons", "crimes per hexagon fall in a month outside the series")
    cube = np.zeros((nb.n, len(months)))
    np.add.at(cube, (row, col), cell_months["count"].to_numpy(dtype=float))
    out = emerging_hotspots(cube, nb, alpha=alpha)
    return out.rename(columns={"area_code": "hex_id"})[HEX_EMERGING_COLUMNS]


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
