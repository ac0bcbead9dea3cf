"""Reading the store for evaluation: the current version of every return, interventions and
their theory-of-change indicators, as frames."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.programme.models import (
    Indicator,
    Intervention,
    ReturnRow,
    ReturnSubmission,
    TheoryStep,
)

__all__ = ["current_return_rows", "indicators_frame", "interventions_frame"]


def current_return_rows(s: Session) -> pd.DataFrame:
    """One row per return row of the current (not superseded) submission of every quarter,
    with ``intervention`` and ``period`` beside the template's fields."""
    superseded = select(ReturnSubmission.supersedes_id).where(
        ReturnSubmission.supersedes_id.is_not(None)
    )
    q = (
        select(Intervention.name, ReturnSubmission.period, ReturnRow.data)
        .join(ReturnSubmission, ReturnSubmission.id == ReturnRow.submission_id)
        .join(Intervention, Intervention.id == ReturnSubmission.intervention_id)
        .where(ReturnSubmission.id.not_in(superseded))
    )
    got = s.execute(q).all()
    data = pd.DataFrame([d for _, _, d in got])
    data.insert(0, "period", [p for _, p, _ in got])
    data.insert(0, "intervention", [n for n, _, _ in got])
    return data


def interventions_frame(s: Session) -> pd.DataFrame:
    q = select(
        Intervention.name,
        Intervention.thematic_area,
        Intervention.prevention_tier,
        Intervention.funding,
        Intervention.contract_start,
        Intervention.contract_end,
    )
    cols = ["name", "thematic_area", "prevention_tier", "funding", "contract_start", "contract_end"]
    return pd.DataFrame(s.execute(q).all(), columns=cols)


def indicators_frame(s: Session) -> pd.DataFrame:
    q = (
        select(
            Intervention.name,
            Indicator.name,
            Indicator.return_field,
            Indicator.target,
            Indicator.direction,
        )
        .join(TheoryStep, TheoryStep.id == Indicator.step_id)
        .join(Intervention, Intervention.id == TheoryStep.intervention_id)
    )
    cols = ["intervention", "indicator", "return_field", "target", "direction"]
    return pd.DataFrame(s.execute(q).all(), columns=cols)
