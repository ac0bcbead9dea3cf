"""Finding services for people: what (words, forgiving typos: ``keywords``), where (a postcode -
nearest first, with the distance - or a town: ``places``), an age, and whether a session is on
now: the rules the search (``index.find``, on the in-memory index) and the pages share.

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
from sqlalchemy import select
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
    "WeeklySession",
    "distances",
    "is_open",
    "is_stale",
    "open_at",
    "service_locations",
    "weekly",
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
    """A person's search, every part optional: ``words`` ("boxing"), ``place`` (a postcode,
    the first half of one, or a town), an ``age`` the service must be open to, ``open_now``."""

    words: str = ""
    place: str = ""
    age: int | None = None
    open_now: bool = False


def distances(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    """Great-circle distances in metres from one point to many (haversine; arrays broadcast)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(np.asarray(lons) - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(a))


#: A weekly session: its days (``MO``...), opening and closing times (``HH:MM``).
WeeklySession = tuple[frozenset[str], str, str]


def weekly(byday: str, opens_at: str, closes_at: str) -> WeeklySession:
    return frozenset(byday.split(",")), opens_at, closes_at


def open_at(sessions: list[WeeklySession], at: datetime) -> bool:
    """Whether one of the weekly sessions is running at local time ``at``."""
    day, now = DAYS[at.weekday()], at.strftime("%H:%M")
    return any(day in days and opens <= now < closes for days, opens, closes in sessions)


def is_open(schedules: list[DirSchedule], at: datetime) -> bool:
    """Whether a service's weekly schedule has a session running at local time ``at``."""
    return open_at([weekly(k.byday, k.opens_at, k.closes_at) for k in schedules
                    if k.freq == "WEEKLY" and k.opens_at and k.closes_at], at)  # fmt: skip


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
