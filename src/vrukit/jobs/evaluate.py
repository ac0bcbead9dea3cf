"""The evaluation job (``vrukit evaluate``): the three tiers of the seed report's evaluation over
the programme store and the warehouse, kept in the store for the portal and written as files.

- **Place:** for every pilot place in the store, difference-in-differences of monthly violence
  counts in its LSOAs against comparison areas with the same history, and synthetic control of
  its violence rate from donor places of similar size. Areas with a level shift of their own
  (``screen_breaks``) and every pilot's areas are kept out of the comparisons. Each run is
  stored (``place_evaluation``) with its event study, placebo checks and series.
- **Project:** pre/post questionnaire change per statement for every intervention with training
  records (Wilcoxon signed-rank, effect size, share improved); for every yes/no outcome a
  return template marks, the outcome among those who engaged against those who did not, with
  the self-selection caution.
- **Programme:** reach, engagement, completion and cost per participant from the current returns,
  and every theory-of-change indicator against its target.
- **Qualitative evidence:** how many excerpts (and interviews or focus groups) each theme has
  by place, intervention and Theory of Change step, beside the figures above (counts only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.analysis.place_evaluation import (
    comparison_areas,
    did,
    donor_places,
    screen_breaks,
    synthetic_control,
)
from vrukit.errors import ConfigError
from vrukit.programme.db import session
from vrukit.programme.models import Place, PlaceEvaluation
from vrukit.programme.queries import current_return_rows
from vrukit.programme.tiers import group_comparisons, programme_tier, project_tier, training_tier
from vrukit.publish.evaluation import write_evaluation
from vrukit.qualitative.counts import theme_counts
from vrukit.referrals.report import evaluation_figures
from vrukit.schemas import VIOLENCE_TYPES
from vrukit.store.warehouse import Warehouse
from vrukit.voice.results import safety_before_after

__all__ = [
    "EvaluationRun",
    "evaluate_places",
    "run_evaluation",
    "violence_panel",
]


@dataclass
class EvaluationRun:
    """What ``run_evaluation`` found and wrote."""

    places: pd.DataFrame
    training: pd.DataFrame
    groups: pd.DataFrame
    programme: pd.DataFrame
    indicators: pd.DataFrame
    folder: Path
    files: list[Path]
    #: Training reach by sector and quarter (``vrukit.analysis.training_reach``).
    reach: pd.DataFrame | None = None
    #: Excerpts and sources per theme by place, intervention and Theory of Change step
    #: (``vrukit.qualitative.theme_counts``).
    themes: pd.DataFrame | None = None
    #: Feeling safe by place before and after it began (``vrukit.voice.results``).
    safety: pd.DataFrame | None = None


def violence_panel(wh: Warehouse) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly police-recorded violence per LSOA (``area``, ``month`` YYYY-MM, ``count``) and
    the areas table (population, centroids) indexed by LSOA code."""
    c = wh.table("crimes")
    counts = (
        c.filter(c.crime_type.isin(list(VIOLENCE_TYPES)) & c.lsoa_code.notnull())
        .group_by([c.lsoa_code.name("area"), c.month])
        .aggregate(count=lambda t: t.count())
        .to_pandas()
    )
    if counts.empty:
        raise ConfigError("the warehouse has no violent crimes with an LSOA: ingest police.uk")
    counts["month"] = pd.to_datetime(counts.month).dt.strftime("%Y-%m")
    areas = wh.table("areas").to_pandas().set_index("lsoa_code")
    return counts, areas


def _detail_did(r: Any) -> dict[str, Any]:
    return {
        "event_study": r.event_study.to_dict("records"),
        "placebo_in_time": r.placebo,
        "cluster_ci": list(r.cluster_ci),
        "treated_areas": r.treated,
        "comparison_areas": r.comparison,
    }


def _detail_synth(r: Any) -> dict[str, Any]:
    return {
        "series": r.series.to_dict("records"),
        "weights": {str(k): float(v) for k, v in r.weights.head(10).items()},
        "pre_rmspe": r.pre_rmspe,
        "post_rmspe": r.post_rmspe,
        "rmspe_ratio": r.rmspe_ratio if np.isfinite(r.rmspe_ratio) else None,
        "donors": len(r.placebo_effects),
        "interval": r.interval,
    }


