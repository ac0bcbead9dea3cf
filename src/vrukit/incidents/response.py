"""Responding to a significant incident: place it, find the Youth Map services within a chosen
distance (nearest first), the partners to alert and the pathways to offer, keep the checklist's
times, and count the surge offer's uptake.

An incident is placed by a postcode of the Youth Map's postcode lookup or by "latitude,
longitude"; the place it falls in is the place holding the LSOA of its postcode (or, for a
point, of the postcode nearest to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.directory.models import (
    DirLocation,
    DirPostcode,
    DirService,
    DirServiceAtLocation,
    normalise_postcode,
)
from vrukit.directory.search import distances
from vrukit.errors import ConfigError, joined, t
from vrukit.incidents.models import (
    CHECKLIST,
    INCIDENT_KINDS,
    Incident,
    IncidentOffer,
    IncidentStep,
    IncidentUptake,
)
from vrukit.programme.models import Board, Intervention, Organisation, PlaceArea
from vrukit.referrals.models import Pathway

__all__ = [
    "Located",
    "checklist",
    "locate",
    "mark_step",
    "partners_to_alert",
    "pathways_to_offer",
    "record_incident",
    "record_uptake",
    "services_near",
    "set_offer",
    "uptake",
]

_POINT = re.compile(r"\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*")
STEPS = dict(CHECKLIST)


@dataclass(frozen=True)
class Located:
    """Where an incident was: a point, what placed it, and the LSOA it falls in (if known)."""

    latitude: float
    longitude: float
    label: str
    lsoa_code: str | None


def _nearest_postcode(s: Session, lat: float, lon: float) -> DirPostcode | None:
    box = 0.05  # about 5 km north-south: the nearest postcode centroid is far closer
    rows = s.scalars(select(DirPostcode).where(
        DirPostcode.latitude.between(lat - box, lat + box),
        DirPostcode.longitude.between(lon - 2 * box, lon + 2 * box))).all()  # fmt: skip
    if not rows:
        return None
    d = distances(lat, lon, [r.latitude for r in rows], [r.longitude for r in rows])
    return rows[int(d.argmin())]


def locate(s: Session, text: str) -> Located:
    """The point ``text`` gives: a postcode the store knows, or "latitude, longitude"."""
    point = _POINT.fullmatch(text)
    if point:
        lat, lon = float(point.group(1)), float(point.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ConfigError(
                t("Where %(text)s: latitude -90 to 90, longitude -180 to 180", text=repr(text))
            )
        near = _nearest_postcode(s, lat, lon)
        return Located(lat, lon, f"{lat:.5f}, {lon:.5f}", near.lsoa_code if near else None)
    code = normalise_postcode(text)
    pc = s.get(DirPostcode, code) if code else None
    if pc is None:
        raise ConfigError(
            t(
                "Where %(text)s: not a postcode vrukit knows; give a postcode of the Youth Map's "
                "lookup or 'latitude, longitude' (e.g. 52.41, -1.51)",
                text=repr(text[:40]),
            )
        )
    return Located(pc.latitude, pc.longitude, f"{code[:-3]} {code[-3:]}", pc.lsoa_code)


def _place_of(s: Session, lsoa: str | None) -> int | None:
    if lsoa is None:
        return None
    return s.scalars(select(PlaceArea.place_id).where(PlaceArea.lsoa_code == lsoa)
                     .order_by(PlaceArea.place_id)).first()  # fmt: skip


def record_incident(
    s: Session, *, occurred_at: datetime, kind: str, where: str, radius_m: int,
    summary: str | None, now: datetime, by: int | None,
) -> Incident:  # fmt: skip
    """Add an incident; ConfigError names what is wrong (nothing is added then)."""
    if kind not in INCIDENT_KINDS:
        raise ConfigError(
            t(
                "Kind %(kind)s: one of %(choices)s",
                kind=repr(kind),
                choices=", ".join(INCIDENT_KINDS),
            )
        )
    if not 100 <= radius_m <= 10_000:
        raise ConfigError(t("Distance %(radius_m)s m: from 100 m to 10,000 m", radius_m=radius_m))
    if occurred_at > now:
        raise ConfigError(
            t(
                "When %(occurred_at)s: that is in the future",
                occurred_at=format(occurred_at, "%Y-%m-%d %H:%M"),
            )
        )
    spot = locate(s, where)
    incident = Incident(occurred_at=occurred_at, kind=kind, latitude=spot.latitude,
                        longitude=spot.longitude, located_by=spot.label,
                        place_id=_place_of(s, spot.lsoa_code), radius_m=radius_m,
                        summary=(summary or "").strip() or None, status="open",
                        recorded_at=now, recorded_by=by)  # fmt: skip
    s.add(incident)
    s.flush()
    return incident


def services_near(s: Session, incident: Incident) -> pd.DataFrame:
    """The active Youth Map services with a location within the incident's distance, nearest
    first (each service once, at its nearest location): id, name, address and metres."""
    rows = s.execute(
        select(DirService.id, DirService.name, DirLocation.name, DirLocation.latitude,
               DirLocation.longitude)
        .join(DirServiceAtLocation, DirServiceAtLocation.service_id == DirService.id)
        .join(DirLocation, DirLocation.id == DirServiceAtLocation.location_id)
        .where(DirService.status == "active", DirLocation.latitude.is_not(None))
    ).all()  # fmt: skip
    cols = ["service_id", "name", "location", "metres"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows, columns=["service_id", "name", "location", "lat", "lon"])
    frame["metres"] = distances(incident.latitude, incident.longitude, frame["lat"], frame["lon"])
    near = frame[frame["metres"] <= incident.radius_m].sort_values(["metres", "service_id"])
    near = near.drop_duplicates("service_id").reset_index(drop=True)
    near["metres"] = near["metres"].round().astype(int)
    return near[cols]


def partners_to_alert(s: Session, incident: Incident) -> pd.DataFrame:
    """Organisations to alert: members of the boards and networks of the incident's place and
    of those for the whole area (no place), and the providers delivering there; each once, with
    why."""
    why: dict[int, list[str]] = {}
    boards = s.scalars(select(Board).where(
        (Board.place_id == incident.place_id) | Board.place_id.is_(None))).all()  # fmt: skip
    on = incident.occurred_at.date()
    for b in sorted(boards, key=lambda b: b.name):
        for m in b.members:
            if (m.joined is None or m.joined <= on) and (m.left_on is None or m.left_on > on):
                why.setdefault(m.organisation_id, []).append(t("member of %(board)s",
                                                                board=b.name))  # fmt: skip
    if incident.place_id is not None:  # providers whose contract runs on the day
        for iv in s.scalars(select(Intervention).where(Intervention.place_id == incident.place_id)
                            .order_by(Intervention.name)):  # fmt: skip
            if iv.contract_start <= on and (iv.contract_end is None or iv.contract_end >= on):
                why.setdefault(iv.provider_id, []).append(t("delivers %(intervention)s here",
                                                             intervention=iv.name))  # fmt: skip
    names = dict(s.execute(select(Organisation.id, Organisation.name)
                           .where(Organisation.id.in_(why))).all())  # fmt: skip
    rows = [{"organisation_id": o, "organisation": names[o], "why": joined(w)}
            for o, w in why.items()]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["organisation_id", "organisation", "why"])
    return frame.sort_values("organisation", ignore_index=True)


def pathways_to_offer(s: Session, services: pd.DataFrame) -> list[tuple[Pathway, list[str]]]:
    """Every referral pathway, those referring to a service near the incident first, each with
    the names of its services that are near."""
    near = dict(zip(services["service_id"], services["name"], strict=True))
    out = [(p, [near[i] for i in p.service_ids if i in near])
           for p in s.scalars(select(Pathway).order_by(Pathway.name))]  # fmt: skip
    return sorted(out, key=lambda pn: not pn[1])


def mark_step(
    s: Session, incident: Incident, step: str, at: datetime, by: int | None, note: str | None
) -> IncidentStep:
    """Record that checklist ``step`` was done at ``at`` (once per incident)."""
    if step not in STEPS:
        raise ConfigError(
            t("Step %(step)s: one of %(choices)s", step=repr(step), choices=", ".join(STEPS))
        )
    if at < incident.occurred_at:
        raise ConfigError(
            t(
                "%(STEPS)s: %(at)s is before the incident",
                STEPS=STEPS[step],
                at=format(at, "%Y-%m-%d %H:%M"),
            )
        )
    if any(done.step == step for done in incident.steps):
        raise ConfigError(t("%(STEPS)s is already recorded for this incident", STEPS=STEPS[step]))
    row = IncidentStep(step=step, done_at=at, done_by=by, note=(note or "").strip() or None)
    incident.steps.append(row)
    s.flush()
    return row


def checklist(incident: Incident) -> list[dict[str, Any]]:
    """Each step of ``CHECKLIST`` in order: done when, and hours after the incident (or None)."""
    done = {x.step: x for x in incident.steps}
    out = []
    for key, label in CHECKLIST:
        x = done.get(key)
        hours = (x.done_at - incident.occurred_at).total_seconds() / 3600 if x else None
        out.append({"step": key, "label": label, "done_at": x.done_at if x else None,
                    "hours": None if hours is None else round(hours, 1),
                    "note": x.note if x else None})  # fmt: skip
    return out


def record_uptake(
    s: Session, incident: Incident, offer: IncidentOffer, counted_on: date, young_people: int,
    sessions: int | None,
) -> IncidentUptake:  # fmt: skip
    """Count what one offer reached up to ``counted_on`` (after the incident)."""
    if offer.incident_id != incident.id:
        raise ConfigError(t("That offer belongs to another incident"))
    if counted_on < incident.occurred_at.date():
        raise ConfigError(
            t(
                "Counted on %(counted_on)s: before the incident",
                counted_on=format(counted_on, "%Y-%m-%d"),
            )
        )
    if young_people < 0 or (sessions is not None and sessions < 0):
        raise ConfigError(t("Young people and sessions are counts: 0 or more"))
    row = next((u for u in incident.uptake
                if u.offer_id == offer.id and u.counted_on == counted_on), None)  # fmt: skip
    if row is None:
        row = IncidentUptake(offer_id=offer.id, counted_on=counted_on)
        incident.uptake.append(row)
    row.young_people, row.sessions = young_people, sessions  # a count again that day replaces
    s.flush()
    return row


def uptake(s: Session, incident: Incident) -> pd.DataFrame:
    """Per offer: what was offered and the latest count of young people and sessions."""
    names = {}
    for o in incident.offers:
        if o.service_id is not None:
            svc = s.get(DirService, o.service_id)
            names[o.id] = t("Service: %(name)s", name=svc.name if svc else o.service_id)
        else:
            pw = s.get(Pathway, o.pathway_id)
            names[o.id] = t("Pathway: %(name)s", name=pw.name if pw else o.pathway_id)
    latest: dict[int, IncidentUptake] = {}
    for u in sorted(incident.uptake, key=lambda u: u.counted_on):
        latest[u.offer_id] = u
    rows = [{"offer": names[o.id], "counted_on": latest[o.id].counted_on if o.id in latest
             else None, "young_people": latest[o.id].young_people if o.id in latest else 0,
             "sessions": latest[o.id].sessions if o.id in latest else None}
            for o in incident.offers]  # fmt: skip
    return pd.DataFrame(rows, columns=["offer", "counted_on", "young_people", "sessions"])


def set_offer(
    s: Session, incident: Incident, service_ids: list[str], pathway_ids: list[int]
) -> list[IncidentOffer]:
    """Add the services and pathways offered (those already offered are kept once)."""
    have = {(o.service_id, o.pathway_id) for o in incident.offers}
    for sid in dict.fromkeys(service_ids):
        if s.get(DirService, sid) is None:
            raise ConfigError(t("Service %(sid)s: not on the Youth Map", sid=repr(sid[:40])))
        if (sid, None) not in have:
            incident.offers.append(IncidentOffer(service_id=sid))
    for pid in dict.fromkeys(pathway_ids):
        if s.get(Pathway, pid) is None:
            raise ConfigError(t("Pathway %(pid)s: no such pathway", pid=pid))
        if (None, pid) not in have:
            incident.offers.append(IncidentOffer(pathway_id=pid))
    s.flush()
    return list(incident.offers)
