"""The quarterly board pack (``vrukit board-pack --quarter YYYY-Qn``): what the programme
board reviews each quarter, read from the programme store as it stood at the quarter's end -
the delivery plan's RAG and what changed, the risk register's heat map and movements, spend
against forecast for the financial year so far, reach and monitoring compliance, funding
rounds and evaluation headlines, the decision and issue log - and, given the SNA's analysis
folder, its headline changes. ``publish.board_pack`` renders it as HTML (and a PDF printed
by Chromium); a public pack keeps only the parts marked public, through the disclosure layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vrukit.commissioning.governance import (
    RAG,
    action_status,
    as_dict,
    financial_year,
    quarter_dates,
    quarters_to,
    risk_at,
    spend_by_intervention,
)
from vrukit.commissioning.models import FundingRound, LogEntry, Objective, Risk
from vrukit.commissioning.yef import expected_effect, portfolio
from vrukit.errors import ConfigError
from vrukit.ingest.periods import DUE_DAYS
from vrukit.partnerships.meetings import network_size
from vrukit.partnerships.models import Meeting, MeetingAction
from vrukit.programme.models import (
    Board,
    Intervention,
    Place,
    PlaceEvaluation,
    ReturnRow,
    ReturnSubmission,
    TrainingRecord,
)
from vrukit.programme.returns import return_status
from vrukit.programme.tiers import training_tier

__all__ = ["PackData", "collect"]


@dataclass
class PackData:
    """Everything a board pack shows, as plain tables (``publish.board_pack`` renders them)."""

    quarter: str
    start: date
    end: date
    as_of: date
    plan: pd.DataFrame
    risks: pd.DataFrame
    spend: pd.DataFrame
    compliance: pd.DataFrame
    reach: pd.DataFrame
    rounds: pd.DataFrame
    evaluation: pd.DataFrame
    log: pd.DataFrame
    sna: dict[str, Any] = field(default_factory=dict)
    training_reach: int = 0
    #: The quarter's training by the attendees' sector (``vrukit.analysis.training_reach``).
    training: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Each board and network: members at the quarter's end, meetings, decisions and actions.
    partnerships: pd.DataFrame = field(default_factory=pd.DataFrame)


def _plan(s: Session, start: date, end: date) -> pd.DataFrame:
    rows = []
    for o in s.scalars(select(Objective).order_by(Objective.position)):
        for a in o.actions:
            now, update = action_status(a, end)
            before, _ = action_status(a, start - timedelta(days=1))
            rows.append({
                "objective": o.title, "action": a.title, "owner": a.owner, "due": a.due,
                "status": now, "rag": RAG[now], "before": RAG[before],
                "changed": now != before,
                "overdue": a.due < end and now != "complete",
                "note": update.note if update is not None and update.at >= start else "",
            })  # fmt: skip
    return pd.DataFrame(rows)


def _risks(s: Session, start: date, end: date) -> pd.DataFrame:
    rows = []
    for r in s.scalars(select(Risk).order_by(Risk.title)):
        now, before = risk_at(r, end), risk_at(r, start - timedelta(days=1))
        if now is None or r.status != "open":
            continue
        score, was = now[0] * now[1], (before[0] * before[1] if before else None)
        movement = ("new" if was is None else "up" if score > was else
                    "down" if score < was else "same")  # fmt: skip
        rows.append({"risk": r.title, "owner": r.owner, "likelihood": now[0], "impact": now[1],
                     "score": score, "was": "" if was is None else str(was), "movement": movement,
                     "mitigations": r.mitigations or ""})  # fmt: skip
    return (
        pd.DataFrame(rows).sort_values(["score", "risk"], ascending=[False, True])
        if rows
        else pd.DataFrame(columns=["risk", "likelihood", "impact", "score", "movement"])
    )


def _reach(s: Session, quarter: str) -> pd.DataFrame:
    """Young people in each intervention's current return for the quarter."""
    superseded = select(ReturnSubmission.supersedes_id).where(
        ReturnSubmission.supersedes_id.is_not(None))  # fmt: skip
    q = (select(Intervention.name, func.count(ReturnRow.row_number))
         .join(ReturnSubmission, ReturnSubmission.intervention_id == Intervention.id)
         .join(ReturnRow, ReturnRow.submission_id == ReturnSubmission.id)
         .where(ReturnSubmission.period == quarter, ReturnSubmission.id.not_in(superseded))
         .group_by(Intervention.name).order_by(Intervention.name))  # fmt: skip
    return pd.DataFrame(s.execute(q).all(), columns=["intervention", "young_people"])


