"""Kernel density surfaces from crime locations in metres (British National Grid, EPSG:27700).

The default is what crime analysts meet in ArcGIS and QGIS: a quartic (biweight) kernel
(Silverman 1986, eq. 4.5) and ArcGIS's default search radius, a spatial form of Silverman's
rule of thumb (``arcgis_bandwidth``). The surface is computed by binning the points onto the
output grid and convolving the bins with the kernel sampled at the cell centres (an FFT
convolution): exact for points at cell centres, and within the kernel's change over half a cell
for others (tests and docs/methods.md give the figures). ``density_at`` evaluates the same
kernel exactly at any locations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import fftconvolve
from scipy.spatial import cKDTree

from vrukit.errors import ConfigError, SchemaError

__all__ = ["KERNELS", "Surface", "arcgis_bandwidth", "density_at", "kde_surface"]

#: Kernel profiles k(u) for u = (distance / bandwidth)^2 < 1, scaled to integrate to 1 over the
#: unit disc: quartic 3/pi (1 - u)^2; Epanechnikov 2/pi (1 - u).
KERNELS = {
    "quartic": lambda u: 3 / math.pi * (1 - u) ** 2,
    "epanechnikov": lambda u: 2 / math.pi * (1 - u),
}
PER_KM2 = 1e6


def _kernel(name: str) -> Callable[[Any], Any]:
    try:
        return KERNELS[name]
    except KeyError:
        raise ConfigError(f"kernel {name!r} is not one of: {', '.join(KERNELS)}") from None


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, 0.5 * cw[-1])])


def arcgis_bandwidth(xy: np.ndarray, weights: np.ndarray | None = None) -> float:
    """ArcGIS's default search radius (Esri, "How Kernel Density works", 10.2.1 on):

    ``0.9 x min(SD, sqrt(1 / ln 2) x Dm) x n^-0.2`` where SD is the standard distance of the
    points from their (weighted) mean centre, Dm the (weighted) median of those distances and n
    the number of points (the sum of the weights). The min guards against outlying points
    inflating SD.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])
    >>> round(arcgis_bandwidth(xy), 2)  # SD = Dm = 70.71 m: 0.9 x 70.71 x 4^-0.2
    48.23
    """
    xy = np.asarray(xy, dtype=float)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    if len(xy) < 2 or w.sum() <= 0:
        raise SchemaError("kde", f"{len(xy)} points: a bandwidth needs at least two")
    centre = (xy * w[:, None]).sum(0) / w.sum()
    d = np.hypot(*(xy - centre).T)
    sd = math.sqrt((w * d**2).sum() / w.sum())
    dm = _weighted_median(d, w)
    return float(0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * w.sum() ** -0.2)


@dataclass(frozen=True)
class Surface:
    """A density grid. ``density[r, c]`` is the density (per km²) at the centre of the cell in
    row ``r`` (row 0 is the northernmost) and column ``c``; ``x0, y0`` are the grid's south-west
    corner in EPSG:27700 metres."""

    density: np.ndarray
    x0: float
    y0: float
    cell: float
    bandwidth: float
    bandwidth_rule: str
    kernel: str
    points: float
    outside: float

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.density.shape
        return rows, cols

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Eastings (one per column) and northings (one per row, north first) of cell centres."""
        rows, cols = self.shape
        xs = self.x0 + (np.arange(cols) + 0.5) * self.cell
        ys = self.y0 + (np.arange(rows)[::-1] + 0.5) * self.cell
        return xs, ys

    def cells(self) -> pd.DataFrame:
        """The non-zero cells as a tidy table: easting, northing (centre) and density."""
        xs, ys = self.centres()
        r, c = np.nonzero(self.density > 0)
        return pd.DataFrame({"easting": xs[c], "northing": ys[r], "density": self.density[r, c]})

    def write_ascii_grid(self, path: Path) -> list[Path]:
        """Write an ESRI ASCII grid (``.asc``) and its projection (``.prj``): QGIS and ArcGIS
        open it as a raster in EPSG:27700."""
        from pyproj import CRS

        rows, cols = self.shape
        head = (
            f"ncols {cols}\nnrows {rows}\nxllcorner {self.x0:.3f}\nyllcorner {self.y0:.3f}\n"
            f"cellsize {self.cell:g}\nNODATA_value -9999\n"
        )
        with path.open("w") as f:
            f.write(head)
            np.savetxt(f, self.density, fmt="%.6g")
        prj = path.with_suffix(".prj")
        prj.write_text(CRS.from_epsg(27700).to_wkt("WKT1_ESRI"))
        return [path, prj]

    def describe(self) -> dict[str, object]:
        rows, cols = self.shape
        return {
            "kernel": self.kernel,
            "bandwidth_m": round(self.bandwidth, 1),
            "bandwidth_rule": self.bandwidth_rule,
            "cell_m": self.cell,
            "rows": rows,
            "cols": cols,
            "crs": "EPSG:27700",
            "unit": "crimes per km² over the mapped period",
            "points": self.points,
            "points_outside_grid": self.outside,
            "peak": float(self.density.max()) if self.density.size else 0.0,
        }


