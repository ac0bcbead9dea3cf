"""Finding services for people: what (a category), where (a postcode - nearest first, with the
distance - or a town), an age, and whether a session is on now. The public search page reads
this; the API's filters follow the same rules (``ages``).

"Open now" reads each service's weekly schedules (``byday`` such as ``MO,TH``, ``opens_at`` and
``closes_at`` as ``HH:MM``) against the local time given. A service whose last verification is
more than ``STALE_AFTER`` old is flagged, never hidden: an old entry may still be right, and the
person searching is told to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from vrukit.directory.models import (
    DirLocation,
    DirSchedule,
    DirService,
    DirServiceAtLocation,
)
from vrukit.errors import VrukitError

__all__ = [
    "DAYS",
    "STALE_AFTER",
    "Query",
    "UnknownPostcode",
    "ages",
    "distances",
    "is_open",
    "is_stale",
    "service_locations",
]

#: A service not verified for this long is flagged as possibly out of date.
STALE_AFTER = timedelta(days=365)
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Mean Earth radius (metres) for great-circle distances.
EARTH_RADIUS = 6_371_008.8


class UnknownPostcode(VrukitError):
    """The postcode is not in the directory's lookup."""


@dataclass(frozen=True)
class Query:
    term_id: str | None = None
    postcode: str | None = None
    town: str | None = None
    age: int | None = None
    open_now: bool = False


def distances(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    """Great-circle distances in metres from one point to many (haversine; arrays broadcast)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(np.asarray(lons) - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(a))


def ages(q: Select[Any], minimum_age: int | None, maximum_age: int | None) -> Select[Any]:
    """Services open to someone aged from ``minimum_age`` to ``maximum_age`` (an open range
    when a service gives no limit)."""
    if minimum_age is not None:
        q = q.where(or_(DirService.maximum_age.is_(None), DirService.maximum_age >= minimum_age))
    if maximum_age is not None:
        q = q.where(or_(DirService.minimum_age.is_(None), DirService.minimum_age <= maximum_age))
    return q


def is_open(schedules: list[DirSchedule], at: datetime) -> bool:
    """Whether a weekly session is running at local time ``at``."""
    day, now = DAYS[at.weekday()], at.strftime("%H:%M")
    return any(
        day in k.byday.split(",") and k.opens_at <= now < k.closes_at
        for k in schedules
        if k.freq == "WEEKLY" and k.opens_at and k.closes_at
    )


def is_stale(service: DirService, today: date) -> bool:
    """Not verified within ``STALE_AFTER`` of ``today`` (or never)."""
    return service.assured_date is None or today - service.assured_date > STALE_AFTER


def service_locations(s: Session) -> pd.DataFrame:
    """Where the active services are delivered: one row per service at a location with
    coordinates (``service_id``, ``latitude``, ``longitude``)."""
    rows = s.execute(
        select(DirServiceAtLocation.service_id, DirLocation.latitude, DirLocation.longitude)
        .join(DirLocation, DirLocation.id == DirServiceAtLocation.location_id)
        .join(DirService, DirService.id == DirServiceAtLocation.service_id)
        .where(DirService.status == "active", DirLocation.latitude.is_not(None))
    ).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["service_id", "latitude", "longitude"])