def _rounds(s: Session, start: date, end: date) -> pd.DataFrame:
    rows = []
    for rnd in s.scalars(select(FundingRound).where(FundingRound.status != "draft")
                         .order_by(FundingRound.opens)):  # fmt: skip
        apps = [a for a in rnd.applications if a.submitted_at is not None
                and a.submitted_at.date() <= end]  # fmt: skip
        decided = [a for a in apps if a.decided_at is not None and a.decided_at.date() <= end]
        if (
            rnd.opens > end
            or (not apps and rnd.closes < start)
            or (
                decided
                and all(a.decided_at.date() < start for a in decided)  # type: ignore[union-attr]
                and len(decided) == len(apps)
            )
        ):
            continue
        awarded = [a for a in decided if a.status == "awarded"]
        effect = portfolio([(expected_effect(a.reach, rnd.baseline.get(a.prevention_tier),
                                             a.yef_strand, a.awarded or 0.0), a.awarded or 0.0)
                            for a in awarded]) if awarded else None  # fmt: skip
        rows.append({"round": rnd.name, "budget": rnd.budget, "applications": len(apps),
                     "awarded": len(awarded), "declined": sum(a.status == "declined"
                                                              for a in decided),
                     "amount": sum(a.awarded or 0.0 for a in awarded),
                     "prevented": effect.prevented if effect else None,
                     "prevented_low": effect.low if effect else None,
                     "prevented_high": effect.high if effect else None})  # fmt: skip
    return pd.DataFrame(rows)


def _evaluation(s: Session) -> pd.DataFrame:
    """The newest run of each design for each place (whenever it ran: an evaluation is re-run
    on the whole series, so the newest is the best the board can be told)."""
    newest = (select(func.max(PlaceEvaluation.id))
              .group_by(PlaceEvaluation.place_id, PlaceEvaluation.design)
              .scalar_subquery())  # fmt: skip
    q = (select(Place.name, PlaceEvaluation.design, PlaceEvaluation.effect, PlaceEvaluation.low,
                PlaceEvaluation.high, PlaceEvaluation.p, PlaceEvaluation.sms_level,
                PlaceEvaluation.run_at)
         .join(Place, Place.id == PlaceEvaluation.place_id)
         .where(PlaceEvaluation.id.in_(newest))
         .order_by(Place.name, PlaceEvaluation.design))  # fmt: skip
    return pd.DataFrame(s.execute(q).all(), columns=["place", "design", "effect", "low", "high",
                                                     "p", "sms_level", "run_at"])  # fmt: skip


def _log(s: Session, start: date, end: date, public: bool) -> pd.DataFrame:
    """What was logged in the quarter, and the issues logged before it that are still open."""
    q = select(LogEntry).where(LogEntry.at <= end, or_(
        LogEntry.at >= start, (LogEntry.kind == "issue") & (LogEntry.status == "open"),
    )).order_by(LogEntry.at)  # fmt: skip
    if public:
        q = q.where(LogEntry.public)
    return pd.DataFrame([{"at": e.at, "kind": e.kind, "title": e.title, "owner": e.owner or "",
                          "status": e.status} for e in s.scalars(q)],
                        columns=["at", "kind", "title", "owner", "status"])  # fmt: skip


def sna_headlines(folder: Path | None, start: date, end: date) -> dict[str, Any]:
    """From an SNA analysis folder (``vrukit analyse``'s ``monthly.csv`` and ``summary.json``):
    the quarter's recorded crimes against the same quarter a year before, and the headline
    figures; empty without a folder."""
    if folder is None:
        return {}
    monthly, summary = Path(folder) / "monthly.csv", Path(folder) / "summary.json"
    if not monthly.exists() or not summary.exists():
        raise ConfigError(f"--sna {folder}: expected the analysis folder of `vrukit analyse` "
                          "(monthly.csv and summary.json)")  # fmt: skip
    m = pd.read_csv(monthly, dtype={"month": str})
    months = {f"{d.year}-{d.month:02d}" for d in pd.date_range(start, end, freq="MS")}
    year_ago = {f"{int(x[:4]) - 1}{x[4:]}" for x in months}
    now = m[m.month.isin(months)]["count"]
    then = m[m.month.isin(year_ago)]["count"]
    head = json.loads(summary.read_text(encoding="utf-8"))["summary"]
    out = {"hot_spots": head.get("hot_spots"), "rate_per_1000": head.get("rate_per_1000"),
           "crimes": head.get("crimes")}  # fmt: skip
    if len(now) == 3:
        out["quarter_count"] = int(now.sum())
    if len(now) == 3 and len(then) == 3:
        out["year_before"] = int(then.sum())
    return out