def density_at(
    at: np.ndarray,
    xy: np.ndarray,
    bandwidth: float,
    *,
    weights: np.ndarray | None = None,
    kernel: str = "quartic",
) -> np.ndarray:
    """Exact kernel density (per km²) at the locations ``at`` from points ``xy`` (metres)."""
    k = _kernel(kernel)
    xy = np.asarray(xy, dtype=float)
    at = np.asarray(at, dtype=float)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    # Every pair closer than the bandwidth, zero distances included.
    pairs = cKDTree(at).sparse_distance_matrix(cKDTree(xy), bandwidth, output_type="ndarray")
    u = (pairs["v"] / bandwidth) ** 2
    keep = u < 1
    val = k(u[keep]) * w[pairs["j"][keep]]
    out = np.bincount(pairs["i"][keep], weights=val, minlength=len(at))
    return out / bandwidth**2 * PER_KM2


def _linear_bins(
    xy: np.ndarray, w: np.ndarray, x0: float, y0: float, cell: float, rows: int, cols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Share each point's weight between the four nearest cell centres in proportion to its
    closeness (linear binning: error of order cell², against cell for simple binning). A point at
    a cell centre stays whole. Returns the bins (row 0 south) and which points fell on the grid."""
    fx = (xy[:, 0] - x0) / cell - 0.5
    fy = (xy[:, 1] - y0) / cell - 0.5
    placed = (fx >= -0.5) & (fx < cols - 0.5) & (fy >= -0.5) & (fy < rows - 0.5)
    c0, r0 = np.floor(fx).astype(int), np.floor(fy).astype(int)
    dx, dy = fx - c0, fy - r0
    bins = np.zeros((rows + 2, cols + 2))  # a margin for shares that land just off the grid
    for dr, dc, share in ((0, 0, (1 - dy) * (1 - dx)), (0, 1, (1 - dy) * dx),
                          (1, 0, dy * (1 - dx)), (1, 1, dy * dx)):  # fmt: skip
        np.add.at(bins, (r0[placed] + dr + 1, c0[placed] + dc + 1), (w * share)[placed])
    return bins[1:-1, 1:-1], placed


def kde_surface(
    xy: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    cell: float = 100.0,
    bandwidth: float | None = None,
    kernel: str = "quartic",
) -> Surface:
    """A kernel density surface over ``bounds`` (xmin, ymin, xmax, ymax; default: the points'
    extent) widened by the bandwidth and snapped to ``cell`` metres.

    ``bandwidth=None`` applies ``arcgis_bandwidth`` and says so in ``bandwidth_rule``. Points
    outside the grid are counted in ``outside`` and left out.

    Examples
    --------
    >>> s = kde_surface(np.array([[1050.0, 1050.0]]), cell=100, bandwidth=300)
    >>> round(float(s.density.sum() * 0.01), 2)  # cells of 0.01 km²: the volume is one crime
    1.0
    """
    k = _kernel(kernel)
    xy = np.asarray(xy, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise SchemaError("kde", f"points have shape {xy.shape}, expected (n, 2) metres")
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    if not (np.isfinite(xy).all() and np.isfinite(w).all()):
        raise SchemaError("kde", "a point or weight is not a finite number")
    if cell <= 0:
        raise ConfigError(f"cell size {cell} m must be positive")
    if bandwidth is None:
        h, rule = arcgis_bandwidth(xy, w), "ArcGIS default search radius, a spatial Silverman rule"
    else:
        if bandwidth <= 0:
            raise ConfigError(f"bandwidth {bandwidth} m must be positive")
        h, rule = float(bandwidth), "given"
    if bounds is None:
        if len(xy) == 0:
            raise SchemaError("kde", "no points and no bounds: nothing to map")
        bounds = (*xy.min(0), *xy.max(0))
    xmin, ymin, xmax, ymax = bounds
    x0 = math.floor((xmin - h) / cell) * cell
    y0 = math.floor((ymin - h) / cell) * cell
    cols = max(1, math.ceil((xmax + h - x0) / cell))
    rows = max(1, math.ceil((ymax + h - y0) / cell))
    if rows * cols > 50_000_000:
        raise ConfigError(
            f"a {cols} x {rows} grid at {cell:g} m is too large: use a larger cell size"
        )
    bins, placed = _linear_bins(xy, w, x0, y0, cell, rows, cols)
    reach = math.ceil(h / cell)
    off = np.arange(-reach, reach + 1) * cell
    u = (off[None, :] ** 2 + off[:, None] ** 2) / h**2
    stencil = np.where(u < 1, k(np.minimum(u, 1)), 0.0) / h**2 * PER_KM2
    dens = fftconvolve(bins, stencil, mode="same") if placed.any() else bins
    dens = np.where(dens < stencil.max() * 1e-9, 0.0, dens)  # FFT round-off below zero
    return Surface(
        density=dens[::-1].copy(),
        x0=float(x0),
        y0=float(y0),
        cell=float(cell),
        bandwidth=h,
        bandwidth_rule=rule,
        kernel=kernel,
        points=float(w[placed].sum()),
        outside=float(w[~placed].sum()),
    )
