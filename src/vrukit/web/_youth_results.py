"""One page of the Youth Map's results as the page shows them: each service once, numbered, with
its addresses (nearest first and with distances from a postcode); the map's numbered markers,
the person's position and the towns; and, when nothing is found, what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from vrukit.directory.index import Found, Snapshot, find
from vrukit.directory.models import DirLocation, DirService
from vrukit.directory.search import Query, distances, is_open, is_stale

__all__ = ["Advice", "address", "advice", "hits", "markers"]


def address(loc: DirLocation) -> str:
    a = loc.addresses[0] if loc.addresses else None
    return f"{a.address_1}, {a.city} {a.postal_code}" if a else (loc.name or "")


def _addresses(service: DirService, found: Found) -> list[dict[str, Any]]:
    """The service's addresses: nearest first with distances from a postcode; those in the
    town searched first; else as stored."""
    locations = [sal.location for sal in service.at_locations]
    place = found.place
    if place is not None and place.origin is not None:
        placed = [loc for loc in locations if loc.latitude is not None]
        d = distances(*place.origin, np.array([loc.latitude for loc in placed], float),
                      np.array([loc.longitude for loc in placed], float))  # fmt: skip
        near = sorted(zip(d.tolist(), placed, strict=True), key=lambda x: x[0])
        rest = [loc for loc in locations if loc.latitude is None]
        return [{"location": loc, "distance": m} for m, loc in near] + [
            {"location": loc, "distance": None} for loc in rest
        ]
    if place is not None and place.town is not None:
        locations.sort(key=lambda loc: not any(a.city == place.town for a in loc.addresses))
    return [{"location": loc, "distance": None} for loc in locations]


def hits(
    services: dict[str, DirService], ids: list[str], first: int, found: Found, today: date,
    at: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """The page's results, numbered from ``first`` (the numbers on the map)."""
    return [{"number": first + k, "service": services[sid],
             "addresses": _addresses(services[sid], found),
             "open": is_open(services[sid].schedules, at),
             "stale": is_stale(services[sid], today)}
            for k, sid in enumerate(ids) if sid in services]  # fmt: skip


def markers(
    hits: list[dict[str, Any]], found: Found | None, towns: dict[str, tuple[float, float]],
    href: Callable[[str], str],
) -> dict[str, Any]:  # fmt: skip
    """What the map draws: a numbered marker per address of each result, named for people who
    cannot see it; the person's position; the towns, for bearings on a map with no tiles."""
    services = []
    for h in hits:
        for a in h["addresses"]:
            loc = a["location"]
            if loc.latitude is None:
                continue
            away = "" if a["distance"] is None else f", {km(a['distance'])} away"
            services.append({
                "n": h["number"], "lat": loc.latitude, "lon": loc.longitude,
                "name": h["service"].name, "href": href(h["service"].id),
                "label": f"{h['number']}. {h['service'].name}, {address(loc)}{away}",
            })  # fmt: skip
    out: dict[str, Any] = {"services": services,
                           "towns": [{"name": t, "lat": p[0], "lon": p[1]}
                                     for t, p in sorted(towns.items())]}  # fmt: skip
    if found is not None and found.place is not None and found.place.origin is not None:
        lat, lon = found.place.origin
        out["origin"] = {"lat": lat, "lon": lon, "label": f"Your position: {found.place.label}"}
    return out


def km(metres: float) -> str:
    return f"{metres:,.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


@dataclass(frozen=True)
class Advice:
    """Why nothing was found and what to try: ``anywhere`` is how many services match the
    words with no place, age or "open now" (None with no words); ``suggestion`` a spelling
    that would match; ``drop`` the choices to take away, as (label, form field)."""

    anywhere: int | None
    suggestion: str | None
    drop: list[tuple[str, str]]


def advice(snap: Snapshot, query: Query, found: Found, at: datetime) -> Advice:
    """What to say when ``found`` is empty."""
    drop = [(label, key) for label, key, on in (
        ("Search everywhere", "where", bool(query.place)),
        ("Any age", "age", query.age is not None),
        ("Open at any time", "open_now", query.open_now),
    ) if on]  # fmt: skip
    if not query.words.strip():
        return Advice(None, None, drop)
    anywhere = len(find(snap, Query(words=query.words), at).services)
    suggestion = snap.keywords.suggest(query.words) if not anywhere else None
    if suggestion is not None and not len(find(snap, Query(words=suggestion), at).services):
        suggestion = None
    return Advice(anywhere, suggestion, drop if anywhere else [])
