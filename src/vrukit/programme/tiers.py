"""The project and programme tiers of the evaluation, read from the programme store alone (the
place tier needs the warehouse: ``vrukit.evaluation``)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.analysis.programme_evaluation import indicator_progress, programme_summary
from vrukit.analysis.project_evaluation import paired_change
from vrukit.programme.models import Intervention, TrainingRecord, TrainingScore
from vrukit.programme.queries import current_return_rows, indicators_frame, interventions_frame

__all__ = ["programme_tier", "project_tier"]


def project_tier(s: Session) -> pd.DataFrame:
    """Pre/post change per statement for every intervention with training records."""
    q = (
        select(Intervention.name, TrainingScore.statement, TrainingScore.pre, TrainingScore.post)
        .join(TrainingRecord, TrainingRecord.intervention_id == Intervention.id)
        .join(TrainingScore, TrainingScore.record_id == TrainingRecord.id)
    )
    t = pd.DataFrame(s.execute(q).all(), columns=["intervention", "statement", "pre", "post"])
    t[["pre", "post"]] = t[["pre", "post"]].astype(float)
    frames = [
        paired_change(g).assign(intervention=name)
        for name, g in t.groupby("intervention", sort=True)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def programme_tier(s: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Programme summary per intervention and indicator progress, from the current returns."""
    rows = current_return_rows(s)
    if rows.empty:
        return pd.DataFrame(), pd.DataFrame()
    summary = programme_summary(rows, interventions_frame(s))
    return summary, indicator_progress(summary, indicators_frame(s))
