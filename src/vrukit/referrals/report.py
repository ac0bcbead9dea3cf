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
from vrukit.programme.models import Organisation
from vrukit.referrals.models import (
    CLOSED,
    STATUSES,
    Pathway,
    Referral,
    RefEvent,
    RefOutcome,
    Subject,
)

__all__ = [
    "COVARIATES",
    "ReoffendingComparison",
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


def referral_frame(s: Session, extra: Any = None) -> pd.DataFrame:
    """Every referral whose subject's consent stands (``extra``: a further WHERE clause), one
    row each: pathway, organisations, dates, status, pseudonymous facts, first contact, whether
    they engaged or declined, and outcomes at 3, 6 and 12 months with re-offending."""
    q = (
        select(Referral, Subject.pseudonym, Pathway.key, Pathway.name)
        .join(Subject, Subject.id == Referral.subject_id)
        .join(Pathway, Pathway.id == Referral.pathway_id)
        .where(Subject.consent == "given")
        .order_by(Referral.id)
    )
    if extra is not None:
        q = q.where(extra)
    rows = s.execute(q).all()
    ids = [r.Referral.id for r in rows]
    reached = _reached(s, ids)
    outcomes = _outcomes(s, ids)
    names = {i: n for i, n in s.execute(select(Organisation.id, Organisation.name))}
    out = []
    for r, pseudonym, key, name in rows:
        got = reached.get(r.id, {})
        out.append(
            {
                "referral": r.id,
                "subject": pseudonym,
                "pathway": key,
                "pathway_name": name,
                "provider": names[r.receiving_org_id],
                "referrer": names[r.referring_org_id],
                "referrer_role": r.referrer_role,
                "received_at": r.received_at,
                "status": r.status,
                "status_at": r.status_at,
                "age": r.age,
                "sex": r.sex,
                "prior_offences": r.prior_offences,
                "lsoa_code": r.lsoa_code,
                "imd_decile": r.imd_decile,
                "needs": "; ".join(r.needs),
                "first_contact_at": got.get("contacted"),
                "engaged": "engaged" in got,
                "declined": "declined" in got,
                **outcomes.get(r.id, {}),
            }
        )
    cols = ["outcome_3m", "outcome_6m", "outcome_12m", "reoffended_12m"]
    frame = pd.DataFrame(out)
    for c in cols:
        if c not in frame:
            frame[c] = pd.Series(dtype=object)
    return frame


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


def _outcomes(s: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 5000):
        q = select(RefOutcome).where(RefOutcome.referral_id.in_(ids[i : i + 5000]))
        for o in s.scalars(q):
            got = out.setdefault(o.referral_id, {})
            got[f"outcome_{o.months}m"] = o.outcome
            if o.months == 12:
                got["reoffended_12m"] = o.reoffended
    return out


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
        if not waiting or r.status in ("declined", "unreachable", "engaged"):
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


def reoffending_comparison(frame: pd.DataFrame, seed: int = 0) -> ReoffendingComparison | None:
    """The naive gap and the propensity-matched comparison, on referrals whose 12-month
    re-offending is known and who either engaged or declined; ``None`` with no such referrals."""
    f = frame[frame.reoffended_12m.notna() & (frame.engaged | frame.declined)].copy()
    if f.empty:
        return None
    f["reoffended"] = f.reoffended_12m.astype(bool)
    rate_e, rate_d, gap = naive_gap(f, "engaged", "reoffended")
    matched = matched_comparison(f, "engaged", "reoffended", COVARIATES, seed=seed)
    why = None
    if matched is None:
        missing = f[COVARIATES].isna().any(axis=1).sum()
        why = (
            f"too few comparable young people to match ({int(f.engaged.sum())} engaged, "
            f"{int(f.declined.sum())} declined; {missing} without age, sex, prior offences "
            "or home area)"
        )
    return ReoffendingComparison(
        int(f.engaged.sum()), int(f.declined.sum()), rate_e, rate_d, gap, matched, why
    )


#: Statuses in workflow order, for displays.
ORDER = {s: k for k, s in enumerate(STATUSES)}
