"""Significant incidents in the portal: the VRU's staff record one (when, where, what kind; no
one's identity), see the Youth Map services within the chosen distance nearest first, the
partners to alert and the pathways to offer, tick the checklist (each step's time kept), offer
services and pathways, and count the surge offer's uptake afterwards. Admins and commissioners
change them; analysts read them; no other role sees that they exist. Nothing here is published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.incidents.models import CHECKLIST, INCIDENT_KINDS, Incident, IncidentOffer
from vrukit.incidents.response import (
    checklist,
    mark_step,
    partners_to_alert,
    pathways_to_offer,
    record_incident,
    record_uptake,
    services_near,
    set_offer,
    uptake,
)
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import Place, User
from vrukit.web.portal.lang import t
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import EDITORS, STAFF, Csrf, Db, Me, Posted, need_role, render
from vrukit.web.portal.web import whole_number as _whole

__all__ = ["ROUTES", "router"]

router = APIRouter()


def _now(request: Request) -> datetime:
    now = request.app.state.now
    return (now() if now else datetime.now()).replace(microsecond=0)


def _reader(me: User) -> None:
    need_role(me, STAFF, t("read the incident response"))


def _incident(s: Session, me: User, iid: int, *, change: bool = False) -> Incident:
    _reader(me)
    incident = s.get(Incident, iid)
    if incident is None:
        raise HTTPException(404, t("no such incident"))
    if change:
        need_role(me, EDITORS, t("change an incident's response"))
        lock_row(s, incident)
    return incident


def _moment(form: Any, name: str, label: str, default: datetime | None = None) -> datetime:
    """A local date and time from a datetime-local field ("2022-03-04T18:30")."""
    text = str(form.get(name, "")).strip()
    if not text and default is not None:
        return default
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            422,
            t(
                "%(label)s: %(text)s is not a date and time (YYYY-MM-DD HH:MM)",
                label=label,
                text=repr(text[:40]),
            ),
        ) from None
    if at.tzinfo is not None:  # a time with an offset: the local clock's time, as recorded
        at = at.astimezone().replace(tzinfo=None)
    if not 1990 <= at.year <= 2099:
        raise HTTPException(
            422,
            t(
                "%(label)s: %(text)s is not a date from 1990 to 2099",
                label=label,
                text=repr(text[:40]),
            ),
        )
    return at.replace(second=0, microsecond=0)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, s: Db, me: Me) -> HTMLResponse:
    _reader(me)
    rows = s.scalars(select(Incident).order_by(Incident.occurred_at.desc())).all()
    places = dict(s.execute(select(Place.id, Place.name)).all())
    return render(request, "incidents.html", user=me, incidents=rows, places=places,
                  kinds=INCIDENT_KINDS, steps=len(CHECKLIST), can_edit=me.role in EDITORS,
                  now=_now(request))  # fmt: skip


@router.post("/incidents", dependencies=[Csrf])
def add_incident(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _reader(me)
    need_role(me, EDITORS, t("record an incident"))
    radius = _whole(form.get("radius_m", "1000"), 10_000)
    if radius is None:
        raise HTTPException(422, t("Distance: whole metres, 100 to 10,000"))
    try:
        incident = record_incident(
            s, occurred_at=_moment(form, "occurred_at", t("When")), kind=str(form.get("kind", "")),
            where=_text(form, "where", t("Where"), most=60), radius_m=radius,
            summary=_text(form, "summary", t("Summary"), required=False, most=2000),
            now=_now(request), by=me.id,
        )  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "create", "incident", str(incident.id), None,
          {"kind": incident.kind, "occurred_at": incident.occurred_at.isoformat()})  # fmt: skip
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


@router.get("/incidents/{iid}", response_class=HTMLResponse)
def incident_page(request: Request, s: Db, me: Me, iid: int) -> HTMLResponse:
    incident = _incident(s, me, iid)
    near = services_near(s, incident)
    place = s.get(Place, incident.place_id) if incident.place_id else None
    offered = {(o.service_id, o.pathway_id) for o in incident.offers}
    counts = uptake(s, incident).to_dict("records")
    return render(request, "incident.html", user=me, incident=incident, place=place,
                  services=near.to_dict("records"), partners=partners_to_alert(s, incident)
                  .to_dict("records"), pathways=pathways_to_offer(s, near),
                  checklist=checklist(incident), offered=offered, uptake=counts,
                  offers=[(o.id, c["offer"]) for o, c in zip(incident.offers, counts, strict=True)],
                  can_edit=me.role in EDITORS, now=_now(request))  # fmt: skip


@router.post("/incidents/{iid}/steps", dependencies=[Csrf])
def tick_step(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    incident = _incident(s, me, iid, change=True)
    step = str(form.get("step", ""))
    at = _moment(form, "done_at", t("Done at"), _now(request))
    if at > _now(request):
        raise HTTPException(
            422, t("Done at %(at)s: that is still to come", at=format(at, "%Y-%m-%d %H:%M"))
        )
    try:
        mark_step(s, incident, step, at, me.id,
                  _text(form, "note", t("Note"), required=False, most=2000))  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "update", "incident", str(iid), None, {"step": step})
    return RedirectResponse(f"/incidents/{iid}#checklist", status_code=303)


@router.post("/incidents/{iid}/offer", dependencies=[Csrf])
def offer(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    incident = _incident(s, me, iid, change=True)
    services = [str(v)[:36] for v in form.getlist("service")][:200]
    pathways = [_whole(v) for v in form.getlist("pathway")][:200]
    if None in pathways:
        raise HTTPException(422, t("Pathway: choose from the list"))
    try:
        set_offer(s, incident, services, [p for p in pathways if p is not None])
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "update", "incident", str(iid), None,
          {"offered_services": len(services), "offered_pathways": len(pathways)})  # fmt: skip
    return RedirectResponse(f"/incidents/{iid}#offer", status_code=303)


@router.post("/incidents/{iid}/uptake", dependencies=[Csrf])
def count_uptake(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    incident = _incident(s, me, iid, change=True)
    o = s.get(IncidentOffer, _whole(form.get("offer", "")) or 0)
    people = _whole(form.get("young_people", ""), 100_000)
    text = str(form.get("sessions", "")).strip()
    sessions = _whole(text, 100_000) if text else None
    if o is None or people is None or (text and sessions is None):
        raise HTTPException(422, t("Choose the offer and give young people (and sessions) as "
                                   "whole numbers"))  # fmt: skip
    counted = _moment(form, "counted_on", t("Counted on"), _now(request)).date()
    if counted > _now(request).date():
        raise HTTPException(
            422,
            t("Counted on %(counted)s: that is still to come", counted=counted.isoformat()),
        )
    try:
        record_uptake(s, incident, o, counted, people, sessions)
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "update", "incident", str(iid), None, {"uptake": people})
    return RedirectResponse(f"/incidents/{iid}#uptake", status_code=303)


@router.post("/incidents/{iid}/close", dependencies=[Csrf])
def close(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    incident = _incident(s, me, iid, change=True)
    status = str(form.get("status", "closed"))
    if status not in ("open", "closed"):
        raise HTTPException(422, t("Status: open or closed"))
    incident.status = status  # said, not toggled: a double click closes it once
    audit(s, me, "update", "incident", str(iid), None, {"status": incident.status})
    return RedirectResponse(f"/incidents/{iid}", status_code=303)


ROUTES = (
    ("GET", "/incidents"), ("POST", "/incidents"), ("GET", "/incidents/{iid}"),
    ("POST", "/incidents/{iid}/steps"), ("POST", "/incidents/{iid}/offer"),
    ("POST", "/incidents/{iid}/uptake"), ("POST", "/incidents/{iid}/close"),
)  # fmt: skip
