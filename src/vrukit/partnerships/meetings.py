"""Recording what boards and networks do: meetings (attendance, papers, decisions, actions),
the actions' progress, the people a network reaches and its size over time.

Every function checks what it is given and raises ``ConfigError`` naming the field and value
(the portal shows it; the store is left as it was), so a meeting is recorded whole or not at
all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError, t
from vrukit.ingest.periods import quarter_end
from vrukit.partnerships.models import (
    ACTION_STATES,
    ATTENDANCE,
    Decision,
    Meeting,
    MeetingAction,
    MeetingAttendance,
    MeetingPaper,
    NetworkPerson,
    NetworkReach,
)
from vrukit.programme.models import NETWORK_TYPES, Board, BoardMember, Organisation, User

__all__ = [
    "ActionPlan",
    "MeetingRecord",
    "active_members",
    "add_member",
    "attendance_rates",
    "check_network_type",
    "network_size",
    "open_actions",
    "record_meeting",
    "record_reach",
    "set_action_status",
]


@dataclass
class ActionPlan:
    """An action agreed at a meeting: what, whose (a user id), by when, and which of the
    meeting's decisions it follows (its position in ``MeetingRecord.decisions``), if any."""

    text: str
    owner_id: int
    due: date
    decision: int | None = None


@dataclass
class MeetingRecord:
    """A meeting as it is recorded: its date and title, each member organisation's attendance
    (organisation id to ``ATTENDANCE``; members not named were absent), papers as (title, link),
    decisions and actions."""

    held_on: date
    title: str
    attendance: dict[int, str] = field(default_factory=dict)
    papers: list[tuple[str, str | None]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    actions: list[ActionPlan] = field(default_factory=list)
    notes: str | None = None


def active_members(board: Board, on: date) -> list[BoardMember]:
    """The member organisations of ``board`` on the day ``on`` (joined by then, not yet left;
    a member with no dates counts from the start)."""
    return [m for m in board.members if (m.joined is None or m.joined <= on)
            and (m.left_on is None or m.left_on > on)]  # fmt: skip


def add_member(
    s: Session, board: Board, organisation: Organisation, role: str | None, joined: date
) -> BoardMember:
    """Make ``organisation`` a member of ``board`` from ``joined`` (or again, if it had left)."""
    member = s.get(BoardMember, (board.id, organisation.id))
    if member is not None and member.left_on is None:
        raise ConfigError(
            t("%(name)s is already a member of %(name2)s", name=organisation.name, name2=board.name)
        )
    if member is None:
        member = BoardMember(board_id=board.id, organisation_id=organisation.id)
        board.members.append(member)
    member.role, member.joined, member.left_on = role, joined, None
    s.flush()
    return member


def _owners(s: Session, plans: Sequence[ActionPlan]) -> None:
    wanted = {p.owner_id for p in plans}
    found = set(s.scalars(select(User.id).where(User.id.in_(wanted), User.active.is_(True))))
    if wanted - found:
        raise ConfigError(
            t("Owner: no active portal user with id %(min)s", min=min(wanted - found))
        )


def _check_action(plan: ActionPlan, record: MeetingRecord) -> None:
    if not plan.text.strip():
        raise ConfigError(t("Action: say what is to be done"))
    if plan.due < record.held_on:
        raise ConfigError(
            t(
                "Action %(text)s: due %(due)s is before the meeting",
                text=repr(plan.text[:60]),
                due=format(plan.due, "%Y-%m-%d"),
            )
        )
    if plan.decision is not None and not 0 <= plan.decision < len(record.decisions):
        raise ConfigError(
            t("Action %(text)s: no decision %(n)s", text=repr(plan.text[:60]), n=plan.decision + 1)
        )


def _check(s: Session, board: Board, record: MeetingRecord) -> None:
    if not record.title.strip():
        raise ConfigError(t("Title: give the meeting a title, e.g. 'Quarterly board'"))
    untitled = [u for title, u in record.papers if u and not title.strip()]
    if untitled:
        raise ConfigError(
            t("Paper: give a title to the paper at %(untitled)s", untitled=untitled[0][:80])
        )
    members = {m.organisation_id for m in active_members(board, record.held_on)}
    for org, status in record.attendance.items():
        if status not in ATTENDANCE:
            raise ConfigError(
                t(
                    "Attendance %(status)s: one of %(choices)s",
                    status=repr(status),
                    choices=", ".join(ATTENDANCE),
                )
            )
        if org not in members:
            raise ConfigError(
                t(
                    "Attendance: organisation %(org)s was not a member of %(name)s on %(held_on)s",
                    org=org,
                    name=board.name,
                    held_on=format(record.held_on, "%Y-%m-%d"),
                )
            )
    for plan in record.actions:
        _check_action(plan, record)
    _owners(s, record.actions)
    same = select(Meeting.id).where(Meeting.board_id == board.id,
                                    Meeting.held_on == record.held_on,
                                    Meeting.title == record.title.strip())  # fmt: skip
    if s.scalars(same).first() is not None:
        raise ConfigError(
            t(
                "%(name)s already has a meeting %(title)s on %(held_on)s",
                name=board.name,
                title=repr(record.title),
                held_on=format(record.held_on, "%Y-%m-%d"),
            )
        )


def record_meeting(s: Session, board: Board, record: MeetingRecord, by: int | None) -> Meeting:
    """Add a meeting of ``board`` with its attendance, papers, decisions and actions."""
    _check(s, board, record)
    m = Meeting(board_id=board.id, held_on=record.held_on, title=record.title.strip(),
                notes=(record.notes or "").strip() or None, recorded_by=by)  # fmt: skip
    for member in active_members(board, record.held_on):
        status = record.attendance.get(member.organisation_id, "absent")
        m.attendance.append(MeetingAttendance(organisation_id=member.organisation_id,
                                              status=status))  # fmt: skip
    m.papers = [MeetingPaper(title=t.strip(), url=u) for t, u in record.papers if t.strip()]
    m.decisions = [Decision(text=d.strip()) for d in record.decisions if d.strip()]
    s.add(m)
    s.flush()
    for plan in record.actions:
        decision = m.decisions[plan.decision].id if plan.decision is not None else None
        m.actions.append(MeetingAction(text=plan.text.strip(), owner_id=plan.owner_id, due=plan.due,
                                       decision_id=decision, status="open"))  # fmt: skip
    s.flush()
    return m


def set_action_status(
    action: MeetingAction, status: str, today: date, note: str | None, now: datetime
) -> None:
    """Move an action to ``status`` (``ACTION_STATES``): done or dropped close it today, open
    opens it again."""
    if status not in ACTION_STATES:
        raise ConfigError(
            t(
                "Status %(status)s: one of %(choices)s",
                status=repr(status),
                choices=", ".join(ACTION_STATES),
            )
        )
    action.status = status
    action.closed_on = None if status == "open" else today
    action.note = (note or "").strip() or action.note
    action.changed_at = now


def open_actions(s: Session, owner_id: int) -> list[MeetingAction]:
    """The open actions ``owner_id`` owns, soonest due first."""
    q = select(MeetingAction).where(MeetingAction.owner_id == owner_id,
                                    MeetingAction.status == "open")  # fmt: skip
    return list(s.scalars(q.order_by(MeetingAction.due, MeetingAction.id)))


def record_reach(
    s: Session, board: Board, period: str, people: int, activities: int | None
) -> None:
    """The people ``board``'s network reached in quarter ``period`` (replacing an earlier
    figure for the same quarter)."""
    period = period.strip()
    quarter_end(period)  # ConfigError for anything but YYYY-Qn (1900-2099)
    if people < 0 or (activities is not None and activities < 0):
        raise ConfigError(t("People reached and activities are counts: 0 or more"))
    row = s.get(NetworkReach, (board.id, period))
    if row is None:
        s.add(NetworkReach(board_id=board.id, period=period, people=people, activities=activities))
    else:
        row.people, row.activities = people, activities
    s.flush()


def network_size(s: Session, board: Board, periods: Iterable[str]) -> pd.DataFrame:
    """For each quarter: member organisations and member people at its end, and the people the
    network reported reaching in it (None where it did not report)."""
    people = s.scalars(select(NetworkPerson).where(NetworkPerson.board_id == board.id)).all()
    mine = select(NetworkReach).where(NetworkReach.board_id == board.id)
    reach = {r.period: r for r in s.scalars(mine)}
    rows = []
    for period in periods:
        end = quarter_end(period)
        alive = [p for p in people if p.joined <= end and (p.left_on is None or p.left_on > end)]
        r = reach.get(period)
        rows.append({"period": period, "organisations": len(active_members(board, end)),
                     "people": len(alive), "reached": r.people if r else None,
                     "activities": r.activities if r else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["period", "organisations", "people", "reached",
                                       "activities"])  # fmt: skip


def attendance_rates(meetings: Sequence[Meeting], names: dict[int, str]) -> pd.DataFrame:
    """Per member organisation: meetings it was expected at, present, apologies, and the share
    present (of those expected), best attender first."""
    rows: dict[int, dict[str, int]] = {}
    for m in meetings:
        for a in m.attendance:
            row = rows.setdefault(a.organisation_id, dict.fromkeys(ATTENDANCE, 0))
            row[a.status] += 1
    out = pd.DataFrame([{"organisation": names.get(org, str(org)), "expected": sum(c.values()),
                         **c} for org, c in rows.items()],
                       columns=["organisation", "expected", *ATTENDANCE])  # fmt: skip
    out["share_present"] = (out["present"] / out["expected"]).round(3) if len(out) else []
    return out.sort_values(["share_present", "organisation"], ascending=[False, True],
                           ignore_index=True)  # fmt: skip


def check_network_type(value: str | None) -> str | None:
    """``value`` if it is one of ``NETWORK_TYPES`` (or empty), else ConfigError."""
    if value in (None, ""):
        return None
    if value not in NETWORK_TYPES:
        raise ConfigError(
            t(
                "Type %(value)s: one of %(choices)s",
                value=repr(value),
                choices=", ".join(NETWORK_TYPES),
            )
        )
    return value
