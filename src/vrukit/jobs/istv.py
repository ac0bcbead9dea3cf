"""The injury-surveillance jobs: ISTV extracts in the warehouse, scored and fed back.

A thin layer joining storage (:mod:`vrukit.store.warehouse`), analysis
(:mod:`vrukit.analysis.istv_quality`) and publishing (:mod:`vrukit.publish.istv_reports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vrukit.errors import VrukitError
from vrukit.schemas import ISTV_LOCATIONS
from vrukit.store.warehouse import Warehouse

if TYPE_CHECKING:
    from vrukit.analysis.istv_quality import Rules, Scorecard
    from vrukit.analysis.triangulate import UnknownShare
    from vrukit.disclosure import Policy
    from vrukit.publish.istv_reports import FeedbackFiles
    from vrukit.publish.istv_share import SharePackage

# Each job imports the analysis and publishing it needs when it runs: one ISTV command then
# loads one job's libraries (statsmodels, Altair, the demo generator are not all needed by each).

__all__ = [
    "AnalysisRun",
    "LocateRun",
    "ScoreRun",
    "load_venues",
    "locate",
    "located_assaults",
    "run_analysis",
    "run_score",
    "run_share",
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
    from vrukit.ingest.venues import read_venues

    v = read_venues(path)
    todo = v.lsoa_code.isna()
    if todo.any():
        placed = wh.lsoa_at(v.longitude[todo], v.latitude[todo])
        v.loc[todo, "lsoa_code"] = placed.lsoa_code.to_numpy()
    return wh.replace_rows("istv_venues", v, where={"source_file": Path(path).name})


def locate(
    wh: Warehouse,
    *,
    min_confidence: float = 0.6,
    reviewed: pd.DataFrame | None = None,
) -> LocateRun:
    """Resolve every stored assault's location and store the result in ``istv_locations``."""
    from vrukit.analysis.locate import (
        build_gazetteer,
        match_rates,
        resolve_locations,
        review_queue,
    )

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
    from vrukit.analysis.istv_quality import scorecard
    from vrukit.publish.istv_reports import write_feedback

    assaults, subs, quarantine = scorecard_inputs(wh)
    sc = scorecard(assaults, subs, quarantine, rules=rules)
    names = dict(zip(subs.site_code, subs.site_name.fillna(subs.site_code), strict=True))
    return ScoreRun(sc, write_feedback(sc, names, out), names)


@dataclass(frozen=True)
class AnalysisRun:
    """What ``run_analysis`` computed: pattern tables, hotspots of where assaults happened, the
    share unknown to police and the areas where ED violence outruns police-recorded violence."""

    tables: dict[str, pd.DataFrame]
    unknown: UnknownShare
    files: dict[str, Path]


#: The police.uk type the ED assaults are triangulated with.
POLICE_VIOLENCE = "Violence and sexual offences"


def located_assaults(wh: Warehouse) -> pd.DataFrame:
    """Accepted assaults with their resolved location (``istv_locations``), one row each."""
    a = wh.table("istv_assaults").to_pandas()
    loc = wh.table("istv_locations").to_pandas()
    if loc.empty:
        raise VrukitError("no locations resolved yet: run `vrukit istv locate` first")
    loc = loc.drop(columns="site_code")
    return a.merge(loc, on=["ingest_id", "source_line"], how="left")


def police_violence(wh: Warehouse) -> pd.DataFrame:
    c = wh.table("crimes")
    v = (
        c.filter((c.crime_type == POLICE_VIOLENCE) & c.lsoa_code.notnull())
        .group_by(["lsoa_code", "month"])
        .aggregate(count=lambda t: t.count())
        .to_pandas()
    )
    v["month"] = pd.to_datetime(v.month).dt.strftime("%Y-%m")
    return v


def run_analysis(wh: Warehouse, out: Path | str, *, q: float = 0.05) -> AnalysisRun:
    """Patterns, hotspots and triangulation of the ED assaults; tables and charts into ``out``."""
    from vrukit.analysis.hotspots import hotspots
    from vrukit.analysis.istv_patterns import patterns, placed
    from vrukit.analysis.triangulate import ed_high_police_low, share_unknown_to_police
    from vrukit.jobs.analyse import area_neighbours, areas_of_vintage
    from vrukit.publish.istv_reports import write_analysis

    a = located_assaults(wh)
    tables = patterns(a)
    here = placed(a)
    police = police_violence(wh)
    months = sorted(set(here.month) & set(police.month))
    police = police[police.month.isin(months)]
    here = here[here.month.isin(months)]
    unknown = share_unknown_to_police(here[["lsoa_code", "month", "confidence"]], police)
    ed = here.groupby("lsoa_code").confidence.sum()
    v = wh.table("istv_venues").to_pandas()
    venues = v.groupby("lsoa_code").size() if len(v) else None
    tables["ed_high_police_low"] = ed_high_police_low(
        ed, police.groupby("lsoa_code")["count"].sum(), venues, q=q
    )
    areas = areas_of_vintage(wh, police.lsoa_code)
    nb = area_neighbours(areas, "queen")
    y = ed.reindex(areas.lsoa_code).fillna(0).to_numpy()
    hs = hotspots(y, nb, seed=0)
    hs.insert(1, "ed_assaults", y)
    tables["ed_hotspots"] = hs
    tables["unknown_to_police"] = pd.DataFrame([unknown.as_dict()])
    files = write_analysis(tables, unknown, out, months=(months[0], months[-1]), q=q)
    return AnalysisRun(tables, unknown, files)


def run_share(
    wh: Warehouse,
    out: Path | str,
    *,
    month: str | None = None,
    min_confidence: float = 0.6,
    policy: Policy | None = None,
) -> SharePackage:
    """Write the CSP package for ``month`` (default: the latest month every site has sent)."""
    from vrukit.publish.istv_share import write_share_package

    a = located_assaults(wh)
    lad = wh.table("areas").select("lsoa_code", "lad_name").distinct().to_pandas()
    a = a.merge(lad.drop_duplicates("lsoa_code"), on="lsoa_code", how="left")
    if month is None:
        subs = wh.table("istv_submissions").to_pandas()
        last = pd.to_datetime(subs.period_start).groupby(subs.site_code).max().min()
        month = last.strftime("%Y-%m")
    return write_share_package(a, month, out, min_confidence=min_confidence, policy=policy)
