"""Loading boards' and networks' records from data (``partnerships.json``, as the demo writes it
and as a VRU may keep its partnership records): each board or network (made if the store lacks
it), its member organisations with joining dates (organisations the store lacks are added as
partners), its member people, meetings with attendance, papers, decisions and actions (owners
by e-mail; ``done_on`` closes an action), and the people reached per quarter.

All or nothing: the first problem raises ``ConfigError`` naming the board, meeting and field.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.partnerships.meetings import (
    ActionPlan,
    MeetingRecord,
    add_member,
    check_network_type,
    record_meeting,
    record_reach,
    set_action_status,
)
from vrukit.partnerships.models import Meeting, NetworkPerson
from vrukit.programme.models import Board, BoardMember, Organisation, Place, User

__all__ = ["load_partnerships"]


def _day(where: str, value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date YYYY-MM-DD") from None


def _board(s: Session, b: dict[str, Any]) -> Board:
    board = s.scalars(select(Board).where(Board.name == b["name"])).first()
    if board is None:
        place = None
        if b.get("place"):
            place = s.scalars(select(Place).where(Place.name == b["place"])).first()
            if place is None:
                raise ConfigError(f"{b['name']}: no place {b['place']!r}")
        if b.get("kind") not in ("board", "network"):
            raise ConfigError(f"{b['name']}: kind {b.get('kind')!r} is not board or network")
        board = Board(name=b["name"], kind=b["kind"], place_id=place.id if place else None)
        s.add(board)
        s.flush()
    board.network_type = check_network_type(b.get("network_type"))
    return board


def _members(s: Session, board: Board, b: dict[str, Any]) -> None:
    for m in b.get("members", []):
        org = s.scalars(select(Organisation).where(Organisation.name == m["organisation"])).first()
        if org is None:
            org = Organisation(name=m["organisation"], kind="partner")
            s.add(org)
            s.flush()
        joined = _day(f"{board.name}: {org.name} joined", m["joined"])
        if s.get(BoardMember, (board.id, org.id)) is None:
            add_member(s, board, org, m.get("role"), joined)
    have = {
        (p.name, p.joined)
        for p in s.scalars(select(NetworkPerson).where(NetworkPerson.board_id == board.id))
    }
    for p in b.get("people", []):
        joined = _day(f"{board.name}: {p['name']} joined", p["joined"])
        if (p["name"], joined) not in have:  # loading the same file again adds no one twice
            s.add(NetworkPerson(board_id=board.id, name=p["name"], role=p.get("role"),
                                joined=joined))  # fmt: skip


def _owner(s: Session, where: str, email: str) -> int:
    uid = s.scalars(select(User.id).where(User.email == email)).first()
    if uid is None:
        raise ConfigError(f"{where}: no portal user {email!r} to own the action")
    return uid


def _meeting(s: Session, board: Board, m: dict[str, Any]) -> bool:
    """Add one meeting (False: it is in the store already, as when a file is loaded again)."""
    where = f"{board.name}, meeting {m.get('title')!r}"
    same = select(Meeting.id).where(Meeting.board_id == board.id,
                                    Meeting.held_on == _day(where, m["held_on"]),
                                    Meeting.title == str(m["title"]).strip())  # fmt: skip
    if s.scalars(same).first() is not None:
        return False
    names = {o.name: o.id for o in s.scalars(select(Organisation))}
    unknown = [n for n in m.get("attendance", {}) if n not in names]
    if unknown:
        raise ConfigError(f"{where}: attendance names no organisation {unknown[0]!r}")
    plans = [ActionPlan(a["text"], _owner(s, where, a["owner"]), _day(where, a["due"]),
                        a["decision"] - 1 if a.get("decision") else None)
             for a in m.get("actions", [])]  # fmt: skip
    record = MeetingRecord(
        _day(where, m["held_on"]), m["title"],
        {names[n]: st for n, st in m.get("attendance", {}).items()},
        [(p["title"], p.get("url")) for p in m.get("papers", [])], list(m.get("decisions", [])),
        plans, m.get("notes"),
    )  # fmt: skip
    meeting = record_meeting(s, board, record, None)
    for action, a in zip(meeting.actions, m.get("actions", []), strict=True):
        if a.get("done_on"):
            done = _day(where, a["done_on"])
            set_action_status(action, "done", done, None, datetime.combine(done, time(17)))
    return True


def load_partnerships(s: Session, data: dict[str, Any]) -> dict[str, int]:
    """Add what ``data`` holds and the store lacks (loading it again adds nothing); how many
    boards were read, and how many meetings and actions were added."""
    counts = {"boards": 0, "meetings": 0, "actions": 0}
    for b in data.get("boards", []):
        board = _board(s, b)
        _members(s, board, b)
        for m in b.get("meetings", []):
            if _meeting(s, board, m):
                counts["meetings"] += 1
                counts["actions"] += len(m.get("actions", []))
        for r in b.get("reach", []):
            record_reach(s, board, r["period"], int(r["people"]), r.get("activities"))
        counts["boards"] += 1
    s.flush()
    return counts
