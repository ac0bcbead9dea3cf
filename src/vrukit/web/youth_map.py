"""The Youth Map's public search page: what (a category), where (a postcode, nearest first
with the distance shown, or a town), age and "open now"; a list, and a map of the same results
when Leaflet is installed. Server-rendered, so it works without JavaScript; mobile first.

Postcodes come from the lookup the VRU loads (the demo region ships its own); the map draws
no background tiles unless the VRU names a tile server (``tiles``), so a search never sends a
person's postcode to a third party by default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from vrukit.directory.index import DirectoryIndex, find
from vrukit.directory.models import (
    DirAddress,
    DirAttribute,
    DirLocation,
    DirPostcode,
    DirSchedule,
    DirService,
    DirServiceAtLocation,
    DirTaxonomyTerm,
    UnsafeLink,
    normalise_postcode,
    safe_link,
)
from vrukit.directory.search import DAYS, UnknownPostcode, is_open, is_stale
from vrukit.directory.search import Query as Search
from vrukit.programme.db import engine, upgrade

__all__ = ["PER_PAGE", "create_youth_map_app"]

PER_PAGE = 20
LONDON = ZoneInfo("Europe/London")
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
PAGES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_youth_map_app(
    store_url: str,
    *,
    migrate: bool = True,
    root: str = "",
    api: str = "/api/",
    today: Callable[[], date] | None = None,
    clock: Callable[[], datetime] | None = None,
    assets: Path | None = None,
    tiles: str | None = None,
    tiles_attribution: str = "",
    index: DirectoryIndex | None = None,
    check_every: float = 1.0,
) -> FastAPI:
    """The public search over the store at ``store_url``, served under ``root`` (the path it is
    mounted at). ``today`` decides what counts as stale (the demo passes its own date),
    ``clock`` the local time for "open now"; ``assets`` is the npm folder holding Leaflet.
    Searches read the search index (``index``: share the API's to hold one copy), which
    follows the store within ``check_every`` seconds."""
    if migrate:
        upgrade(store_url)
    app = FastAPI(title="Youth Map", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.maker = sessionmaker(engine(store_url))
    app.state.index = index or DirectoryIndex(app.state.maker, check_every)
    app.state.page = {"root": root, "api": api, "tiles": tiles,
                      "tiles_attribution": tiles_attribution}  # fmt: skip
    app.state.today = today or date.today
    app.state.clock = clock or (lambda: datetime.now(LONDON).replace(tzinfo=None))
    leaflet = _leaflet(assets)
    app.state.page["leaflet"] = leaflet is not None
    if leaflet is not None:
        app.mount("/static/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    app.get("/", response_class=HTMLResponse)(search_page)
    app.get("/services/{sid}", response_class=HTMLResponse)(service_page)
    return app


def _leaflet(assets: Path | None) -> Path | None:
    from vrukit.errors import ConfigError
    from vrukit.publish.assets import find_assets

    try:
        return find_assets(assets) / "leaflet" / "dist"
    except ConfigError:
        return None  # the list still works; the page simply has no map


def _db(request: Request) -> Iterator[Session]:
    with request.app.state.maker() as s:
        yield s


Db = Annotated[Session, Depends(_db)]


def km(metres: float) -> str:
    return f"{metres:,.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def address(loc: DirLocation) -> str:
    a = loc.addresses[0] if loc.addresses else None
    return f"{a.address_1}, {a.city} {a.postal_code}" if a else (loc.name or "")


def age_range(s: DirService) -> str:
    lo, hi = s.minimum_age, s.maximum_age
    if lo is None and hi is None:
        return "All ages"
    if hi is None:
        return f"Ages {lo} and over"
    return f"Ages {lo or 0} to {hi}"


def when(schedules: list[DirSchedule]) -> str:
    return "; ".join(
        f"{', '.join(DAY_NAMES.get(d, d) for d in k.byday.split(',') if d)} "
        f"{k.opens_at}-{k.closes_at}"
        for k in schedules
        if k.byday
    )


def day(d: date | None) -> str:
    return d.strftime("%-d %B %Y") if d else "never"


def link(value: str | None) -> str | None:
    """A stored link as it may be shown: None unless http(s), mailto or tel (a listing stored
    before links were checked, or by hand in the database, never becomes a script link)."""
    try:
        return safe_link("link", value)
    except UnsafeLink:
        return None


PAGES.env.filters.update(km=km, address=address, age_range=age_range, when=when, day=day, link=link)


def _form(what: str, postcode: str, town: str, age: int | None, open_now: bool) -> dict[str, Any]:
    return {"what": what, "postcode": postcode.strip(), "town": town, "age": age,
            "open_now": open_now}  # fmt: skip


def search_page(
    request: Request,
    s: Db,
    what: Annotated[str, Query(max_length=50)] = "",
    postcode: Annotated[str, Query(max_length=10)] = "",
    town: Annotated[str, Query(max_length=100)] = "",
    age: Annotated[str, Query(max_length=3)] = "",  # an empty box sends "age="
    open_now: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    years = int(age) if re.fullmatch(r"[0-9]{1,3}", age.strip()) else None
    form = _form(what, postcode, town, years, open_now)
    terms = list(s.scalars(select(DirTaxonomyTerm).order_by(DirTaxonomyTerm.name)))
    term = next((t for t in terms if t.code == what), None)
    searched = any([what, form["postcode"], town, years is not None, open_now])
    at = request.app.state.clock()
    query = Search(term.id if term else None, form["postcode"] or None, town or None, years,
                   open_now)  # fmt: skip
    error, rows, dist, origin = None, np.array([], int), None, None
    if searched:
        snap = request.app.state.index.current()
        try:
            rows, dist = find(snap, query, at)
        except UnknownPostcode as e:
            error = str(e)
            rows, dist = find(snap, replace(query, postcode=None), at)
        if dist is not None:
            origin = snap.postcodes[normalise_postcode(form["postcode"])]
    pages = max(1, math.ceil(len(rows) / PER_PAGE))
    window = slice((page - 1) * PER_PAGE, page * PER_PAGE)
    shown = [snap.sal_json[k]["id"] for k in rows[window]] if searched else []
    found = _load(s, shown)
    today = request.app.state.today()
    view = [{"service": found[i].service, "location": found[i].location,
             "distance": None if dist is None else float(d),
             "open": is_open(found[i].service.schedules, at),
             "stale": is_stale(found[i].service, today)}
            for i, d in zip(shown, dist[window] if dist is not None else shown, strict=True)
            if i in found]  # fmt: skip
    context = request.app.state.page | {
        "form": form, "terms": terms, "towns": _towns(s), "searched": searched,
        "error": error, "hits": view, "total": len(rows), "page": page, "pages": pages,
        "first": (page - 1) * PER_PAGE + 1, "example_postcode": _example(s),
        "markers": _markers(request, view, origin, form["postcode"].upper()),
        "link": lambda p: f"{request.app.state.page['root']}/?"
        + urlencode({k: v for k, v in form.items() if v not in ("", None, False)} | {"page": p}),
    }  # fmt: skip
    return PAGES.TemplateResponse(request, "youth_search.html", context)


def _load(s: Session, ids: list[str]) -> dict[str, DirServiceAtLocation]:
    """One page of results with what the list shows about each."""
    rows = s.scalars(select(DirServiceAtLocation).where(DirServiceAtLocation.id.in_(ids)).options(
        selectinload(DirServiceAtLocation.service).selectinload(DirService.organization),
        selectinload(DirServiceAtLocation.service).selectinload(DirService.schedules),
        selectinload(DirServiceAtLocation.location).selectinload(DirLocation.addresses),
    ))  # fmt: skip
    return {r.id: r for r in rows}


def _towns(s: Session) -> list[str]:
    return list(s.scalars(select(DirAddress.city).distinct().order_by(DirAddress.city)))


def _example(s: Session) -> str:
    """A postcode from the lookup, written as people write it (the inward code apart)."""
    code = s.scalar(select(DirPostcode.postcode).order_by(DirPostcode.postcode).limit(1)) or ""
    return f"{code[:-3]} {code[-3:]}" if len(code) > 4 else code


def _markers(
    request: Request, view: list[dict[str, Any]], origin: tuple[float, float] | None, label: str
) -> dict[str, Any]:
    root = request.app.state.page["root"]
    services = [{"lat": v["location"].latitude, "lon": v["location"].longitude,
                 "name": v["service"].name, "href": f"{root}/services/{v['service'].id}"}
                for v in view if v["location"].latitude is not None]  # fmt: skip
    out: dict[str, Any] = {"services": services}
    if origin is not None:
        out["origin"] = {"lat": origin[0], "lon": origin[1], "label": label}
    return out


def _back(request: Request) -> str:
    """The search the person came from, when it was on this site; else a new search."""
    came = request.headers.get("referer", "")
    if came and urlsplit(came).netloc == request.url.netloc:
        return came
    return f"{request.app.state.page['root']}/"


def service_page(request: Request, s: Db, sid: str) -> HTMLResponse:
    row = s.scalars(
        select(DirService).where(DirService.id == sid, DirService.status != "defunct").options(
            selectinload(DirService.organization), selectinload(DirService.phones),
            selectinload(DirService.schedules),
            selectinload(DirService.at_locations).selectinload(DirServiceAtLocation.location)
            .selectinload(DirLocation.addresses),
            selectinload(DirService.attributes).selectinload(DirAttribute.taxonomy_term),
        )
    ).first()  # fmt: skip
    if row is None:
        raise HTTPException(404, "no such service")
    context = request.app.state.page | {
        "service": row,
        "categories": [a.taxonomy_term.name for a in row.attributes],
        "stale": is_stale(row, request.app.state.today()),
        "back": _back(request),
    }
    return PAGES.TemplateResponse(request, "youth_service.html", context)
