"""Service coverage ("high risk, few services"): the counts within reach and the nearest
service's distance against a brute-force computation, and on the demo SNA site against the
Youth Map store, recomputed with GeoPandas from the boundaries the demo ships."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrukit.analysis.coverage import RADIUS_M, service_coverage


def test_counts_and_nearest_match_brute_force() -> None:
    rng = np.random.default_rng(5)
    areas = pd.DataFrame(
        {
            "area_code": [f"A{k}" for k in range(300)],
            "x": rng.uniform(0, 20_000, 300),
            "y": rng.uniform(0, 20_000, 300),
        }
    )
    services = pd.DataFrame({"x": rng.uniform(0, 20_000, 150), "y": rng.uniform(0, 20_000, 150)})
    got = service_coverage(areas, services).set_index("area_code").loc[areas.area_code]
    d = np.hypot(areas.x.to_numpy()[:, None] - services.x.to_numpy()[None, :],
                 areas.y.to_numpy()[:, None] - services.y.to_numpy()[None, :])  # fmt: skip
    assert (got.services_near.to_numpy() == (d <= RADIUS_M).sum(axis=1)).all()
    assert np.allclose(got.nearest_km.to_numpy(), np.round(d.min(axis=1) / 1000, 2))
    ordered = service_coverage(areas, services)
    assert ordered.services_near.is_monotonic_increasing
    assert (ordered.services_near == 0).sum() == ((d <= RADIUS_M).sum(axis=1) == 0).sum() > 0
    empty = service_coverage(areas, services.iloc[:0])
    assert (empty.services_near == 0).all() and empty.nearest_km.isna().all()


def test_the_sna_site_shows_high_risk_few_services(demo_site, demo_region) -> None:
    import geopandas as gpd

    from vrukit.directory.search import service_locations
    from vrukit.programme.db import session, sqlite_url

    run, _ = demo_site
    published = pd.read_csv(run.out / "data" / "coverage.csv", dtype={"area_code": str})
    areas = pd.read_csv(run.out / "data" / "areas.csv", dtype={"area_code": str})
    assert set(published.area_code) == set(areas.area_code[areas.tier.isin(["very high", "high"])])
    with session(sqlite_url(demo_region.folder / "programme.sqlite")) as s:
        where = service_locations(s)
    points = gpd.GeoSeries(gpd.points_from_xy(where.longitude, where.latitude), crs=4326)
    points = points.to_crs(27700)
    bounds = gpd.read_file(demo_region.boundaries).to_crs(27700).set_index("LSOA11CD")
    centre = bounds.geometry.centroid.loc[published.area_code]
    near = [int((points.distance(c) <= RADIUS_M).sum()) for c in centre]
    assert published.services_near.tolist() == near
    page = (run.out / "en" / "next.html").read_text()
    assert "High risk, few services" in page and "Youth services within 1.5 km" in page
    assert "Wysokie ryzyko, mało usług" in (run.out / "pl" / "next.html").read_text()
