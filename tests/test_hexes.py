"""H3 hexagons: coverage of the region, counts and population carried over without loss."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from conftest import shared_path
from vrukit.analysis.hexes import HEX_COLUMNS, cells_of, hex_polygons, hex_table, region_cells
from vrukit.errors import ConfigError
from vrukit.ingest.reference import read_boundaries

_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


@pytest.fixture(scope="module")
def town():
    """A 6 x 5 km block of 1 km square 'areas' in central England (EPSG:27700)."""
    boxes = [
        shapely.box(x, y, x + 1000, y + 1000)
        for y in range(280_000, 285_000, 1000)
        for x in range(400_000, 406_000, 1000)
    ]
    return np.array(boxes), np.arange(1, len(boxes) + 1) * 100.0


def test_cells_of_matches_h3_point_by_point():
    rng = np.random.default_rng(3)
    lon = rng.uniform(-3.0, -2.8, 500).round(3)  # repeated locations, as police.uk snaps them
    lat = rng.uniform(53.3, 53.5, 500).round(3)
    got = cells_of(lon, lat, 8)
    assert list(got) == [h3.latlng_to_cell(la, lo, 8) for lo, la in zip(lon, lat, strict=True)]


@pytest.mark.parametrize("resolution", [7, 8, 9])
def test_region_cells_cover_the_region_and_nothing_more(town, resolution):
    areas, _ = town
    cells = region_cells(areas, resolution)
    polys = hex_polygons(cells)
    region = shapely.union_all(areas)
    assert shapely.intersects(polys, region).all()
    uncovered = region.difference(shapely.union_all(polys)).area
    assert uncovered < 1e-6 * region.area


@pytest.mark.parametrize("resolution", [7, 8, 9])
def test_population_is_shared_by_area_and_totals_hold(town, resolution):
    areas, pop = town
    cells = region_cells(areas, resolution)
    table = hex_table(
        cells, np.zeros(len(cells), int), resolution=resolution, areas=areas, population=pop
    )
    assert list(table.columns) == HEX_COLUMNS
    assert table.population.sum() == pytest.approx(pop.sum(), rel=1e-9)
    # One hexagon by hand: the population of each box times the share of the box it covers.
    polys = hex_polygons(cells)
    i = len(cells) // 2
    by_hand = sum(
        shapely.intersection(polys[i], a).area / a.area * p for a, p in zip(areas, pop, strict=True)
    )
    assert table.population.iloc[i] == pytest.approx(by_hand, rel=1e-9)
    assert ((table.land_share > 0) & (table.land_share <= 1 + 1e-9)).all()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(400_000, 405_999), st.floats(280_000, 284_999), st.integers(1, 9)),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from([7, 8, 9]),
)
def test_counts_in_hexagons_add_up_to_the_crimes(points, resolution):
    x, y, n = (np.array(v) for v in zip(*points, strict=True))
    lon, lat = _TO_WGS84.transform(x, y)
    cells = cells_of(lon, lat, resolution)
    per = pd.Series(n).groupby(cells).sum()
    table = hex_table(per.index.to_numpy(), per.to_numpy(), resolution=resolution)
    assert table["count"].sum() == n.sum()
    np.testing.assert_allclose(table.per_km2 * table.area_km2, table["count"])


def test_resolution_out_of_range_is_refused(town):
    with pytest.raises(ConfigError, match="resolution 16"):
        region_cells(town[0], 16)


def test_merseyside_hexagons_carry_every_person_and_every_crime():
    b = read_boundaries(
        shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson")
    )
    crimes = pd.read_csv(shared_path("policeuk", "merseyside", "2022-01-merseyside-street.csv.gz"))
    crimes = crimes.dropna(subset=["Longitude", "Latitude"])
    polys = shapely.from_wkb(b.geometry_wkb.to_numpy())
    pop = np.full(len(b), 1500.0)
    cells = region_cells(polys, 8)
    of = cells_of(crimes.Longitude.to_numpy(), crimes.Latitude.to_numpy(), 8)
    per = pd.Series(1, index=of).groupby(level=0).sum()
    cells = np.union1d(cells, per.index.to_numpy())
    table = hex_table(
        cells, per.reindex(cells, fill_value=0).to_numpy(), resolution=8, areas=polys,
        population=pop,
    )  # fmt: skip
    assert table.population.sum() == pytest.approx(pop.sum(), rel=1e-9)
    assert table["count"].sum() == len(crimes)
    # Resolution 8 hexagons are ~0.74 km²; the city region is ~720 km², so about a thousand.
    assert 800 < len(table) < 1500
