"""Density surface benchmark: vrukit's binned FFT kernel density against scikit-learn's
``KernelDensity`` and against the exact sum, on the same grid, in the same run.

(a) the real Merseyside violence locations (11 months of 2022) over the Liverpool City Region at
100 m cells; (b) 500,000 clustered points over a 50 x 50 km region at 100 m cells. scikit-learn has
no quartic kernel, so the like-for-like comparison uses the Epanechnikov kernel in both (vrukit's
default quartic is timed too). Prints seconds, the ratios and the largest difference from the
exact surface as a share of its peak ("max diff from exact").

    .venv/bin/python benchmarks/kde.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sklearn.neighbors import KernelDensity

from vrukit.analysis.kde import density_at, kde_surface
from vrukit.geo import to_bng
from vrukit.ingest.reference import read_boundaries
from vrukit.schemas import VIOLENCE_TYPES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CELL = 100.0


def _merseyside() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    files = sorted((SHARED / "policeuk" / "merseyside").glob("*.csv.gz"))
    c = pd.concat(
        pd.read_csv(f, usecols=["Crime type", "Longitude", "Latitude"]) for f in files
    ).dropna()
    c = c[c["Crime type"].isin(VIOLENCE_TYPES)]
    a = read_boundaries(
        SHARED / "geography" / "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson"
    )
    x0, y0, x1, y1 = shapely.total_bounds(shapely.from_wkb(a.geometry_wkb.to_numpy()))
    return to_bng(c.Longitude.to_numpy(), c.Latitude.to_numpy()), (x0, y0, x1, y1)


def _synthetic() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    rng = np.random.default_rng(1)
    centres = rng.uniform(5_000, 45_000, (60, 2))
    which = rng.integers(0, 60, 400_000)
    xy = np.vstack(
        [centres[which] + rng.normal(0, 1_200, (400_000, 2)), rng.uniform(0, 50_000, (100_000, 2))]
    )
    return xy + np.array([350_000, 250_000]), (350_000, 250_000, 400_000, 300_000)


def _time(f):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def run(name: str, xy: np.ndarray, bounds: tuple[float, float, float, float]) -> None:
    quartic, t_q = _time(lambda: kde_surface(xy, bounds=bounds, cell=CELL))
    h = quartic.bandwidth
    epa, t_e = _time(
        lambda: kde_surface(xy, bounds=bounds, cell=CELL, bandwidth=h, kernel="epanechnikov")
    )
    xs, ys = epa.centres()
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    kd = KernelDensity(kernel="epanechnikov", bandwidth=h)
    sk, t_sk = _time(lambda: np.exp(kd.fit(xy).score_samples(grid)) * len(xy) * 1e6)
    exact, t_x = _time(lambda: density_at(grid, xy, h, kernel="epanechnikov"))
    err_v = np.abs(epa.density.ravel() - exact).max() / exact.max()
    err_sk = np.abs(sk - exact).max() / exact.max()
    rows, cols = epa.shape
    print(
        f"{name}: {len(xy):,} points, {cols} x {rows} cells of {CELL:g} m, bandwidth {h:,.0f} m\n"
        f"  vrukit quartic (default)      {t_q:8.3f} s\n"
        f"  vrukit epanechnikov           {t_e:8.3f} s   max diff from exact: {err_v:.2%}\n"
        f"  scikit-learn epanechnikov     {t_sk:8.3f} s   max diff from exact: {err_sk:.1e}\n"
        f"  exact sum (vrukit.density_at) {t_x:8.3f} s\n"
        f"  ratio scikit-learn / vrukit   {t_sk / t_e:8.1f}x"
    )


def main() -> None:
    if (SHARED / "policeuk" / "merseyside").exists():
        run("(a) Merseyside violence 2022-01..11", *_merseyside())
    else:
        print(f"(a) skipped: no shared data at {SHARED}")
    run("(b) synthetic clustered points", *_synthetic())


if __name__ == "__main__":
    main()
