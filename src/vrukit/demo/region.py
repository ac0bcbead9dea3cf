"""The synthetic region's geography, population and deprivation.

Small areas are Voronoi cells of points drawn densely around seven town centres and sparsely
elsewhere (as real LSOAs are small in cities), clipped to an oval region in British National Grid.
Deprivation is a smooth spatial field (a sum of Gaussian bumps, stronger near town centres) plus
noise, from which each IoD2019-style domain score is derived.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["AGE_BANDS", "LA_NAMES", "Region", "make_region"]

LA_NAMES = ("Kingsmere", "Ashby Vale", "Northbrook", "Redwater", "Eastford", "Hollins", "Southmoor")
AGE_BANDS = ("0-9", "10-17", "18-24", "25-34", "35-49", "50-64", "65+")
CENTRE = np.array([420_000.0, 285_000.0])
RADII = np.array([22_000.0, 16_000.0])
# IoD2019 domain weights in the IMD.
IMD_WEIGHTS = {
    "income": 0.225,
    "employment": 0.225,
    "education": 0.135,
    "health": 0.135,
    "crime": 0.093,
    "barriers": 0.093,
    "living_environment": 0.093,
}


@dataclass(frozen=True)
class Region:
    """Areas (one row per LSOA, with geometry in EPSG:27700) and their latent deprivation."""

    areas: pd.DataFrame
    geometry: np.ndarray
    boundary: shapely.Polygon


def _outline() -> shapely.Polygon:
    t = np.linspace(0, 2 * np.pi, 181)[:-1]
    wobble = 1 + 0.06 * np.sin(3 * t) + 0.04 * np.cos(5 * t)
    xy = CENTRE + np.c_[np.cos(t), np.sin(t)] * RADII * wobble[:, None]
    return shapely.Polygon(xy)


def _points(
    rng: np.random.Generator, n: int, towns: np.ndarray, outline: shapely.Polygon
) -> np.ndarray:
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        k = 4 * n
        town = rng.integers(0, len(towns), k)
        clustered = towns[town] + rng.normal(0, 1, (k, 2)) * rng.uniform(1800, 4200, (k, 1))
        uniform = CENTRE + rng.uniform(-1, 1, (k, 2)) * RADII * 1.1
        pts = np.where(rng.random((k, 1)) < 0.7, clustered, uniform)
        pts = pts[shapely.contains_xy(outline, pts[:, 0], pts[:, 1])]
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def _field(rng: np.random.Generator, xy: np.ndarray, towns: np.ndarray) -> np.ndarray:
    """A smooth deprivation field, higher near town centres, standardised to mean 0, sd 1."""
    bumps = CENTRE + rng.uniform(-1, 1, (30, 2)) * RADII
    amp = rng.normal(0, 1, 30)
    width = rng.uniform(2000, 6000, 30)
    d2 = ((xy[:, None, :] - bumps[None]) ** 2).sum(-1)
    f = (amp * np.exp(-d2 / (2 * width**2))).sum(1)
    dt = np.sqrt(((xy[:, None, :] - towns[None]) ** 2).sum(-1)).min(1)
    f = f + 1.5 * np.exp(-dt / 2500)
    return (f - f.mean()) / f.std()


def _names(lad: np.ndarray, xy: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame({"lad": lad, "x": xy[:, 0], "y": xy[:, 1]})
    df = df.sort_values(["lad", "y", "x"], ascending=[True, False, True])
    df["k"] = df.groupby("lad").cumcount()
    df["msoa_no"] = df.k // 5 + 1
    df["letter"] = np.array(list("ABCDE"))[df.k % 5]
    la = np.array(LA_NAMES)[df.lad]
    df["lsoa_name"] = [f"{a} {m:03d}{c}" for a, m, c in zip(la, df.msoa_no, df.letter, strict=True)]
    df["msoa_name"] = [f"{a} {m:03d}" for a, m in zip(la, df.msoa_no, strict=True)]
    return df.sort_index()


def _deprivation(rng: np.random.Generator, latent: np.ndarray) -> pd.DataFrame:
    n = len(latent)

    def noisy(w: float) -> np.ndarray:
        return w * latent + np.sqrt(1 - w**2) * rng.normal(0, 1, n)

    z = {
        "income": noisy(0.9),
        "employment": noisy(0.85),
        "education": noisy(0.75),
        "health": noisy(0.7),
        "crime": noisy(0.6),
        "barriers": noisy(0.2),
        "living_environment": noisy(0.5),
    }
    dep = pd.DataFrame(
        {
            "income_score": np.clip(0.13 + 0.08 * z["income"], 0.005, 0.6),
            "employment_score": np.clip(0.10 + 0.06 * z["employment"], 0.005, 0.5),
            "education_score": np.clip(22 + 16 * z["education"], 0.1, 90),
            "health_score": 0.9 * z["health"],
            "crime_score": 0.8 * z["crime"],
            "barriers_score": np.clip(20 + 8 * z["barriers"], 1, 60),
            "living_environment_score": np.clip(22 + 12 * z["living_environment"], 1, 80),
        }
    )
    dep["idaci_score"] = np.clip(dep.income_score * 1.3 + rng.normal(0, 0.02, n), 0.005, 0.8)
    dep["idaopi_score"] = np.clip(dep.income_score * 1.1 + rng.normal(0, 0.02, n), 0.005, 0.8)
    imd = sum(w * z[d] for d, w in IMD_WEIGHTS.items())
    dep["imd_score"] = np.round(np.exp(0.55 * imd) * 18, 3)
    for stem in ("imd", *IMD_WEIGHTS, "idaci", "idaopi"):
        score = dep[f"{stem}_score"]
        rank = score.rank(ascending=False, method="first").astype(int)
        dep[f"{stem}_rank"] = rank
        dep[f"{stem}_decile"] = np.ceil(rank * 10 / n).astype(int)
    return dep


def _population(rng: np.random.Generator, latent: np.ndarray) -> pd.DataFrame:
    n = len(latent)
    total = np.clip(rng.normal(1650, 260, n), 1000, 3000).round()
    base = np.array([0.12, 0.10, 0.10, 0.14, 0.20, 0.17, 0.17])
    tilt = np.array([0.25, 0.3, 0.25, 0.1, 0.0, -0.15, -0.35])  # deprived areas are younger
    shares = base * np.exp(np.outer(0.6 * latent, tilt))
    shares = shares / shares.sum(1, keepdims=True)
    counts = np.floor(shares * total[:, None]).astype(int)
    counts[:, 4] += (total - counts.sum(1)).astype(int)
    return pd.DataFrame(counts, columns=[f"age_{b}" for b in AGE_BANDS])


def make_region(seed: int, n_areas: int = 1750) -> Region:
    """Build the region: areas with codes, names, LA, geometry, population and deprivation."""
    rng = np.random.default_rng([seed, 1])
    outline = _outline()
    towns = CENTRE + rng.uniform(-0.6, 0.6, (len(LA_NAMES), 2)) * RADII
    towns[0] = CENTRE  # Kingsmere is the city at the middle
    xy = _points(rng, n_areas, towns, outline)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(xy), extend_to=outline, ordered=True)
    geom = shapely.intersection(np.asarray(cells.geoms), outline)
    lad = np.sqrt(((xy[:, None, :] - towns[None]) ** 2).sum(-1)).argmin(1)
    names = _names(lad, xy)
    latent = _field(rng, xy, towns)
    cent = shapely.centroid(geom)
    areas = pd.DataFrame(
        {
            "lsoa_code": [f"E01{900001 + i:06d}" for i in range(n_areas)],
            "lsoa_name": names.lsoa_name.to_numpy(),
            "msoa_name": names.msoa_name.to_numpy(),
            "lad_index": lad,
            "lad_code": [f"E08{900001 + k:06d}" for k in lad],
            "lad_name": np.array(LA_NAMES)[lad],
            "easting": shapely.get_x(cent),
            "northing": shapely.get_y(cent),
            "latent_deprivation": latent,
        }
    )
    msoa_codes = {m: f"E02{900001 + j:06d}" for j, m in enumerate(sorted(set(areas.msoa_name)))}
    areas.insert(3, "msoa_code", areas.msoa_name.map(msoa_codes))
    areas = pd.concat([areas, _population(rng, latent), _deprivation(rng, latent)], axis=1)
    areas["population"] = areas[[f"age_{b}" for b in AGE_BANDS]].sum(axis=1)
    return Region(areas, geom, outline)
