"""Loading significant incidents from data (``incidents.json``, as the demo writes it): each
incident, its checklist steps with their times, the surge offer (the ``offer_nearest`` services
nearest to it within its distance, and pathways by key) and the uptake counted afterwards
(for a pathway by its key; for the n-th nearest service offered, by ``service_rank``, where
ranks beyond the services near are not counted).
All or nothing: the first problem raises ``ConfigError`` naming the incident and field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.incidents.response import (
    mark_step,
    record_incident,
    record_uptake,
    services_near,
    set_offer,
)
from vrukit.referrals.models import Pathway

__all__ = ["load_incidents"]


def _when(where: str, value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date and time") from None


def _one(s: Session, n: int, rec: dict[str, Any]) -> None:
    where = f"incident {n}"
    incident = record_incident(
        s, occurred_at=_when(where, rec["occurred_at"]), kind=rec["kind"], where=rec["where"],
        radius_m=int(rec.get("radius_m", 1000)), summary=rec.get("summary"),
        now=_when(where, rec.get("recorded_at", rec["occurred_at"])), by=None,
    )  # fmt: skip
    for st in rec.get("steps", []):
        mark_step(s, incident, st["step"], _when(where, st["done_at"]), None, st.get("note"))
    keys = rec.get("pathways", [])
    ids = {p.key: p.id for p in s.scalars(select(Pathway).where(Pathway.key.in_(keys)))}
    if set(keys) - set(ids):
        raise ConfigError(f"{where}: no pathway {sorted(set(keys) - set(ids))[0]!r}")
    nearest = list(services_near(s, incident).head(int(rec.get("offer_nearest", 0)))["service_id"])
    offers = set_offer(s, incident, nearest, [ids[k] for k in keys])
    by_pathway = {o.pathway_id: o for o in offers if o.pathway_id is not None}
    by_service = {o.service_id: o for o in offers if o.service_id is not None}
    for u in rec.get("uptake", []):
        if "pathway" in u:
            offer = by_pathway.get(ids.get(u["pathway"], -1))
            if offer is None:
                raise ConfigError(f"{where}: uptake for pathway {u['pathway']!r}, not offered")
        elif int(u["service_rank"]) > len(nearest):
            continue  # counts for the n-th nearest service, when fewer than n were near
        else:
            offer = by_service[nearest[int(u["service_rank"]) - 1]]
        record_uptake(s, incident, offer, date.fromisoformat(u["counted_on"]),
                      int(u["young_people"]), u.get("sessions"))  # fmt: skip


def load_incidents(s: Session, data: dict[str, Any]) -> int:
    """Add the incidents ``data`` holds (after the Youth Map and the pathways); how many."""
    for n, rec in enumerate(data.get("incidents", []), start=1):
        _one(s, n, rec)
    s.flush()
    return len(data.get("incidents", []))
