"""The injury-surveillance jobs: ISTV extracts in the warehouse, scored and fed back.

A thin layer joining storage (:mod:`vrukit.warehouse`), analysis
(:mod:`vrukit.analysis.istv_quality`) and publishing (:mod:`vrukit.publish.istv_reports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vrukit.analysis.istv_quality import Rules, Scorecard, scorecard
from vrukit.errors import VrukitError
from vrukit.pipeline import DEMO_PROFILES
from vrukit.publish.istv_reports import FeedbackFiles, write_feedback
from vrukit.warehouse import Warehouse

__all__ = ["DEMO_PROFILES", "ScoreRun", "run_score", "scorecard_inputs"]


@dataclass(frozen=True)
class ScoreRun:
    """What ``run_score`` computed and wrote."""

    scorecard: Scorecard
    files: FeedbackFiles
    sites: dict[str, str]


def scorecard_inputs(wh: Warehouse) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(assaults, submissions, quarantine) for the scorecard, read from the warehouse."""
    subs = wh.table("istv_submissions").to_pandas()
    if subs.empty:
        raise VrukitError(
            "the warehouse holds no ISTV submissions; load some with `vrukit istv ingest` "
            "(or rebuild the demo with `vrukit demo`)"
        )
    a = wh.table("istv_assaults")
    cols = ["site_code", "period_start", "arrival_at", "assault_at", "assault_time_known",
            "method", "location_type", "location_description", "age_band", "sex",
            "residence_lsoa", "arrival_mode", "disposal", "assault_after_arrival",
            "future_date", "outside_period"]  # fmt: skip
    assaults = a.select(*cols).to_pandas()
    q = wh.table("quarantine")
    quarantine = q.filter(q.ingest_id.isin(list(subs.ingest_id))).select("ingest_id", "reason")
    return assaults, subs, quarantine.to_pandas()


def run_score(wh: Warehouse, out: Path | str, *, rules: Rules | None = None) -> ScoreRun:
    """Score every site and month and write the feedback reports into ``out``."""
    assaults, subs, quarantine = scorecard_inputs(wh)
    sc = scorecard(assaults, subs, quarantine, rules=rules)
    names = dict(zip(subs.site_code, subs.site_name.fillna(subs.site_code), strict=True))
    return ScoreRun(sc, write_feedback(sc, names, out), names)
