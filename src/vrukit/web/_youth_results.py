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
from vrukit.directory.places import Place
from vrukit.directory.search import Query, distances, is_open, is_stale
from vrukit.publish._i18n import N_, Lang
from vrukit.web._youth_lang import km

__all__ = ["Advice", "address", "advice", "found_heading", "hits", "markers"]


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
    href: Callable[[str], str], lang: Lang,
) -> dict[str, Any]:  # fmt: skip
    """What the map draws: a numbered marker per address of each result, named for people who
    cannot see it; the person's position; the towns, for bearings on a map with no tiles."""
    services = []
    for h in hits:
        for a in h["addresses"]:
            loc = a["location"]
            if loc.latitude is None:
                continue
            label = {"n": h["number"], "name": h["service"].name, "address": address(loc)}
            services.append({
                "n": h["number"], "lat": loc.latitude, "lon": loc.longitude,
                "name": h["service"].name, "href": href(h["service"].id),
                "label": lang.gettext("%(n)s. %(name)s, %(address)s", **label)
                if a["distance"] is None else lang.gettext(
                    "%(n)s. %(name)s, %(address)s, %(away)s away",
                    away=km(a["distance"], lang), **label),
            })  # fmt: skip
    out: dict[str, Any] = {"services": services,
                           "towns": [{"name": t, "lat": p[0], "lon": p[1]}
                                     for t, p in sorted(towns.items())]}  # fmt: skip
    if found is not None and found.place is not None and found.place.origin is not None:
        lat, lon = found.place.origin
        out["origin"] = {"lat": lat, "lon": lon,
                         "label": lang.gettext("Your position: %(place)s",
                                               place=found.place.label)}  # fmt: skip
    return out


def found_heading(lang: Lang, total: int, words: str, place: Place | None) -> str:
    """What a search found, in one sentence: "12 services for “boxing” near B15 2TT"."""

    def alone(text: str) -> str:  # typed text keeps its own direction in a right-to-left line
        return f"\u2068{text}\u2069" if lang.dir == "rtl" and text else text

    values = {"num": lang.num(total), "words": alone(words),
              "place": alone(place.label) if place is not None else ""}  # fmt: skip
    if place is None:
        if words:
            return lang.ngettext(
                "%(num)s service for “%(words)s”",
                "%(num)s services for “%(words)s”",
                total,
                **values,
            )
        return lang.ngettext("%(num)s service", "%(num)s services", total, **values)
    if place.origin is not None:
        if words:
            return lang.ngettext("%(num)s service for “%(words)s” near %(place)s",
                                 "%(num)s services for “%(words)s” near %(place)s", total,
                                 **values)  # fmt: skip
        return lang.ngettext(
            "%(num)s service near %(place)s", "%(num)s services near %(place)s", total, **values
        )
    if words:
        return lang.ngettext(
            "%(num)s service for “%(words)s” in %(place)s",
            "%(num)s services for “%(words)s” in %(place)s",
            total,
            **values,
        )
    return lang.ngettext(
        "%(num)s service in %(place)s", "%(num)s services in %(place)s", total, **values
    )


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
        (N_("Search everywhere"), "where", bool(query.place)),
        (N_("Any age"), "age", query.age is not None),
        (N_("Open at any time"), "open_now", query.open_now),
    ) if on]  # fmt: skip
    if not query.words.strip():
        return Advice(None, None, drop)
    anywhere = len(find(snap, Query(words=query.words), at).services)
    suggestion = snap.keywords.suggest(query.words) if not anywhere else None
    if suggestion is not None and not len(find(snap, Query(words=suggestion), at).services):
        suggestion = None
    return Advice(anywhere, suggestion, drop if anywhere else [])
