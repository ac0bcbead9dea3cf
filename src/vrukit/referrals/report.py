"""Referrals as the evaluation reads them: one pseudonymised table, its SLA clocks, and the
figures by pathway and provider.

``referral_frame`` is the only way referrals leave the store for analysis or export, and it
leaves out every subject whose consent is withdrawn - so withdrawal is honoured everywhere at
once. It carries no identifying details, only the subject's pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.analysis.matching import MatchedComparison, matched_comparison, naive_gap
from vrukit.errors import t
from vrukit.programme.models import Organisation
from vrukit.referrals.models import (
    CLOSED,
    Pathway,
    Referral,
    RefEvent,
    RefOutcome,
    Subject,
)

__all__ = [
    "COVARIATES",
    "ReoffendingComparison",
    "evaluation_figures",
    "referral_frame",
    "reoffending_comparison",
    "sla",
    "summary",
]

#: What the matched comparison adjusts for.
COVARIATES = ["age", "sex", "prior_offences", "imd_decile"]
#: A status counts as having reached an earlier step: its place in the workflow.
RANK = {
    "received": 0,
    "accepted": 1,
    "not_accepted": 1,
    "contacted": 2,
    "engaged": 3,
    "declined": 3,
    "unreachable": 3,
    "referred_on": 3,
    "closed": 4,
}


#: The referral's own columns in the pseudonymised table.
_COLUMNS = (
    "id",
    "receiving_org_id",
    "referring_org_id",
    "referrer_role",
    "received_at",
    "status",
    "status_at",
    "age",
    "sex",
    "prior_offences",
    "lsoa_code",
    "imd_decile",
    "needs",
)


def referral_frame(s: Session, extra: Any = None) -> pd.DataFrame:
    """Every referral whose subject's consent stands (``extra``: a further WHERE clause), one
    row each: pathway, organisations, dates, status, pseudonymous facts, first contact, whether
    they engaged or declined, and outcomes at 3, 6 and 12 months with re-offending."""
    q = (
        select(
            *(getattr(Referral, c) for c in _COLUMNS),
            Subject.pseudonym,
            Pathway.key,
            Pathway.name.label("pathway_name"),
        )
        .join(Subject, Subject.id == Referral.subject_id)
        .join(Pathway, Pathway.id == Referral.pathway_id)
        .where(Subject.consent == "given")
        .order_by(Referral.id)
    )
    if extra is not None:
        q = q.where(extra)
    f = pd.DataFrame(s.execute(q).all(), columns=[*_COLUMNS, "subject", "pathway", "pathway_name"])
    ids = f["id"].tolist()
    reached = _reached(s, ids)
    names = {i: n for i, n in s.execute(select(Organisation.id, Organisation.name))}
    out = pd.DataFrame(
        {
            "referral": f["id"],
            "subject": f.subject,
            "pathway": f.pathway,
            "pathway_name": f.pathway_name,
            "provider": f.receiving_org_id.map(names),
            "referrer": f.referring_org_id.map(names),
            "referrer_role": f.referrer_role,
            "received_at": f.received_at,
            "status": f.status,
            "status_at": f.status_at,
            "age": f.age,
            "sex": f.sex,
            "prior_offences": f.prior_offences,
            "lsoa_code": f.lsoa_code,
            "imd_decile": f.imd_decile,
            "needs": [("; ".join(n)) for n in f.needs],
            "first_contact_at": [reached.get(i, {}).get("contacted") for i in ids],
            "engaged": ["engaged" in reached.get(i, {}) for i in ids],
            "declined": ["declined" in reached.get(i, {}) for i in ids],
        }
    )
    out = out.join(_outcomes(s, ids), on="referral")
    later = ["outcome_3m", "outcome_6m", "outcome_12m", "reoffended_12m"]
    out[later] = out[later].astype(object).where(out[later].notna(), None)
    return out


def _reached(s: Session, ids: list[int]) -> dict[int, dict[str, datetime]]:
    """When each referral first reached each status; "contacted" also counts a referral
    first seen already engaged or declined (contact happened with it)."""
    out: dict[int, dict[str, datetime]] = {}
    for i in range(0, len(ids), 5000):
        q = (
            select(RefEvent.referral_id, RefEvent.to_status, RefEvent.at)
            .where(RefEvent.referral_id.in_(ids[i : i + 5000]))
            .order_by(RefEvent.id)
        )
        for rid, status, at in s.execute(q):
            got = out.setdefault(rid, {})
            got.setdefault(status, at)
            if status in ("engaged", "declined"):
                got.setdefault("contacted", at)
    return out


def _outcomes(s: Session, ids: list[int]) -> pd.DataFrame:
    """Outcomes at 3, 6 and 12 months and 12-month re-offending, by referral (empty where none
    is recorded)."""
    rows: list[Any] = []
    for i in range(0, len(ids), 5000):
        q = select(
            RefOutcome.referral_id, RefOutcome.months, RefOutcome.outcome, RefOutcome.reoffended
        ).where(RefOutcome.referral_id.in_(ids[i : i + 5000]))
        rows.extend(s.execute(q).all())
    long = pd.DataFrame(rows, columns=["referral", "months", "outcome", "reoffended"])
    wide = long.pivot(index="referral", columns="months", values="outcome")
    wide = wide.reindex(columns=[3, 6, 12]).astype(object)
    wide.columns = ["outcome_3m", "outcome_6m", "outcome_12m"]
    twelve = long[long.months == 12].set_index("referral").reoffended.astype(object)
    return wide.assign(reoffended_12m=twelve)


def sla(s: Session, now: datetime, extra: Any = None) -> pd.DataFrame:
    """The SLA clock of every referral still waiting for a pathway step: the step, when it is
    due, hours left (negative: overdue) and ``overdue``. A referral whose consent is withdrawn,
    or that is finished, has no clock."""
    q = (
        select(Referral, Pathway.steps, Pathway.name)
        .join(Pathway, Pathway.id == Referral.pathway_id)
        .join(Subject, Subject.id == Referral.subject_id)
        .where(Subject.consent == "given", Referral.status.not_in(CLOSED))
        .order_by(Referral.received_at)
    )
    if extra is not None:
        q = q.where(extra)
    rows = []
    for r, steps, name in s.execute(q):
        waiting = [st for st in steps if RANK[r.status] < RANK[st["status"]]]
        if not waiting:  # every step reached (engaged, declined, unreachable: all of them)
            continue
        step = min(waiting, key=lambda st: st["within_hours"])
        due = r.received_at + timedelta(hours=step["within_hours"])
        left = (due - now).total_seconds() / 3600
        rows.append(
            {
                "referral": r.id,
                "pathway": name,
                "status": r.status,
                "step": step["status"],
                "received_at": r.received_at,
                "due": due,
                "hours_left": left,
                "overdue": left < 0,
            }
        )
    cols = ["referral", "pathway", "status", "step", "received_at", "due", "hours_left", "overdue"]
    return pd.DataFrame(rows, columns=cols)


def summary(frame: pd.DataFrame, pathways: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Volumes, conversion (engaged / referred), time to first contact (median hours, and the
    share contacted within the pathway's target) and 12-month outcomes, by pathway and
    provider. ``pathways``: each pathway key's steps."""
    if frame.empty:
        return pd.DataFrame()
    f = frame.copy()
    f["hours"] = (
        pd.to_datetime(f.first_contact_at) - pd.to_datetime(f.received_at)
    ) / np.timedelta64(1, "h")
    target = {
        k: next((st["within_hours"] for st in v if st["status"] == "contacted"), np.nan)
        for k, v in pathways.items()
    }
    f["in_time"] = f.hours <= f.pathway.map(target)
    f["improved"] = f.outcome_12m.eq("improved")
    f["known_12m"] = f.outcome_12m.notna()
    g = f.groupby(["pathway_name", "provider"], sort=True)
    out = pd.DataFrame(
        {
            "referred": g.size(),
            "contacted": g.first_contact_at.count(),
            "engaged": g.engaged.sum(),
            "declined": g.declined.sum(),
            "median_hours_to_contact": g.hours.median(),
            "contacted_in_time": g.in_time.sum(),
            "improved_12m": g.improved.sum(),
            "known_12m": g.known_12m.sum(),
        }
    )
    out["conversion"] = out.engaged / out.referred
    out["share_in_time"] = out.contacted_in_time / out.contacted.replace(0, np.nan)
    return out.reset_index()


