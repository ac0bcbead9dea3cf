"""Service coverage: how many Youth Map services sit near each high-risk area - "high risk, few
services". An area's services are those whose location lies within ``radius`` metres (straight
line, British National Grid) of the area's centroid; the nearest service's distance is given too,
so an area with none nearby still says how far the nearest one is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = ["RADIUS_M", "service_coverage"]

#: Within reach: about 20 minutes' walk.
RADIUS_M = 1500.0


def service_coverage(
    areas: pd.DataFrame, services: pd.DataFrame, radius: float = RADIUS_M
) -> pd.DataFrame:
    """``areas`` (``area_code``, centroid ``x``, ``y`` in metres, any other columns carried)
    with ``services_near`` (services within ``radius`` of the centroid) and ``nearest_km``;
    fewest services first, then the nearest service furthest away. ``services`` has ``x``,
    ``y``."""
    out = areas.copy()
    if services.empty:
        out["services_near"] = 0
        out["nearest_km"] = np.nan
        return out
    tree = cKDTree(services[["x", "y"]].to_numpy(float))
    points = areas[["x", "y"]].to_numpy(float)
    out["services_near"] = tree.query_ball_point(points, r=radius, return_length=True)
    distance, _ = tree.query(points, k=1)
    out["nearest_km"] = np.round(distance / 1000, 2)
    return out.sort_values(["services_near", "nearest_km"], ascending=[True, False],
                           kind="stable").reset_index(drop=True)  # fmt: skip
