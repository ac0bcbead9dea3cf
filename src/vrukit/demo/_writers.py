"""Writing the region's reference data in the formats published for real areas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.demo.region import AGE_BANDS, Region
from vrukit.geo import geoms_to_wgs84
from vrukit.schemas import DEPRIVATION_DOMAINS

RATE_DOMAINS = {"income", "employment", "idaci", "idaopi"}
#: How deprivation scores are written (see ``_stable``).
SCORE_FORMAT = "%.12g"


def iod_column(stem: str, measure: str) -> str:
    """The IoD2019 File 7 header for a domain stem and measure (score, rank, decile)."""
    name = dict(DEPRIVATION_DOMAINS)[stem]
    if measure == "score":
        return f"{name} Score" + (" (rate)" if stem in RATE_DOMAINS else "")
    if measure == "rank":
        return f"{name} Rank (where 1 is most deprived)"
    return f"{name} Decile (where 1 is most deprived 10% of LSOAs)"


def write_boundaries(region: Region, path: Path) -> Path:
    """LSOA polygons as RFC 7946 GeoJSON (WGS84), with ONS-style property names."""
    geoms = geoms_to_wgs84(region.geometry)
    a = region.areas
    features = [
        {
            "type": "Feature",
            "properties": {
                "LSOA11CD": r.lsoa_code,
                "LSOA11NM": r.lsoa_name,
                "MSOA11CD": r.msoa_code,
                "MSOA11NM": r.msoa_name,
                "LAD19CD": r.lad_code,
                "LAD19NM": r.lad_name,
            },
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for r, g in zip(a.itertuples(), geoms, strict=True)
    ]
    path.write_text(jsonio.dumps({"type": "FeatureCollection", "features": features}))
    return path


#: The demo's ward names: each local authority's wards are "<authority> <word>".
WARD_WORDS = ("Central", "North", "South", "East", "West", "Park", "Hill", "Green", "Bridge",
              "Moor", "Vale", "Heath", "Cross", "Fields", "Common", "Riverside", "Abbey",
              "Castle", "Meadow", "Forest")  # fmt: skip


def write_wards(region: Region, path: Path) -> Path:
    """Electoral wards as ONS-style GeoJSON (``WD24CD``, ``WD24NM``, ``LAD24CD``): each local
    authority's MSOAs two by two, in the order of their numbers, each ward the union of their
    LSOAs."""
    a = region.areas.reset_index(drop=True)
    features = []
    k = 0
    for (lad_code, lad_name), g in a.groupby(["lad_code", "lad_name"], sort=True):
        msoas = sorted(set(g.msoa_code))
        for j in range(0, len(msoas), 2):
            rows = g.index[g.msoa_code.isin(msoas[j : j + 2])].to_numpy()
            shape = shapely.union_all(shapely.buffer(region.geometry[rows], 0.5))
            word = WARD_WORDS[j // 2 % len(WARD_WORDS)]
            suffix = f" {j // 2 // len(WARD_WORDS) + 1}" if j // 2 >= len(WARD_WORDS) else ""
            features.append({
                "type": "Feature",
                "properties": {"WD24CD": f"E0599{k:04d}", "WD24NM": f"{lad_name} {word}{suffix}",
                               "LAD24CD": lad_code},
                "geometry": json.loads(shapely.to_geojson(geoms_to_wgs84(np.array([shape]))[0])),
            })  # fmt: skip
            k += 1
    path.write_text(jsonio.dumps({"type": "FeatureCollection", "features": features}))
    return path


def write_iod(region: Region, path: Path) -> Path:
    """Deprivation in the column layout of IoD2019 File 7 (the domains the region models)."""
    a = region.areas
    out = pd.DataFrame(
        {
            "LSOA code (2011)": a.lsoa_code,
            "LSOA name (2011)": a.lsoa_name,
            "Local Authority District code (2019)": a.lad_code,
            "Local Authority District name (2019)": a.lad_name,
        }
    )
    for stem, _ in DEPRIVATION_DOMAINS:
        for measure in ("score", "rank", "decile"):
            col = f"{stem}_{measure}"
            if col in a:
                out[iod_column(stem, measure)] = a[col]
    out["Total population: mid 2015 (excluding prisoners)"] = a.population
    # twelve significant digits: the scores without the last bits a CPU's vector unit changes
    out.to_csv(path, index=False, float_format=SCORE_FORMAT)
    return path


def write_population(region: Region, path: Path, year: int = 2020) -> Path:
    """Residents by age band as a tidy CSV: lsoa_code, year, age_band, residents."""
    a = region.areas
    long = a.melt(
        id_vars="lsoa_code",
        value_vars=[f"age_{b}" for b in AGE_BANDS],
        var_name="age_band",
        value_name="residents",
    )
    long["age_band"] = long.age_band.str.removeprefix("age_")
    long.insert(1, "year", year)
    long.sort_values(["lsoa_code", "age_band"]).to_csv(path, index=False)
    return path


#: The reference files' names in a demo folder: boundaries, deprivation, population (and the
#: wards, written beside them).
REFERENCE_FILES = ("lsoa_boundaries.geojson", "iod2019_file7.csv", "population.csv")
WARDS_FILE = "wards.geojson"


def write_reference(region: Region, out: Path) -> tuple[Path, Path, Path]:
    """Boundaries, IoD2019-style deprivation and population, under their usual names in ``out``."""
    boundaries, iod, population = (out / name for name in REFERENCE_FILES)
    write_wards(region, out / WARDS_FILE)
    return (
        write_boundaries(region, boundaries),
        write_iod(region, iod),
        write_population(region, population),
    )
