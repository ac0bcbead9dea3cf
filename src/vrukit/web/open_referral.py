"""The Youth Map's Open Referral UK (HSDS 3) API: read-only JSON, CORS open to every origin,
its OpenAPI document at ``/openapi.json``.

Lists come in the HSDS page envelope (``total_items``, ``total_pages``, ``page_number``,
``size``, ``first_page``, ``last_page``, ``empty``, ``contents``); pages count from 1.
``/service_at_locations?postcode=...`` orders results nearest first, with each one's
``distance`` in metres from the postcode's centroid, and ``proximity`` keeps those within that
many metres. Postcodes come from the lookup the VRU loads (``dir_postcode``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from vrukit.directory.hsds import (
    HSDS_VERSION,
    organization_json,
    service_json,
    service_list_json,
    taxonomy_json,
    term_json,
)
from vrukit.directory.index import DirectoryIndex, Snapshot, When, envelope, page_json
from vrukit.directory.models import (
    DirAttribute,
    DirLocation,
    DirOrganization,
    DirService,
    DirServiceAtLocation,
    DirTaxonomy,
    DirTaxonomyTerm,
    normalise_postcode,
)
from vrukit.directory.schema import (
    About,
    OrganizationPage,
    OrganizationWithServices,
    ServiceAtLocationPage,
    ServiceOut,
    ServicePage,
    TaxonomyOut,
    TaxonomyPage,
    TaxonomyTermOut,
    TaxonomyTermPage,
)
from vrukit.programme.db import engine, upgrade

__all__ = ["create_directory_app"]

MAX_PER_PAGE = 500
EXAMPLE_TIME = "2024-01-31T09:00:00Z"
router = APIRouter()


class Problem(BaseModel):
    detail: str


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _known_only(request: Request) -> None:
    """Refuse a query parameter the endpoint does not declare (400): a misspelt filter that was
    silently ignored gave every service and looked like an answer."""
    route = request.scope.get("route")
    if route is None:
        return
    declared = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        takes = ", ".join(sorted(declared)) or "no parameters"
        raise HTTPException(400, f"unknown parameter {unknown[0]!r}: this endpoint takes {takes}")


def _out(model: type[BaseModel], *codes: int) -> dict[str, Any]:
    """Route options: the response model (empty optional fields left out), the documented
    error responses, and unknown query parameters refused."""
    return {
        "response_model": model,
        "response_model_exclude_none": True,
        "responses": {c: {"model": Problem, "description": "Not found"} for c in codes}
        | {400: {"model": Problem, "description": "A query parameter this endpoint does not take"}},
        "dependencies": [Depends(_known_only)],
    }


def _time(v: str | None) -> str | None:
    """A time of day as the sessions store it (HH:MM), from HH:MM or HH:MM:SS."""
    return v[:5] if v else None


MinimumAge = Annotated[
    int | None, Query(ge=0, le=130, description="Services open to people of at least this age.")
]
MaximumAge = Annotated[int | None, Query(ge=0, le=130, description="Services open to people "
                                         "of at most this age.")]  # fmt: skip
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
Day = Annotated[
    Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None,
    Query(
        description="Services with a weekly session on this day (MO ... SU, as HSDS schedules "
        "write days)."
    ),
]
StartTime = Annotated[
    str | None,
    Query(
        pattern=TIME, description="Services with a session starting at or after this time (HH:MM)."
    ),
]
EndTime = Annotated[str | None, Query(pattern=TIME, description="Services with a session "
                                      "ending at or before this time (HH:MM).")]  # fmt: skip


def create_directory_app(
    store_url: str, *, migrate: bool = True, check_every: float = 1.0
) -> FastAPI:
    """The directory API over the store at ``store_url``. Searches read an in-memory index
    that follows the store within ``check_every`` seconds of a change."""
    if migrate:
        upgrade(store_url)
    app = FastAPI(
        title="vrukit Youth Map: Open Referral UK API",
        version=HSDS_VERSION,
        description="Local youth services in the Human Services Data Specification (HSDS 3) "
        "as profiled by Open Referral UK. Read-only.",
        # the interactive pages load their scripts from a CDN, which the CSP (rightly) blocks
        # and a deployment may not reach; the machine-readable /openapi.json stays
        docs_url=None,
        redoc_url=None,
    )
    app.state.maker = sessionmaker(engine(store_url))
    app.state.index = DirectoryIndex(app.state.maker, check_every)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"],
                       allow_headers=["*"])  # fmt: skip
    app.include_router(router)
    return app


def _db(request: Request) -> Iterator[Session]:
    with request.app.state.maker() as s:
        yield s


Db = Annotated[Session, Depends(_db)]
Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPage = Annotated[
    int, Query(ge=1, le=MAX_PER_PAGE, description=f"Results per page (at most {MAX_PER_PAGE}).")
]


def _iso_only(v: object) -> object:
    """An ISO 8601 date-time, not the Unix timestamp pydantic would otherwise read a number as."""
    if isinstance(v, str):
        try:
            datetime.fromisoformat(v if any(c in v for c in "-:") else "not extended form")
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date-time such as {EXAMPLE_TIME}") from None
    return v


def _page(s: Session, q: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    rows = s.scalars(q.offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


@router.get("/", summary="About this API and its relationship with HSDS", **_out(About))
def about(request: Request) -> dict[str, Any]:
    # where this app is mounted (vrukit serve puts it at /api): the document is beside it
    base = str(request.base_url).rstrip("/") + request.scope.get("root_path", "").rstrip("/")
    return {
        "version": HSDS_VERSION,
        "profile": "https://openreferral.org.uk/",
        "openapi_url": f"{base}/openapi.json",
        "description": "Youth Map: local voluntary and community youth support services, "
        "verified by locally trusted organisations.",
    }


@router.get("/services", summary="Services, one-to-one fields, paginated", **_out(ServicePage))
async def services(
    snap: Index,
    search: Annotated[str | None, Query(max_length=200, description="Words in the name or "
                                        "description.")] = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: Annotated[datetime | None, BeforeValidator(_iso_only), Query(
        description="Services changed at or after this ISO 8601 date-time.")] = None,
    minimum_age: MinimumAge = None,
    maximum_age: MaximumAge = None,
    day: Day = None,
    start_time: StartTime = None,
    end_time: EndTime = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> Response:  # fmt: skip
    if modified_after and modified_after.tzinfo is not None:  # stored times: UTC, no zone
        modified_after = modified_after.astimezone(UTC).replace(tzinfo=None)
    found = snap.services(
        words=(search or "").lower().split(), term=taxonomy_term_id or None,
        taxonomy=taxonomy_id or None, organization=organization_id or None,
        modified_after=modified_after, minimum_age=minimum_age, maximum_age=maximum_age,
        when=When(day, _time(start_time), _time(end_time)),
    )  # fmt: skip
    chosen = found[(page - 1) * per_page : page * per_page]
    return _json(page_json([snap.service_raw[k] for k in chosen], len(found), page, per_page))


def _json(body: str) -> Response:
    """A page the search index has already serialised: FastAPI's response model still
    documents it in the OpenAPI document (and schemathesis checks it against that), but it is
    not validated and encoded again on every request."""
    return Response(body, media_type="application/json")


async def _index(request: Request) -> Snapshot:
    """The search index; checking the store (and any rebuild) happens off the event loop."""
    index: DirectoryIndex = request.app.state.index
    snap = index.fresh()
    if snap is None:
        snap = await run_in_threadpool(index.current)
    return snap


Index = Annotated[Snapshot, Depends(_index)]


@router.get("/services/{id}", summary="One service, fully nested", **_out(ServiceOut, 404))
def service(s: Db, id: str) -> dict[str, Any]:
    row = s.scalars(
        select(DirService).where(DirService.id == id).options(
            selectinload(DirService.organization),
            selectinload(DirService.at_locations).selectinload(DirServiceAtLocation.location)
            .selectinload(DirLocation.addresses),
            selectinload(DirService.phones), selectinload(DirService.schedules),
            selectinload(DirService.attributes).selectinload(DirAttribute.taxonomy_term),
        )
    ).first()  # fmt: skip
    if row is None:
        raise HTTPException(404, f"no service {id}")
    return service_json(row)


@router.get("/organizations", summary="Organisations, paginated", **_out(OrganizationPage))
def organizations(
    s: Db, search: Annotated[str | None, Query(max_length=200)] = None, page: Page = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:  # fmt: skip
    q = select(DirOrganization).order_by(DirOrganization.name, DirOrganization.id)
    if search:
        q = q.where(func.lower(DirOrganization.name).like(f"%{search.lower()}%"))
    rows, total = _page(s, q, page, per_page)
    return envelope([organization_json(r) for r in rows], total, page, per_page)


@router.get(
    "/organizations/{id}",
    summary="One organisation with its services",
    **_out(OrganizationWithServices, 404),
)
def organization(s: Db, id: str) -> dict[str, Any]:
    row = s.get(DirOrganization, id)
    if row is None:
        raise HTTPException(404, f"no organization {id}")
    return organization_json(row) | {"services": [service_list_json(x) for x in row.services]}


@router.get("/taxonomies", summary="Taxonomies, paginated", **_out(TaxonomyPage))
def taxonomies(s: Db, page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    rows, total = _page(s, select(DirTaxonomy).order_by(DirTaxonomy.name), page, per_page)
    return envelope([taxonomy_json(r) for r in rows], total, page, per_page)


@router.get("/taxonomies/{id}", summary="One taxonomy", **_out(TaxonomyOut, 404))
def taxonomy(s: Db, id: str) -> dict[str, Any]:
    row = s.get(DirTaxonomy, id)
    if row is None:
        raise HTTPException(404, f"no taxonomy {id}")
    return taxonomy_json(row)


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term", **_out(TaxonomyTermOut, 404))
def taxonomy_term(s: Db, id: str) -> dict[str, Any]:
    row = s.get(DirTaxonomyTerm, id)
    if row is None:
        raise HTTPException(404, f"no taxonomy term {id}")
    return term_json(row)


@router.get(
    "/service_at_locations/{id}",
    summary="The fully nested service at one of its locations",
    **_out(ServiceOut, 404),
)
def service_at_location(s: Db, id: str) -> dict[str, Any]:
    """The profile's response for this path is a fully nested service (compiled/service.json):
    the service offered at this location, with this service-at-location alone."""
    sal = s.get(DirServiceAtLocation, id)
    if sal is None:
        raise HTTPException(404, f"no service at location {id}")
    whole = service(s, sal.service_id)
    whole["service_at_locations"] = [x for x in whole.get("service_at_locations", [])
                                     if x.get("id") == id]  # fmt: skip
    return whole


@router.get("/taxonomy_terms", summary="Taxonomy terms, paginated", **_out(TaxonomyTermPage))
def taxonomy_terms(
    s: Db, taxonomy_id: str | None = None, page: Page = 1, per_page: PerPage = 50
) -> dict[str, Any]:
    q = select(DirTaxonomyTerm).order_by(DirTaxonomyTerm.name, DirTaxonomyTerm.id)
    if taxonomy_id:
        q = q.where(DirTaxonomyTerm.taxonomy_id == taxonomy_id)
    rows, total = _page(s, q, page, per_page)
    return envelope([term_json(r) for r in rows], total, page, per_page)


@router.get(
    "/service_at_locations",
    summary="Services at locations; by postcode, nearest first",
    **_out(ServiceAtLocationPage, 404),
)
async def service_at_locations(
    snap: Index,
    postcode: Annotated[str | None, Query(max_length=10, description="Order by distance "
                                          "from this postcode's centroid.")] = None,
    proximity: Annotated[float | None, Query(gt=0, le=200_000, description="Only within this "
                                             "many metres of the postcode (ignored without "
                                             "one).")] = None,
    taxonomy_term_id: str | None = None,
    search: Annotated[str | None, Query(max_length=200, description="Words in the service's "
                                        "name or description.")] = None,
    taxonomy_id: str | None = None,
    minimum_age: MinimumAge = None,
    maximum_age: MaximumAge = None,
    day: Day = None,
    start_time: StartTime = None,
    end_time: EndTime = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> Response:  # fmt: skip
    rows = snap.at_locations(
        taxonomy_term_id or None, words=(search or "").lower().split(),
        taxonomy=taxonomy_id or None, minimum_age=minimum_age, maximum_age=maximum_age,
        when=When(day, _time(start_time), _time(end_time)),
    )  # fmt: skip
    if postcode is None:
        chosen = rows[(page - 1) * per_page : page * per_page]
        return _json(page_json([snap.sal_raw[k] for k in chosen], len(rows), page, per_page))
    origin = snap.postcodes.get(normalise_postcode(postcode))
    if origin is None:
        raise HTTPException(404, f"postcode {postcode!r} is not in the directory's lookup")
    rows, d = snap.nearest(rows, *origin, proximity)
    window = slice((page - 1) * per_page, page * per_page)
    raw = [snap.sal_raw[k] for k in rows[window]]
    return _json(page_json(raw, len(rows), page, per_page,
                           [f'"distance":{round(float(m), 1)!r}' for m in d[window]]))  # fmt: skip