def collect(
    s: Session, quarter: str, *, sna: Path | None = None, public: bool = False,
    as_of: date | None = None, today: date | None = None,
) -> PackData:  # fmt: skip
    """A quarter's board pack from the store (``public``: the parts marked public only). A
    quarter that has not ended by ``today`` (when given) is refused: its pack would report
    returns not yet due as missing."""
    start, end = quarter_dates(quarter)
    if today is not None and end >= today:
        raise ConfigError(f"{quarter} has not ended yet (it ends on {end}): its board pack "
                          "can be made from the day after")  # fmt: skip
    as_of = as_of or end + timedelta(days=DUE_DAYS + 15)
    year = [q for q in financial_year(quarter) if q <= quarter]
    spend = pd.DataFrame([as_dict(line, quarter) for line in spend_by_intervention(s, quarter)],
                         columns=["intervention", "strand", "allocation", "forecast",
                                  "actual", "underspent"])  # fmt: skip
    status = return_status(s, year, as_of)
    trained = s.scalar(select(func.count()).select_from(TrainingRecord).where(
        TrainingRecord.trained_on >= start, TrainingRecord.trained_on <= end)) or 0  # fmt: skip
    return PackData(
        quarter=quarter, start=start, end=end, as_of=as_of,
        plan=_plan(s, start, end), risks=pd.DataFrame() if public else _risks(s, start, end),
        spend=spend, compliance=status, reach=_reach(s, quarter),
        rounds=_rounds(s, start, end), evaluation=_evaluation(s),
        log=_log(s, start, end, public), sna=sna_headlines(sna, start, end),
        training_reach=int(trained), training=_training(s, quarter),
        partnerships=pd.DataFrame() if public else _partnerships(s, quarter, start, end),
    )  # fmt: skip


def _training(s: Session, quarter: str) -> pd.DataFrame:
    """The quarter's rows of the training reach by sector (sessions, attendees, people they
    reach, the share of statements improved), then the quarter's total (``sector`` "all"; a
    session with attendees from two sectors counts once there)."""
    sessions, reach = training_tier(s)
    rows = reach[reach.quarter == quarter].drop(columns="quarter").reset_index(drop=True)
    if rows.empty:
        return rows
    mine = sessions[sessions.quarter == quarter]
    answers = int(rows.answers.sum())
    improved = float((rows.improved_share.fillna(0) * rows.answers).sum())
    total = {"sector": "all", "sessions": len(mine), "attendees": int(mine.attendees.sum()),
             "reached": int(mine.reached.sum()), "answers": answers,
             "improved_share": improved / answers if answers else float("nan")}  # fmt: skip
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def _partnerships(s: Session, quarter: str, start: date, end: date) -> pd.DataFrame:
    """Per board and network: members (organisations and people) at the quarter's end, its
    meetings and decisions in the quarter, the actions those meetings set, and the actions
    still open at the quarter's end that were due by then."""
    rows = []
    for b in s.scalars(select(Board).order_by(Board.name)):
        size = network_size(s, b, [quarter]).iloc[0]
        held = Meeting.held_on.between(start, end)
        meetings = s.scalars(select(Meeting).where(Meeting.board_id == b.id, held)).all()
        still_open = or_(MeetingAction.closed_on.is_(None), MeetingAction.closed_on > end)
        overdue = s.scalar(select(func.count()).select_from(MeetingAction).join(Meeting).where(
            Meeting.board_id == b.id, MeetingAction.due < end, still_open)) or 0  # fmt: skip
        rows.append({"board": b.name, "kind": b.kind,
                     "members": int(size.organisations + size.people),
                     "reached": None if pd.isna(size.reached) else int(size.reached),
                     "meetings": len(meetings),
                     "decisions": sum(len(m.decisions) for m in meetings),
                     "actions": sum(len(m.actions) for m in meetings),
                     "overdue": int(overdue)})  # fmt: skip
    return pd.DataFrame(rows, columns=["board", "kind", "members", "reached", "meetings",
                                       "decisions", "actions", "overdue"])  # fmt: skip


def previous(quarter: str) -> str:
    return quarters_to(quarter, 2)[0]
