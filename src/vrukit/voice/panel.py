"""The youth panel register: members with consent (a parent's or carer's under 16), sessions
and attendance."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.voice.models import (
    CONSENT_BY,
    YouthPanelAttendance,
    YouthPanelMember,
    YouthPanelSession,
)

__all__ = ["add_member", "add_session", "attendance"]


def add_member(
    s: Session, *, name: str, age: int, consent_by: str, consent_on: date, joined: date,
    place_id: int | None = None,
) -> YouthPanelMember:  # fmt: skip
    """Add a member; ConfigError when consent is missing or not the right person's."""
    if not name.strip():
        raise ConfigError("Name: a first name or the name they choose")
    if not 8 <= age <= 30:
        raise ConfigError(f"Age {age}: panel members are 8 to 30")
    if consent_by not in CONSENT_BY:
        raise ConfigError(f"Consent given by {consent_by!r}: one of {', '.join(CONSENT_BY)}")
    if age < 16 and consent_by != "parent or carer":
        raise ConfigError("Under 16: a parent's or carer's consent is needed to join the panel")
    if consent_on > joined:
        raise ConfigError("Consent must be given on or before the day they join")
    m = YouthPanelMember(name=name.strip()[:100], age_on_joining=age, consent_by=consent_by,
                    consent_on=consent_on, joined=joined, place_id=place_id)  # fmt: skip
    s.add(m)
    s.flush()
    return m


def add_session(s: Session, held_on: date, topic: str, present: list[int]) -> YouthPanelSession:
    """A panel session and who attended (members on the panel that day)."""
    if not topic.strip():
        raise ConfigError("Topic: say what the session was about")
    members = {
        m.id: m for m in s.scalars(select(YouthPanelMember).where(YouthPanelMember.id.in_(present)))
    }
    for mid in present:
        m = members.get(mid)
        if m is None or m.joined > held_on or (m.left_on is not None and m.left_on <= held_on):
            raise ConfigError(f"Attendance: member {mid} was not on the panel on {held_on}")
    session = YouthPanelSession(held_on=held_on, topic=topic.strip()[:200])
    session.attendance = [YouthPanelAttendance(member_id=mid) for mid in dict.fromkeys(present)]
    s.add(session)
    s.flush()
    return session


def attendance(s: Session) -> pd.DataFrame:
    """Per member: sessions held while on the panel, sessions attended, and the share."""
    sessions = s.scalars(select(YouthPanelSession)).all()
    rows = []
    for m in s.scalars(
        select(YouthPanelMember).order_by(YouthPanelMember.joined, YouthPanelMember.id)
    ):
        held = [x for x in sessions if m.joined <= x.held_on
                and (m.left_on is None or x.held_on < m.left_on)]  # fmt: skip
        went = sum(any(a.member_id == m.id for a in x.attendance) for x in held)
        rows.append({"member": m.id, "name": m.name, "sessions": len(held), "attended": went,
                     "share": went / len(held) if held else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["member", "name", "sessions", "attended", "share"])
