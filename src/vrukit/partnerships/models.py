"""The partnerships' tables: what a board or network does between its members.

A board or network (``vrukit.programme.models.Board``) **meets**: each meeting keeps who
attended (each member organisation present, sending apologies or absent), its **papers**
(a title and a link), the **decisions** it took and the **actions** it agreed, each with an owner
(a portal user, so it appears on their home page), a deadline and a status. A network reports the
**people it reached** each quarter; the community champions' network has **people** as members
(a name kept for the VRU alone, never published) where other networks have organisations.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from vrukit.directory.models import safe_link
from vrukit.programme.models import Base, one_of

__all__ = [
    "ACTION_STATES",
    "ATTENDANCE",
    "Decision",
    "Meeting",
    "MeetingAction",
    "MeetingAttendance",
    "MeetingPaper",
    "NetworkPerson",
    "NetworkReach",
]

#: How a member organisation was at a meeting.
ATTENDANCE = ("present", "apologies", "absent")
#: An agreed action's state: open until done or dropped (with the day it closed).
ACTION_STATES = ("open", "done", "dropped")


class Meeting(Base):
    """One meeting of a board or network."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("board_id", "held_on", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    attendance: Mapped[list[MeetingAttendance]] = relationship(cascade="all, delete-orphan")
    papers: Mapped[list[MeetingPaper]] = relationship(cascade="all, delete-orphan",
                                                      order_by="MeetingPaper.id")  # fmt: skip
    decisions: Mapped[list[Decision]] = relationship(cascade="all, delete-orphan",
                                                     order_by="Decision.id")  # fmt: skip
    actions: Mapped[list[MeetingAction]] = relationship(cascade="all, delete-orphan",
                                                        order_by="MeetingAction.id")  # fmt: skip


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"
    __table_args__ = (CheckConstraint(one_of("status", ATTENDANCE), name="status"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))


class MeetingPaper(Base):
    """A paper for a meeting: its title and where it is kept (http, https or none)."""

    __tablename__ = "meeting_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))

    @validates("url")
    def _url(self, key: str, value: str | None) -> str | None:
        return safe_link("Link", value)


class Decision(Base):
    __tablename__ = "meeting_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    text: Mapped[str] = mapped_column(Text)


class MeetingAction(Base):
    """An action a meeting agreed: what, whose, by when, and where it stands."""

    __tablename__ = "meeting_action"
    __table_args__ = (
        CheckConstraint(one_of("status", ACTION_STATES), name="status"),
        CheckConstraint("(status = 'open') = (closed_on IS NULL)", name="closed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_decision.id"))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)


class NetworkPerson(Base):
    """A person who is a member in their own right (a community champion, a faith leader): a
    name for the VRU's own use, the area they champion, and when they joined and left."""

    __tablename__ = "network_person"
    __table_args__ = (CheckConstraint("left_on IS NULL OR left_on >= joined", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    joined: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class NetworkReach(Base):
    """The people a network's members reached in a quarter (``YYYY-Qn``), as it reported."""

    __tablename__ = "network_reach"
    __table_args__ = (
        CheckConstraint("people >= 0", name="people"),
        CheckConstraint("activities IS NULL OR activities >= 0", name="activities"),
    )

    board_id: Mapped[int] = mapped_column(ForeignKey("board.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
    activities: Mapped[int | None] = mapped_column(Integer)