def evaluate_places(
    s: Session,
    counts: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    say: Callable[[str], None] = lambda _m: None,
) -> list[PlaceEvaluation]:
    """DiD and synthetic control for every place in the store; the results are added to it."""
    places = s.scalars(select(Place).order_by(Place.name)).all()
    known = set(counts.area)
    in_pilots = {a.lsoa_code for p in places for a in p.areas}
    changed = screen_breaks(counts)
    wide = counts.pivot_table(
        index="month", columns="area", values="count", aggfunc="sum", fill_value=0
    )

    def rate(codes: list[str]) -> pd.Series:
        codes = [c for c in codes if c in wide.columns]
        return wide[codes].sum(axis=1) / areas.population.reindex(codes).sum() * 1000

    centroids = areas.rename(
        columns={"centroid_easting": "easting", "centroid_northing": "northing"}
    )
    donors = pd.DataFrame(
        {k: rate(v) for k, v in donor_places(centroids, in_pilots | changed).items()}
    )
    out: list[PlaceEvaluation] = []
    now = datetime.now()
    for p in places:
        treated = {a.lsoa_code for a in p.areas} & known
        start = p.start_date.strftime("%Y-%m")
        if not treated or not (wide.index.min() < start <= wide.index.max()):
            say(f"{p.name}: skipped - no recorded violence in its areas before and after {start}")
            continue
        say(f"{p.name}: difference-in-differences and synthetic control from {start}")
        comp = comparison_areas(counts, treated, start, exclude=in_pilots | changed)
        d = did(counts, treated, start, comp)
        sc = synthetic_control(rate(sorted(treated)), donors, start)
        for design, r, detail in (
            ("did", d, _detail_did(d)), ("synthetic_control", sc, _detail_synth(sc)),
        ):  # fmt: skip
            detail |= {"start": start, "areas": sorted(treated)}
            row = PlaceEvaluation(
                place_id=p.id, design=design, effect=float(r.effect), low=float(r.low),
                high=float(r.high), p=float(r.p), sms_level=r.sms_level, run_at=now,
                detail=detail,
            )  # fmt: skip
            s.add(row)
            out.append(row)
    s.flush()
    return out


def run_evaluation(
    wh: Warehouse, store_url: str, out: Path | str, *, say: Callable[[str], None] = print
) -> EvaluationRun:
    """All three tiers: place results stored in the programme store, every table and chart
    written into ``out``."""
    say("reading monthly violence per LSOA from the warehouse")
    counts, areas = violence_panel(wh)
    with session(store_url) as s:
        results = evaluate_places(s, counts, areas, say=say)
        names = {p.id: p.name for p in s.scalars(select(Place))}
        places = pd.DataFrame(
            [(names[r.place_id], r.design, r.effect, r.low, r.high, r.p, r.sms_level)
             for r in results],
            columns=["place", "design", "effect", "low", "high", "p", "sms_level"],
        )  # fmt: skip
        details = [(names[r.place_id], r.design, r.detail) for r in results]
        say("project tier: pre/post questionnaires")
        training = project_tier(s)
        say("training reach: sessions, attendees, people reached by sector and quarter")
        sessions, reach = training_tier(s)
        rows = current_return_rows(s)
        groups = group_comparisons(s, rows)
        say("programme tier: reach, engagement, completion, cost, indicators")
        summary, indicators = programme_tier(s, rows)
        say("referrals: volumes, conversion, time to first contact, outcomes, re-offending")
        _, referrals, reoffending = evaluation_figures(s)
        say("qualitative evidence: themes by place, intervention and Theory of Change step")
        themes = theme_counts(s)
        say("young people's voice: feeling safe by place, before and after each place began")
        safety = safety_before_after(s, today=date.today())
    files = write_evaluation(Path(out), places, details, training, groups, summary, indicators,
                             referrals=referrals, reoffending=reoffending,
                             reach=(sessions, reach), themes=themes,
                             safety=safety)  # fmt: skip
    return EvaluationRun(places, training, groups, summary, indicators, Path(out), files,
                         reach, themes, safety)  # fmt: skip
