"""Young people's voice: surveys defined as data and answered anonymously, and the youth panel.

A **survey** is its definition (questions, answer types, routing, languages; checked by
``vrukit.voice.design``, which refuses questions that would identify someone) and a status. A
**response** keeps the day it was sent, the place and age band the young person chose, the
language and the answers: no name, contact, address, network address or cookie. Two small
tables keep the public link honest without tracking anyone: the **tokens used** (a hash of
each form's one-time token and the hour it was spent, so one form is counted once) and the
**throttle** (how many responses came from a keyed hash of a network address in each hour, for
a day: a count, never a row per response).

The **youth panel** register keeps each member (a first name or chosen name), their age when
they joined, consent (their own at 16 or over, a parent's or carer's under 16) and attendance at
the panel's sessions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrukit.programme.models import Base, one_of

__all__ = [
    "AGE_BANDS",
    "CONSENT_BY",
    "SURVEY_STATUSES",
    "Survey",
    "SurveyResponse",
    "SurveyThrottle",
    "SurveyTokenUsed",
    "YouthPanelAttendance",
    "YouthPanelMember",
    "YouthPanelSession",
]

SURVEY_STATUSES = ("draft", "open", "closed")
#: The age bands a respondent chooses from (results are grouped by them, never by age).
AGE_BANDS = ("under 11", "11-13", "14-15", "16-17", "18-24", "25 or over")
#: Who gave a panel member's consent: their own (16 or over) or a parent's or carer's.
CONSENT_BY = ("self", "parent or carer")


class Survey(Base):
    __tablename__ = "survey"
    __table_args__ = (CheckConstraint(one_of("status", SURVEY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public link's last part: /youth-map/have-your-say/<key>.
    key: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class SurveyResponse(Base):
    """One anonymous response: the day, the place and age band chosen, and the answers."""

    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint(one_of("age_band", AGE_BANDS), name="age_band"),
        Index("ix_survey_response_survey_day", "survey_id", "submitted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    submitted_on: Mapped[date] = mapped_column(Date)
    #: A place of the programme, or None: "somewhere else" or not said.
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    age_band: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(8))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)


class SurveyTokenUsed(Base):
    """A one-time form token already spent (its hash): the same form sent twice counts once."""

    __tablename__ = "survey_token_used"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SurveyThrottle(Base):
    """How many responses came from a network address (a keyed hash) in an hour: one row per
    address and hour, never one per response, so no row lines up with a response; kept a day."""

    __tablename__ = "survey_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class YouthPanelMember(Base):
    """A youth panel member: a first or chosen name, age on joining, and consent."""

    __tablename__ = "youth_panel_member"
    __table_args__ = (
        CheckConstraint("age_on_joining BETWEEN 8 AND 30", name="age"),
        CheckConstraint(one_of("consent_by", CONSENT_BY), name="consent_by"),
        CheckConstraint("age_on_joining >= 16 OR consent_by = 'parent or carer'", name="under_16"),
        CheckConstraint("left_on IS NULL OR left_on >= joined", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    age_on_joining: Mapped[int] = mapped_column(Integer)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    consent_by: Mapped[str] = mapped_column(String(20))
    consent_on: Mapped[date] = mapped_column(Date)
    joined: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class YouthPanelSession(Base):
    __tablename__ = "youth_panel_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))

    attendance: Mapped[list[YouthPanelAttendance]] = relationship(cascade="all, delete-orphan")


class YouthPanelAttendance(Base):
    __tablename__ = "youth_panel_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("youth_panel_session.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("youth_panel_member.id"), primary_key=True)
