"""The Youth Map's Open Referral UK (HSDS 3) API: read-only JSON, CORS open to every origin,
its OpenAPI document at ``/openapi.json``.

Lists come in the HSDS page envelope (``total_items``, ``total_pages``, ``page_number``,
``size``, ``first_page``, ``last_page``, ``empty``, ``contents``); pages count from 1.
``/service_at_locations?postcode=...`` orders results nearest first, with each one's
``distance`` in metres from the postcode's centroid, and ``proximity`` keeps those within that
many metres. Postcodes come from the lookup the VRU loads (``dir_postcode``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from vrukit.directory.hsds import (
    HSDS_VERSION,
    organization_json,
    service_at_location_json,
    service_json,
    service_list_json,
    taxonomy_json,
    term_json,
)
from vrukit.directory.models import (
    DirAttribute,
    DirLocation,
    DirOrganization,
    DirPostcode,
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
    TaxonomyPage,
    TaxonomyTermPage,
)
from vrukit.directory.search import EARTH_RADIUS, ages, distances
from vrukit.programme.db import engine, upgrade

__all__ = ["create_directory_app"]

MAX_PER_PAGE = 500
EXAMPLE_TIME = "2024-01-31T09:00:00Z"
router = APIRouter()


class Problem(BaseModel):
    detail: str


def _out(model: type[BaseModel], *codes: int) -> dict[str, Any]:
    """Route options: the response model (empty optional fields left out) and the documented
    error responses."""
    return {
        "response_model": model,
        "response_model_exclude_none": True,
        "responses": {c: {"model": Problem, "description": "Not found"} for c in codes},
    }


def create_directory_app(store_url: str, *, migrate: bool = True) -> FastAPI:
    """The directory API over the store at ``store_url``."""
    if migrate:
        upgrade(store_url)
    app = FastAPI(
        title="vrukit Youth Map: Open Referral UK API",
        version=HSDS_VERSION,
        description="Local youth services in the Human Services Data Specification (HSDS 3) "
        "as profiled by Open Referral UK. Read-only.",
    )
    app.state.maker = sessionmaker(engine(store_url))
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


def envelope(
    contents: list[dict[str, Any]], total: int, page: int, per_page: int
) -> dict[str, Any]:
    """The HSDS page envelope around one page of ``contents``."""
    pages = math.ceil(total / per_page)
    return {
        "total_items": total, "total_pages": pages, "page_number": page,
        "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
        "empty": not contents, "contents": contents,
    }  # fmt: skip


def _page(s: Session, q: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    rows = s.scalars(q.offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


@router.get("/", summary="About this API and its relationship with HSDS", **_out(About))
def about(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "version": HSDS_VERSION,
        "profile": "https://openreferral.org.uk/",
        "openapi_url": f"{base}/openapi.json",
        "description": "Youth Map: local voluntary and community youth support services, "
        "verified by locally trusted organisations.",
    }


@router.get("/services", summary="Services, one-to-one fields, paginated", **_out(ServicePage))
def services(
    s: Db,
    search: Annotated[str | None, Query(max_length=200, description="Words in the name or "
                                        "description.")] = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: Annotated[datetime | None, BeforeValidator(_iso_only), Query(
        description="Services changed at or after this ISO 8601 date-time.")] = None,
    minimum_age: Annotated[int | None, Query(ge=0, le=130, description="Services open to "
                                             "people of at least this age.")] = None,
    maximum_age: Annotated[int | None, Query(ge=0, le=130, description="Services open to "
                                             "people of at most this age.")] = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:  # fmt: skip
    q = _words(select(DirService).order_by(DirService.name, DirService.id), search)
    if taxonomy_term_id or taxonomy_id:
        terms = select(DirAttribute.link_id).join(DirTaxonomyTerm)
        if taxonomy_term_id:
            terms = terms.where(DirAttribute.taxonomy_term_id == taxonomy_term_id)
        if taxonomy_id:
            terms = terms.where(DirTaxonomyTerm.taxonomy_id == taxonomy_id)
        q = q.where(DirService.id.in_(terms))
    if organization_id:
        q = q.where(DirService.organization_id == organization_id)
    if modified_after:
        if modified_after.tzinfo is not None:  # stored times are UTC without a zone
            modified_after = modified_after.astimezone(UTC).replace(tzinfo=None)
        q = q.where(DirService.last_modified >= modified_after)
    rows, total = _page(s, ages(q, minimum_age, maximum_age), page, per_page)
    return envelope([service_list_json(r) for r in rows], total, page, per_page)


def _words(q: Select[Any], search: str | None) -> Select[Any]:
    """Services with every word of ``search`` in their name or description."""
    for word in (search or "").lower().split():
        like = f"%{word}%"
        q = q.where(or_(func.lower(DirService.name).like(like),
                        func.lower(DirService.description).like(like)))  # fmt: skip
    return q


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
def service_at_locations(
    s: Db,
    postcode: Annotated[str | None, Query(max_length=10, description="Order by distance "
                                          "from this postcode's centroid.")] = None,
    proximity: Annotated[float | None, Query(gt=0, le=200_000, description="Only within this "
                                             "many metres of the postcode (ignored without "
                                             "one).")] = None,
    taxonomy_term_id: str | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:  # fmt: skip
    q = select(DirServiceAtLocation).options(
        selectinload(DirServiceAtLocation.location).selectinload(DirLocation.addresses),
        selectinload(DirServiceAtLocation.service),
    )
    if taxonomy_term_id:
        q = q.where(DirServiceAtLocation.service_id.in_(
            select(DirAttribute.link_id).where(DirAttribute.taxonomy_term_id == taxonomy_term_id)
        ))  # fmt: skip
    if postcode is None:
        rows, total = _page(s, q.order_by(DirServiceAtLocation.id), page, per_page)
        return envelope([service_at_location_json(r, nested=True) for r in rows], total, page,
                        per_page)  # fmt: skip
    found = s.get(DirPostcode, normalise_postcode(postcode))
    if found is None:
        raise HTTPException(404, f"postcode {postcode!r} is not in the directory's lookup")
    return _nearest(s, q, found, proximity, page, per_page)


def _nearest(
    s: Session, q: Select[Any], origin: DirPostcode, proximity: float | None, page: int,
    per_page: int,
) -> dict[str, Any]:  # fmt: skip
    """Services at locations nearest the postcode first; a bounding box narrows the rows read
    when ``proximity`` is given, the exact great-circle distance decides."""
    q = q.join(DirLocation, DirLocation.id == DirServiceAtLocation.location_id).where(
        DirLocation.latitude.is_not(None), DirLocation.longitude.is_not(None)
    )
    if proximity is not None:
        dlat = math.degrees(proximity / EARTH_RADIUS)
        dlon = dlat / max(math.cos(math.radians(origin.latitude)), 1e-6)
        q = q.where(DirLocation.latitude.between(origin.latitude - dlat, origin.latitude + dlat),
                    DirLocation.longitude.between(origin.longitude - dlon,
                                                  origin.longitude + dlon))  # fmt: skip
    ids = s.execute(q.with_only_columns(DirServiceAtLocation.id, DirLocation.latitude,
                                        DirLocation.longitude)).all()  # fmt: skip
    if not ids:
        return envelope([], 0, page, per_page)
    lat = np.array([r[1] for r in ids])
    lon = np.array([r[2] for r in ids])
    dist = distances(origin.latitude, origin.longitude, lat, lon)
    order = np.lexsort(([r[0] for r in ids], dist))
    if proximity is not None:
        order = order[dist[order] <= proximity]
    chosen = order[(page - 1) * per_page : page * per_page]
    wanted = {ids[k][0]: float(dist[k]) for k in chosen}
    rows = {r.id: r for r in s.scalars(q.where(DirServiceAtLocation.id.in_(wanted)))}
    contents = [service_at_location_json(rows[i], nested=True, distance=d)
                for i, d in wanted.items()]  # fmt: skip
    return envelope(contents, len(order), page, per_page)
