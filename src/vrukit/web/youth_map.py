"""The Youth Map's public search page: what (words such as "boxing", forgiving typos), where (a
postcode - nearest first with the distance shown - or a town), age and "open now"; a numbered
list of services, each once with its addresses, then a map of the same results with numbered
markers and a key when Leaflet is installed. Server-rendered, so it works without JavaScript;
mobile first: on a phone the first result shows without scrolling, the map after the list.

Postcodes come from the lookup the VRU loads (the demo region ships its own); the map draws
no background tiles unless the VRU names a tile server (``tiles``), so a search never sends a
person's postcode to a third party by default. A place that is neither a known postcode nor a
town is said so, with no list: never a list of everything as if it were near.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from vrukit.directory.index import DirectoryIndex, Snapshot, find
from vrukit.directory.models import (
    DirAttribute,
    DirLocation,
    DirPostcode,
    DirService,
    DirServiceAtLocation,
    DirTaxonomyTerm,
    UnsafeLink,
    normalise_postcode,
    safe_link,
)
from vrukit.directory.places import UnknownPlace
from vrukit.directory.search import Query as Search
from vrukit.directory.search import is_stale
from vrukit.programme.db import engine, upgrade
from vrukit.publish._i18n import Lang
from vrukit.voice.responses import token_key
from vrukit.web import surveys
from vrukit.web._youth_lang import PAGES, chooser, speak, youth_lang
from vrukit.web._youth_results import address, advice, found_heading, hits, markers

__all__ = ["PER_PAGE", "create_youth_map_app"]

PER_PAGE = 20
LONDON = ZoneInfo("Europe/London")


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
    with app.state.maker() as s:  # the survey forms' key, made now rather than on a first view
        s.connection(execution_options={"vrukit_write": True})
        token_key(s)
        s.commit()
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
    app.get("/have-your-say/{key}", response_class=HTMLResponse)(surveys.survey_form)
    app.post("/have-your-say/{key}")(surveys.survey_sent)
    app.get("/have-your-say/{key}/thanks", response_class=HTMLResponse)(surveys.thanks)
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


def link(value: str | None) -> str | None:
    """A stored link as it may be shown: None unless http(s), mailto or tel (a listing stored
    before links were checked, or by hand in the database, never becomes a script link)."""
    try:
        return safe_link("link", value)
    except UnsafeLink:
        return None


PAGES.env.filters.update(address=address, link=link)


def _typed(text: str) -> str:
    """What a person typed, with no control characters (a NUL byte included) or extra spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _form(what: str, where: str, age: int | None, open_now: bool) -> dict[str, Any]:
    return {"what": _typed(what), "where": _typed(where), "age": age, "open_now": open_now}


def _link(root: str, form: dict[str, Any], lang: str, **change: Any) -> str:
    """The search page for ``form`` with ``change`` (a value None or "" leaves a field out), in
    ``lang``."""
    values = form | change | {"lang": "" if lang == "en" else lang}
    return f"{root}/?" + urlencode({k: v for k, v in values.items() if v not in ("", None, False)})


