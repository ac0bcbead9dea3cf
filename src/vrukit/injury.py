"""The injury-surveillance jobs: ISTV extracts in the warehouse, scored and fed back.

A thin layer joining storage (:mod:`vrukit.warehouse`), analysis
(:mod:`vrukit.analysis.istv_quality`) and publishing (:mod:`vrukit.publish.istv_reports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vrukit.analysis.istv_quality import Rules, Scorecard, scorecard
from vrukit.analysis.locate import (
    build_gazetteer,
    match_rates,
    resolve_locations,
    review_queue,
)
from vrukit.demo import DEMO_PROFILES
from vrukit.errors import VrukitError
from vrukit.geo import to_bng
from vrukit.ingest.venues import read_venues
from vrukit.publish.istv_reports import FeedbackFiles, write_feedback
from vrukit.schemas import ISTV_LOCATIONS
from vrukit.warehouse import Warehouse

__all__ = [
    "DEMO_PROFILES",
    "LocateRun",
    "ScoreRun",
    "load_venues",
    "locate",
    "run_score",
    "scorecard_inputs",
]


@dataclass(frozen=True)
class ScoreRun:
    """What ``run_score`` computed and wrote."""

    scorecard: Scorecard
    files: FeedbackFiles
    sites: dict[str, str]


@dataclass(frozen=True)
class LocateRun:
    """What ``locate`` resolved: every assault's location, match rates, the review queue."""

    located: pd.DataFrame
    rates: pd.DataFrame
    queue: pd.DataFrame


def load_venues(wh: Warehouse, path: Path | str) -> int:
    """Load (or reload) a venues CSV; venues without an LSOA get the one they lie in."""
    v = read_venues(path)
    todo = v.lsoa_code.isna()
    if todo.any():
        v.loc[todo, "lsoa_code"] = _lsoa_of(wh, v.longitude[todo], v.latitude[todo])
    return wh.replace_rows("istv_venues", v, where={"source_file": Path(path).name})


def _lsoa_of(wh: Warehouse, lon: pd.Series, lat: pd.Series) -> np.ndarray:
    a = wh.table("areas")
    areas = a.filter(a.geometry_wkb.notnull()).select("lsoa_code", "geometry_wkb").to_pandas()
    if areas.empty:
        raise VrukitError("venues without lsoa_code need LSOA boundaries in the warehouse")
    geoms = shapely.from_wkb(areas.geometry_wkb.to_numpy())
    tree = shapely.STRtree(geoms)
    xy = to_bng(lon.to_numpy(float), lat.to_numpy(float))
    pts, hit = tree.query(shapely.points(xy), predicate="within")
    out = np.full(len(xy), None, dtype=object)
    out[pts] = areas.lsoa_code.to_numpy()[hit]
    return out


def locate(
    wh: Warehouse,
    *,
    min_confidence: float = 0.6,
    reviewed: pd.DataFrame | None = None,
) -> LocateRun:
    """Resolve every stored assault's location and store the result in ``istv_locations``."""
    c = wh.table("crimes")
    snap = (
        c.filter(c.longitude.notnull() & c.location.notnull())
        .group_by(["location", "lsoa_code", "longitude", "latitude"])
        .aggregate(n=lambda t: t.count())
        .to_pandas()
    )
    if snap.empty:
        raise VrukitError(
            "the warehouse holds no police.uk records to build the street gazetteer from; "
            "load some with `vrukit ingest`"
        )
    areas = wh.table("areas").select("lsoa_code", "lad_name").to_pandas()
    venues = wh.table("istv_venues").to_pandas()
    gz = build_gazetteer(snap, venues, areas)
    a = wh.table("istv_assaults")
    rows = a.select("ingest_id", "source_line", "site_code", "location_description").to_pandas()
    located = resolve_locations(rows, gz, min_confidence=min_confidence, reviewed=reviewed)
    wh.replace_rows("istv_locations", located[list(ISTV_LOCATIONS.names)])
    return LocateRun(located, match_rates(located), review_queue(located))


def scorecard_inputs(wh: Warehouse) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(assaults, submissions, quarantine) for the scorecard, read from the warehouse."""
    subs = wh.table("istv_submissions").to_pandas()
    if subs.empty:
        raise VrukitError(
            "the warehouse holds no ISTV submissions; load some with `vrukit istv ingest` "
            "(or rebuild the demo with `vrukit demo`)"
        )
    a = wh.table("istv_assaults")
    cols = ["ingest_id", "source_line", "site_code", "period_start", "arrival_at", "assault_at",
            "assault_time_known", "method", "location_type", "location_description", "age_band",
            "sex", "residence_lsoa", "arrival_mode", "disposal", "assault_after_arrival",
            "future_date", "outside_period"]  # fmt: skip
    assaults = a.select(*cols).to_pandas()
    loc = wh.table("istv_locations").select("ingest_id", "source_line", "status").to_pandas()
    if len(loc):
        loc = loc.rename(columns={"status": "location_status"})
        assaults = assaults.merge(loc, on=["ingest_id", "source_line"], how="left")
    q = wh.table("quarantine")
    quarantine = q.filter(q.ingest_id.isin(list(subs.ingest_id))).select("ingest_id", "reason")
    return assaults, subs, quarantine.to_pandas()


def run_score(wh: Warehouse, out: Path | str, *, rules: Rules | None = None) -> ScoreRun:
    """Score every site and month and write the feedback reports into ``out``."""
    assaults, subs, quarantine = scorecard_inputs(wh)
    sc = scorecard(assaults, subs, quarantine, rules=rules)
    names = dict(zip(subs.site_code, subs.site_name.fillna(subs.site_code), strict=True))
    return ScoreRun(sc, write_feedback(sc, names, out), names)
