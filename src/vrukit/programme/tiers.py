"""The project and programme tiers of the evaluation, read from the programme store alone (the
place tier needs the warehouse: ``vrukit.jobs.evaluate``)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.analysis.programme_evaluation import indicator_progress, programme_summary
from vrukit.analysis.project_evaluation import compare_groups, paired_change
from vrukit.analysis.training_reach import training_reach, training_sessions
from vrukit.programme.models import (
    Intervention,
    Organisation,
    ReturnTemplate,
    TrainingRecord,
    TrainingScore,
)
from vrukit.programme.queries import current_return_rows, indicators_frame, interventions_frame
from vrukit.programme.returns import fields_of

__all__ = ["group_comparisons", "programme_tier", "project_tier", "training_tier"]


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


def training_tier(s: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training programme's sessions and its reach by sector and quarter
    (``vrukit.analysis.training_reach``)."""
    q = (
        select(TrainingRecord.id, Intervention.name, Organisation.name, TrainingRecord.trained_on,
               TrainingRecord.reached_per_week, TrainingRecord.participant_organisation)
        .join(Intervention, Intervention.id == TrainingRecord.intervention_id)
        .join(Organisation, Organisation.id == TrainingRecord.organisation_id)
    )  # fmt: skip
    records = pd.DataFrame(s.execute(q).all(), columns=[
        "record", "intervention", "provider", "trained_on", "reached_per_week",
        "participant_organisation"])  # fmt: skip
    scores = pd.DataFrame(
        s.execute(select(TrainingScore.record_id, TrainingScore.pre, TrainingScore.post)).all(),
        columns=["record", "pre", "post"],
    )
    return training_sessions(records), training_reach(records, scores)


def programme_tier(
    s: Session, rows: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Programme summary per intervention and indicator progress, from the current returns
    (``rows``: ``current_return_rows``, read here when not given)."""
    rows = current_return_rows(s) if rows is None else rows
    if rows.empty:
        return pd.DataFrame(), pd.DataFrame()
    summary = programme_summary(rows, interventions_frame(s))
    return summary, indicator_progress(summary, indicators_frame(s))


def group_comparisons(s: Session, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """For every yes/no outcome a return template marks (``outcome: true``): the outcome among
    participants who engaged against those who did not (each participant's latest known
    answer), with Wilson intervals, Newcombe's interval for the difference and the
    self-selection caution - engagement is chosen, so the gap is not an effect estimate."""
    rows = current_return_rows(s) if rows is None else rows
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for iv, template in s.execute(
        select(Intervention.name, ReturnTemplate.fields)
        .join(ReturnTemplate, ReturnTemplate.intervention_id == Intervention.id)
        .order_by(Intervention.name, ReturnTemplate.version.desc())
    ).all():
        for f in (f for f in fields_of(template) if f.outcome and f.name in rows.columns):
            if (iv, f.name) in seen:  # one comparison per outcome, as the newest template has it
                continue
            seen.add((iv, f.name))
            known = rows[(rows.intervention == iv) & rows[f.name].notna()]
            last = known.sort_values("period").groupby("participant_ref").tail(1)
            engaged, refused = last[last.engaged.astype(bool)], last[~last.engaged.astype(bool)]
            if engaged.empty or refused.empty:
                continue
            c = compare_groups(
                int(engaged[f.name].astype(bool).sum()), len(engaged),
                int(refused[f.name].astype(bool).sum()), len(refused),
                labels=("engaged", "did not engage"), self_selected=True,
            )  # fmt: skip
            for g in c.table.itertuples():
                out.append({"intervention": iv, "outcome": f.label or f.name, "group": g.group,
                            "count": g.count, "total": g.total, "proportion": g.proportion,
                            "low": g.low, "high": g.high, "difference": c.difference,
                            "difference_low": c.low, "difference_high": c.high,
                            "sms_level": c.sms_level, "caution": c.caution})  # fmt: skip
    return pd.DataFrame(out)
