"""Young people's voice in the portal: surveys (defined as JSON, checked and refused when a
question would identify someone; opened and closed; their results only through the disclosure
layer) and the youth panel register (members with consent, sessions and attendance).

The VRU's staff read them; admins and commissioners change them. Answering a survey needs no
sign-in: its public link is on the Youth Map (``vrukit.web.surveys``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import Place
from vrukit.voice.design import check_definition, in_language
from vrukit.voice.models import CONSENT_BY, Survey, YouthPanelMember
from vrukit.voice.panel import add_member, add_session, attendance
from vrukit.voice.results import (
    BREAKDOWNS,
    MIN_GROUP,
    answer_columns,
    published_respondents,
    responses,
    survey_results,
)
from vrukit.web.portal.lang import t
from vrukit.web.portal.registry import _value
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import EDITORS, STAFF, Csrf, Db, Me, Posted, need_role, render
from vrukit.web.portal.web import whole_number as _whole

__all__ = ["ROUTES", "router"]

router = APIRouter()
MOST_DEFINITION = 100_000
BY = {"+".join(b) or "all": b for b in BREAKDOWNS}


def _today(request: Request) -> date:
    today = request.app.state.today
    return today() if today else date.today()


def _day(form: Any, name: str, label: str) -> date:
    day = _value("date", label, str(form.get(name, "")), ())
    if day is None:
        raise HTTPException(422, t("%(label)s: give a date (YYYY-MM-DD)", label=label))
    return day


@router.get("/surveys", response_class=HTMLResponse)
def surveys(request: Request, s: Db, me: Me) -> HTMLResponse:
    need_role(me, STAFF, t("read the surveys"))
    # no count of responses here: an exact one, beside the results' noisy cells, would take
    # their noise away (the eighteenth probe); each survey's page gives its published total
    listed = s.scalars(select(Survey).order_by(Survey.created_at.desc())).all()
    return render(request, "surveys.html", user=me, surveys=listed,
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/surveys", dependencies=[Csrf])
def add_survey(request: Request, s: Db, me: Me, form: Posted) -> Response:
    need_role(me, EDITORS, t("design a survey"))
    text = str(form.get("definition", ""))
    if len(text) > MOST_DEFINITION:
        raise HTTPException(
            413,
            t(
                "a survey's definition is at most %(most)s characters",
                most=format(MOST_DEFINITION, ","),
            ),
        )
    try:
        definition = check_definition(json.loads(text))
    except json.JSONDecodeError as e:
        raise HTTPException(
            422,
            t(
                "The definition is not JSON: line %(lineno)s, column %(colno)s: %(msg)s",
                lineno=e.lineno,
                colno=e.colno,
                msg=e.msg,
            ),
        ) from None
    except RecursionError:  # lists nested thousands deep
        raise HTTPException(422, t("The definition is nested too deeply to be a survey")) from None
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    except (TypeError, AttributeError, KeyError, ValueError):  # a shape no check foresaw
        raise HTTPException(422, t("The definition is not in the shape a survey takes: see "
                                   "docs/voice.md for one")) from None  # fmt: skip
    if s.scalars(select(Survey.id).where(Survey.key == definition["key"])).first() is not None:
        raise HTTPException(
            422, t("key %(key)s: another survey has it", key=repr(definition["key"]))
        )
    now = request.app.state.now() if request.app.state.now else datetime.now()
    survey = Survey(key=definition["key"], title=in_language(definition["title"], "en")[:200],
                    definition=definition, status="draft", created_at=now,
                    created_by=me.id)  # fmt: skip
    s.add(survey)
    s.flush()
    audit(s, me, "create", "survey", str(survey.id), None, {"key": survey.key})
    return RedirectResponse(f"/surveys/{survey.id}", status_code=303)


@router.get("/surveys/{sid}", response_class=HTMLResponse)
def survey_page(
    request: Request, s: Db, me: Me, sid: int, by: str = "place+period"
) -> HTMLResponse:
    need_role(me, STAFF, t("read the surveys"))
    survey = s.get(Survey, sid)
    if survey is None:
        raise HTTPException(404, t("no such survey"))
    if by not in BY:
        raise HTTPException(422, t("by: one of %(choices)s", choices=", ".join(BY)))
    frame = responses(s, survey, _today(request))  # ended quarters only
    results = survey_results(frame, survey.definition)
    tables = []
    for q in survey.definition["questions"]:
        res = results.get(q["id"])
        if res is not None:
            rows = res[res["breakdown"] == by] if len(res) else res
            tables.append((q, rows, answer_columns(q)))
    return render(request, "survey.html", user=me, survey=survey, tables=tables, by=by,
                  breakdowns=list(BY), total=published_respondents(results), least=MIN_GROUP,
                  can_edit=me.role in EDITORS, in_language=in_language)  # fmt: skip


@router.post("/surveys/{sid}/status", dependencies=[Csrf])
def survey_status(request: Request, s: Db, me: Me, sid: int, form: Posted) -> Response:
    need_role(me, STAFF, t("read the surveys"))
    survey = s.get(Survey, sid)
    if survey is None:
        raise HTTPException(404, t("no such survey"))
    need_role(me, EDITORS, t("open or close a survey"))
    lock_row(s, survey)
    status = str(form.get("status", ""))
    if status not in ("open", "closed"):
        raise HTTPException(422, t("Status: open or closed"))
    before, survey.status = survey.status, status
    audit(s, me, "update", "survey", str(sid), {"status": before}, {"status": status})
    return RedirectResponse(f"/surveys/{sid}", status_code=303)


@router.get("/youth-panel", response_class=HTMLResponse)
def panel(request: Request, s: Db, me: Me) -> HTMLResponse:
    need_role(me, STAFF, t("read the youth panel's register"))
    members = s.scalars(
        select(YouthPanelMember).order_by(YouthPanelMember.joined, YouthPanelMember.id)
    ).all()
    rates = attendance(s).set_index("member").to_dict("index") if members else {}
    return render(request, "youth_panel.html", user=me, members=members, rates=rates,
                  consent=CONSENT_BY, places=s.scalars(select(Place).order_by(Place.name)).all(),
                  today=_today(request), can_edit=me.role in EDITORS,
                  current=[m for m in members if m.left_on is None])  # fmt: skip


@router.post("/youth-panel/members", dependencies=[Csrf])
def panel_member(request: Request, s: Db, me: Me, form: Posted) -> Response:
    need_role(me, EDITORS, t("change the youth panel's register"))
    age = _whole(form.get("age", ""), 100)
    place = _whole(form.get("place", ""))
    if age is None:
        raise HTTPException(422, t("Age: a whole number"))
    if place is not None and s.get(Place, place) is None:
        raise HTTPException(422, t("Place: choose one from the list"))
    try:
        m = add_member(s, name=_text(form, "name", t("Name"), most=100), age=age,
                       consent_by=str(form.get("consent_by", "")),
                       consent_on=_day(form, "consent_on", t("Consent given on")),
                       joined=_day(form, "joined", t("Joined")), place_id=place)  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "create", "youth_panel_member", str(m.id), None, {"consent_by": m.consent_by})
    return RedirectResponse("/youth-panel", status_code=303)


@router.post("/youth-panel/members/{pid}/leave", dependencies=[Csrf])
def panel_leave(request: Request, s: Db, me: Me, pid: int, form: Posted) -> Response:
    need_role(me, EDITORS, t("change the youth panel's register"))
    m = s.get(YouthPanelMember, pid)
    if m is None or m.left_on is not None:
        raise HTTPException(404, t("no such current member"))
    left = _day(form, "left", t("Left on"))
    if left < m.joined:
        raise HTTPException(422, t("Left on %(left)s: before they joined", left=left))
    m.left_on = left
    audit(s, me, "update", "youth_panel_member", str(pid), None, {"left_on": left.isoformat()})
    return RedirectResponse("/youth-panel", status_code=303)


@router.post("/youth-panel/sessions", dependencies=[Csrf])
def panel_session(request: Request, s: Db, me: Me, form: Posted) -> Response:
    need_role(me, EDITORS, t("change the youth panel's register"))
    present = [_whole(v) for v in form.getlist("present")][:500]
    if None in present:
        raise HTTPException(422, t("Attendance: tick members from the list"))
    try:
        x = add_session(s, _day(form, "held_on", t("Held on")), _text(form, "topic", t("Topic")),
                        [p for p in present if p is not None])  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "create", "youth_panel_session", str(x.id), None, {"attended": len(x.attendance)})
    return RedirectResponse("/youth-panel", status_code=303)


ROUTES = (
    ("GET", "/surveys"), ("POST", "/surveys"), ("GET", "/surveys/{sid}"),
    ("POST", "/surveys/{sid}/status"), ("GET", "/youth-panel"), ("POST", "/youth-panel/members"),
    ("POST", "/youth-panel/members/{pid}/leave"), ("POST", "/youth-panel/sessions"),
)  # fmt: skip
