"""Boards and networks in the portal: members (organisations, and people for the community
champions), meetings with attendance, papers, decisions and actions, the actions' progress, the
people each network reaches and its size over time.

The VRU's staff read every board; a provider reads the boards its organisation sits on; admins
and commissioners change them. An action's owner (any role but a panel member) may mark it done
or dropped, and sees it on their home page until then."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.commissioning.governance import quarter_of, quarters_to
from vrukit.errors import ConfigError
from vrukit.partnerships.meetings import (
    ActionPlan,
    MeetingRecord,
    active_members,
    add_member,
    attendance_rates,
    check_network_type,
    network_size,
    record_meeting,
    record_reach,
    set_action_status,
)
from vrukit.partnerships.models import (
    ACTION_STATES,
    ATTENDANCE,
    Meeting,
    MeetingAction,
    NetworkPerson,
)
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import NETWORK_TYPES, Board, BoardMember, Organisation, Place, User
from vrukit.web.portal.lang import t
from vrukit.web.portal.registry import _value
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import EDITORS, STAFF, Csrf, Db, Me, Posted, need_role, render
from vrukit.web.portal.web import whole_number as _whole

__all__ = ["MEETING_ACTIONS", "MEETING_PAPERS", "ROUTES", "router"]

router = APIRouter()
#: Rows the meeting form offers for papers and for actions.
MEETING_PAPERS, MEETING_ACTIONS = 3, 6


def _today(request: Request) -> date:
    today = request.app.state.today
    return today() if today else date.today()


def _now(request: Request) -> datetime:
    now = request.app.state.now
    return now() if now else datetime.now()


def _mine(me: User) -> Any:
    """The boards ``me`` may read: every one for the VRU's staff, else those their organisation
    is a member of now (one that has left reads them no more)."""
    if me.role in STAFF:
        return True
    member = select(BoardMember.board_id).where(
        BoardMember.organisation_id == me.organisation_id,
        BoardMember.left_on.is_(None) | (BoardMember.left_on > date.today()))  # fmt: skip
    return Board.id.in_(member)


def _board(s: Session, me: User, bid: int) -> Board:
    need_role(me, (*STAFF, "provider"), t("read the partnerships' boards"))
    b = s.scalars(select(Board).where(Board.id == bid, _mine(me))).first()
    if b is None:
        raise HTTPException(404, t("no such board or network"))
    return b


def _editable(s: Session, me: User, bid: int) -> Board:
    b = _board(s, me, bid)
    need_role(me, EDITORS, t("change a board or network"))
    lock_row(s, b)
    return b


def _day(form: Any, name: str, label: str, default: date | None = None) -> date:
    text = str(form.get(name, "")).strip()
    if not text and default is not None:
        return default
    day = _value("date", label, text, ())
    if day is None:
        raise HTTPException(422, t("%(label)s: give a date (YYYY-MM-DD)", label=label))
    return day


def _refused(e: ConfigError) -> HTTPException:
    return HTTPException(422, str(e))


@router.get("/boards", response_class=HTMLResponse)
def boards(request: Request, s: Db, me: Me) -> HTMLResponse:
    need_role(me, (*STAFF, "provider"), t("read the partnerships' boards"))
    today = _today(request)
    rows = []
    for b in s.scalars(select(Board).where(_mine(me)).order_by(Board.name)):
        last = s.scalars(select(Meeting).where(Meeting.board_id == b.id)
                         .order_by(Meeting.held_on.desc())).first()  # fmt: skip
        people = s.scalars(select(NetworkPerson).where(NetworkPerson.board_id == b.id)).all()
        now_in = sum(p.left_on is None or p.left_on > today for p in people)
        rows.append({"board": b, "organisations": len(active_members(b, today)), "last": last,
                     "people": now_in})  # fmt: skip
    return render(request, "boards.html", user=me, rows=rows, types=NETWORK_TYPES,
                  places=s.scalars(select(Place).order_by(Place.name)).all(),
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/boards", dependencies=[Csrf])
def add_board(request: Request, s: Db, me: Me, form: Posted) -> Response:
    need_role(me, EDITORS, t("add a board or network"))
    name = _text(form, "name", t("Name"))
    kind = str(form.get("kind", ""))
    if kind not in ("board", "network"):
        raise HTTPException(422, t("Kind: board or network"))
    place = _whole(form.get("place", ""))
    if place is not None and s.get(Place, place) is None:
        raise HTTPException(422, t("Place: choose one from the list"))
    if s.scalars(select(Board.id).where(Board.name == name)).first() is not None:
        raise HTTPException(422, t("%(name)s is already a board or network", name=repr(name)))
    try:
        kind_of = check_network_type(str(form.get("network_type", "")))
    except ConfigError as e:
        raise _refused(e) from None
    b = Board(name=name, kind=kind, place_id=place, network_type=kind_of)
    s.add(b)
    s.flush()
    audit(s, me, "create", "board", str(b.id), None, {"name": name, "kind": kind})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


@router.get("/boards/{bid}", response_class=HTMLResponse)
def board_page(request: Request, s: Db, me: Me, bid: int) -> HTMLResponse:
    b = _board(s, me, bid)
    today = _today(request)
    meetings = s.scalars(select(Meeting).where(Meeting.board_id == b.id)
                         .order_by(Meeting.held_on.desc())).all()  # fmt: skip
    names = dict(s.execute(select(Organisation.id, Organisation.name)).all())
    size = network_size(s, b, quarters_to(quarter_of(today), 8))
    editors = me.role in EDITORS
    return render(
        request, "board.html", user=me, board=b, today=today, names=names, meetings=meetings,
        members=sorted(b.members, key=lambda m: names.get(m.organisation_id, "")),
        people=s.scalars(select(NetworkPerson).where(NetworkPerson.board_id == b.id)
                         .order_by(NetworkPerson.joined, NetworkPerson.id)).all() if editors
        else [],
        size=size.to_dict("records"), attendance=attendance_rates(meetings, names)
        .to_dict("records"), active=active_members(b, today), can_edit=editors,
        organisations=s.scalars(select(Organisation).order_by(Organisation.name)).all(),
        users=s.scalars(select(User).where(User.active.is_(True), User.role != "panel")
                        .order_by(User.email)).all() if editors else [],
        attendance_states=ATTENDANCE, papers=range(MEETING_PAPERS),
        action_rows=range(MEETING_ACTIONS), quarter=quarter_of(today),
    )  # fmt: skip


@router.post("/boards/{bid}/members", dependencies=[Csrf])
def add_board_member(request: Request, s: Db, me: Me, bid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    org = s.get(Organisation, _whole(form.get("organisation", "")) or 0)
    if org is None:
        raise HTTPException(422, t("Organisation: choose one from the list"))
    role = _text(form, "role", t("Role"), required=False, most=100) or None
    try:
        add_member(s, b, org, role, _day(form, "joined", t("Joined"), _today(request)))
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "create", "board_member", f"{b.id}:{org.id}", None, {"role": role})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


@router.post("/boards/{bid}/members/{oid}/leave", dependencies=[Csrf])
def member_leaves(request: Request, s: Db, me: Me, bid: int, oid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    member = s.get(BoardMember, (b.id, oid))
    if member is None or member.left_on is not None:
        raise HTTPException(404, t("no such current member"))
    left = _day(form, "left", t("Left"), _today(request))
    if member.joined is not None and left < member.joined:
        raise HTTPException(422, t("Left: %(left)s is before it joined", left=left.isoformat()))
    member.left_on = left
    audit(s, me, "update", "board_member", f"{b.id}:{oid}", None, {"left_on": left.isoformat()})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


@router.post("/boards/{bid}/people", dependencies=[Csrf])
def add_person(request: Request, s: Db, me: Me, bid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    place = _whole(form.get("place", ""))
    if place is not None and s.get(Place, place) is None:
        raise HTTPException(422, t("Place: choose one from the list"))
    p = NetworkPerson(board_id=b.id, name=_text(form, "name", t("Name")), place_id=place,
                      role=_text(form, "role", t("Role"), required=False, most=100) or None,
                      joined=_day(form, "joined", t("Joined"), _today(request)))  # fmt: skip
    s.add(p)
    s.flush()
    audit(s, me, "create", "network_person", str(p.id), None, {"board": b.id})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


@router.post("/boards/{bid}/people/{pid}/leave", dependencies=[Csrf])
def person_leaves(request: Request, s: Db, me: Me, bid: int, pid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    p = s.get(NetworkPerson, pid)
    if p is None or p.board_id != b.id or p.left_on is not None:
        raise HTTPException(404, t("no such current member"))
    left = _day(form, "left", t("Left"), _today(request))
    if left < p.joined:
        raise HTTPException(422, t("Left: %(left)s is before they joined", left=left.isoformat()))
    p.left_on = left
    audit(s, me, "update", "network_person", str(pid), None, {"left_on": left.isoformat()})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


@router.post("/boards/{bid}/reach", dependencies=[Csrf])
def add_reach(request: Request, s: Db, me: Me, bid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    people = _whole(form.get("people", ""))
    text = str(form.get("activities", "")).strip()
    activities = _whole(text) if text else None
    if people is None or (text and activities is None):
        raise HTTPException(422, t("People reached and activities: whole numbers, 0 or more"))
    period = str(form.get("period", "")).strip()
    try:
        record_reach(s, b, period, people, activities)
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "update", "network_reach", f"{b.id}:{period}", None, {"people": people})
    return RedirectResponse(f"/boards/{b.id}", status_code=303)


def _actions(s: Session, form: Any) -> list[ActionPlan]:
    plans = []
    for i in range(MEETING_ACTIONS):
        text = str(form.get(f"action_{i}", "")).strip()
        if not text:
            continue
        owner = _whole(form.get(f"owner_{i}", ""))
        user = s.get(User, owner) if owner is not None else None
        if user is None or user.role == "panel" or not user.active:
            raise HTTPException(422, t("Action %(n)s: choose its owner from the list", n=i + 1))
        decision = _whole(form.get(f"decision_{i}", ""), 100)
        due = _day(form, f"due_{i}", t("Action %(n)s due", n=i + 1))
        plans.append(ActionPlan(text[:2000], user.id, due, decision - 1 if decision else None))
    return plans


def _meeting(s: Session, b: Board, form: Any) -> MeetingRecord:
    held = _day(form, "held_on", t("Held on"))
    attendance = {m.organisation_id: str(form.get(f"attended_{m.organisation_id}", "absent"))
                  for m in active_members(b, held)}  # fmt: skip
    papers = [(_text(form, f"paper_{i}", t("Paper"), required=False),
               str(form.get(f"paper_url_{i}", "")).strip()[:500] or None)
              for i in range(MEETING_PAPERS)]  # fmt: skip
    decisions = [line.strip()[:2000] for line in str(form.get("decisions", ""))[:20_000]
                 .splitlines() if line.strip()]  # fmt: skip
    return MeetingRecord(held, _text(form, "title", t("Title")), attendance, papers, decisions,
                         _actions(s, form),
                         _text(form, "notes", t("Notes"), required=False, most=5000))  # fmt: skip


@router.post("/boards/{bid}/meetings", dependencies=[Csrf])
def add_meeting(request: Request, s: Db, me: Me, bid: int, form: Posted) -> Response:
    b = _editable(s, me, bid)
    try:
        m = record_meeting(s, b, _meeting(s, b, form), me.id)
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "create", "meeting", str(m.id), None,
          {"board": b.id, "held_on": m.held_on.isoformat(), "actions": len(m.actions)})  # fmt: skip
    return RedirectResponse(f"/meetings/{m.id}", status_code=303)


@router.get("/meetings/{mid}", response_class=HTMLResponse)
def meeting_page(request: Request, s: Db, me: Me, mid: int) -> HTMLResponse:
    m = s.get(Meeting, mid)
    if m is None:
        raise HTTPException(404, t("no such meeting"))
    # an action's owner reads the meeting that gave it, on the board or not
    owns = me.role != "panel" and any(a.owner_id == me.id for a in m.actions)
    b = s.get(Board, m.board_id) if owns else _board(s, me, m.board_id)
    assert b is not None
    names = dict(s.execute(select(Organisation.id, Organisation.name)).all())
    owners = dict(s.execute(select(User.id, User.email)).all())
    return render(request, "meeting.html", user=me, meeting=m, board=b, names=names,
                  owners=owners, states=ACTION_STATES, today=_today(request),
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/meeting-actions/{aid}/status", dependencies=[Csrf])
def action_status(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = s.get(MeetingAction, aid)
    if a is None or (a.owner_id != me.id and me.role not in STAFF):
        raise HTTPException(404, t("no such action"))
    if a.owner_id != me.id and me.role not in EDITORS:
        raise HTTPException(
            403, t("only its owner, an admin or a commissioner may change an action")
        )
    lock_row(s, a)
    before = a.status
    try:
        set_action_status(a, str(form.get("status", "")), _today(request),
                          _text(form, "note", t("Note"), required=False, most=2000),
                          _now(request))  # fmt: skip
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "update", "meeting_action", str(aid), {"status": before}, {"status": a.status})
    back = str(form.get("back", ""))
    return RedirectResponse("/" if back == "home" else f"/meetings/{a.meeting_id}",
                            status_code=303)  # fmt: skip


ROUTES = (
    ("GET", "/boards"), ("POST", "/boards"), ("GET", "/boards/{bid}"),
    ("POST", "/boards/{bid}/members"), ("POST", "/boards/{bid}/members/{oid}/leave"),
    ("POST", "/boards/{bid}/people"), ("POST", "/boards/{bid}/people/{pid}/leave"),
    ("POST", "/boards/{bid}/reach"),
    ("POST", "/boards/{bid}/meetings"), ("GET", "/meetings/{mid}"),
    ("POST", "/meeting-actions/{aid}/status"),
)  # fmt: skip