def search_page(
    request: Request,
    s: Db,
    what: Annotated[str, Query(max_length=50)] = "",
    where: Annotated[str, Query(max_length=100)] = "",
    postcode: Annotated[str, Query(max_length=10)] = "",  # the page's fields before "where"
    town: Annotated[str, Query(max_length=100)] = "",
    age: Annotated[str, Query(max_length=3)] = "",  # an empty box sends "age="
    open_now: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    lang: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    speaks = youth_lang(lang)
    years = int(age) if re.fullmatch(r"[0-9]{1,3}", age.strip()) else None
    form = _form(what, where or postcode or town, years, open_now)
    state = request.app.state
    snap = state.index.current()
    code = normalise_postcode(form["what"])
    if not form["where"] and (code in snap.postcodes or code in snap.outward):
        form |= {"what": "", "where": form["what"]}  # a postcode typed in "what"
    searched = any((form["what"], form["where"], years is not None, open_now))
    context = state.page | speak(speaks) | {
        "languages": chooser(request, speaks),
        "form": form, "searched": searched, "error": None, "found": None, "hits": [],
        "asked": not searched and bool({"what", "where"} & set(request.query_params)),
        "terms": _terms(s), "towns": sorted(snap.towns), "example_postcode": _example(s),
        "link": lambda **change: _link(state.page["root"], form, speaks.code, **change),
        "surveys": surveys.open_surveys(s, speaks.code),
    }  # fmt: skip
    if searched:
        context |= _results(request, s, snap, form, page, speaks)
    return PAGES.TemplateResponse(request, "youth_search.html", context)


def _results(
    request: Request, s: Session, snap: Snapshot, form: dict[str, Any], page: int, lang: Lang
) -> dict[str, Any]:
    """What the page shows for a search: the page of results and the map's markers, the
    message for an unknown place, or the advice when nothing is found."""
    state, at = request.app.state, request.app.state.clock()
    query = Search(form["what"], form["where"], form["age"], form["open_now"])
    try:
        found = find(snap, query, at)
    except UnknownPlace as e:
        looked = snap.keywords.match(e.text)
        return {"error": e, "instead": bool(looked.words) and bool(looked.matches.any())}
    total = len(found.services)
    window = slice((page - 1) * PER_PAGE, page * PER_PAGE)
    ids = [snap.service_ids[k] for k in found.services[window]]
    shown = hits(_load(s, ids), ids, (page - 1) * PER_PAGE + 1, found, state.today(), at)
    root, tail = state.page["root"], "" if lang.code == "en" else f"?lang={lang.code}"
    words = " ".join(found.keywords.read_as) if found.keywords and found.keywords.words else ""
    return {
        "heading": found_heading(lang, total, words, found.place),
        "found": found, "hits": shown, "total": total, "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)), "first": (page - 1) * PER_PAGE + 1,
        "markers": markers(shown, found, snap.towns, lambda sid: f"{root}/services/{sid}{tail}",
                           lang),
        "advice": None if total else advice(snap, query, found, at),
    }  # fmt: skip


def _load(s: Session, ids: list[str]) -> dict[str, DirService]:
    """One page of results with what the list shows about each."""
    rows = s.scalars(select(DirService).where(DirService.id.in_(ids)).options(
        selectinload(DirService.organization), selectinload(DirService.schedules),
        selectinload(DirService.at_locations).selectinload(DirServiceAtLocation.location)
        .selectinload(DirLocation.addresses),
    ))  # fmt: skip
    return {r.id: r for r in rows}


def _terms(s: Session) -> list[str]:
    """The categories' names, offered as things to search for."""
    return list(s.scalars(select(DirTaxonomyTerm.name).distinct().order_by(DirTaxonomyTerm.name)))


def _example(s: Session) -> str:
    """A postcode from the lookup, written as people write it (the inward code apart)."""
    code = s.scalar(select(DirPostcode.postcode).order_by(DirPostcode.postcode).limit(1)) or ""
    return f"{code[:-3]} {code[-3:]}" if len(code) > 4 else code


def _back(request: Request, lang: Lang) -> str:
    """The search the person came from, when it was on this site; else a new search."""
    came = request.headers.get("referer", "")
    if came and urlsplit(came).netloc == request.url.netloc:
        return came
    tail = "" if lang.code == "en" else f"?lang={lang.code}"
    return f"{request.app.state.page['root']}/{tail}"


def service_page(
    request: Request, s: Db, sid: str, lang: Annotated[str, Query(max_length=5)] = ""
) -> HTMLResponse:
    speaks = youth_lang(lang)
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
    context = (
        request.app.state.page
        | speak(speaks)
        | {
            "languages": chooser(request, speaks),
            "service": row,
            "categories": [a.taxonomy_term.name for a in row.attributes],
            "stale": is_stale(row, request.app.state.today()),
            "back": _back(request, speaks),
        }
    )
    return PAGES.TemplateResponse(request, "youth_service.html", context)