@dataclass(frozen=True)
class ReoffendingComparison:
    """Re-offending within 12 months of those who engaged against those who declined."""

    engaged_n: int
    declined_n: int
    engaged_rate: float
    declined_rate: float
    naive_gap: float
    matched: MatchedComparison | None
    why_not_matched: str | None


def reoffending_comparison(frame: pd.DataFrame) -> ReoffendingComparison | None:
    """The naive gap and the propensity-matched comparison, on referrals whose 12-month
    re-offending is known and who either engaged or declined; ``None`` with no such referrals."""
    f = frame[frame.reoffended_12m.notna() & (frame.engaged | frame.declined)].copy()
    if f.empty:
        return None
    f["reoffended"] = f.reoffended_12m.astype(bool)
    rate_e, rate_d, gap = naive_gap(f, "engaged", "reoffended")
    matched = matched_comparison(f, "engaged", "reoffended", COVARIATES, key="referral")
    why = None
    if matched is None:
        missing = f[COVARIATES].isna().any(axis=1).sum()
        why = t("too few comparable young people to match (%(engaged)s engaged, "
                "%(declined)s declined; %(missing)s without age, sex, prior offences or home "
                "area)", engaged=int(f.engaged.sum()), declined=int(f.declined.sum()),
                missing=missing)  # fmt: skip
    return ReoffendingComparison(
        int(f.engaged.sum()), int(f.declined.sum()), rate_e, rate_d, gap, matched, why
    )


def evaluation_figures(
    s: Session, extra: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame, ReoffendingComparison | None]:
    """What the evaluation shows of referrals (``extra``: a WHERE clause on ``Referral``): the
    pseudonymised table, the figures by pathway and provider, and the re-offending comparison."""
    frame = referral_frame(s, extra)
    steps = {p.key: p.steps for p in s.scalars(select(Pathway))}
    table = summary(frame, steps)
    return frame, table, reoffending_comparison(frame) if not frame.empty else None
