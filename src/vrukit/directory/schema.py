"""The API's response shapes: the HSDS 3 records Open Referral UK profiles, as pydantic models.
They are what the OpenAPI document at ``/openapi.json`` publishes, so a client (or schemathesis)
can check every response against it. Optional fields are left out when empty, never sent as
``null``: the routes serialise with ``response_model_exclude_none``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "About",
    "OrganizationOut",
    "OrganizationPage",
    "OrganizationWithServices",
    "ServiceAtLocationOut",
    "ServiceAtLocationPage",
    "ServiceListOut",
    "ServiceOut",
    "ServicePage",
    "TaxonomyOut",
    "TaxonomyPage",
    "TaxonomyTermOut",
    "TaxonomyTermPage",
]

Status = Literal["active", "inactive", "defunct", "temporarily closed"]


class _Out(BaseModel):
    model_config = {"extra": "forbid"}


class About(_Out):
    version: str = Field(description="The HSDS version this API follows.")
    profile: str = Field(description="The HSDS profile: Open Referral UK.")
    openapi_url: str
    description: str


class OrganizationOut(_Out):
    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None


class ServiceListOut(_Out):
    """A service's one-to-one fields."""

    id: str
    organization_id: str
    name: str
    status: Status
    description: str | None = None
    url: str | None = None
    email: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = Field(None, ge=0)
    maximum_age: int | None = Field(None, ge=0)
    fees_description: str | None = None
    assured_date: date | None = Field(None, description="When the service was last verified.")
    assurer_email: str | None = Field(None, description="Who verified it (a trusted body).")
    last_modified: datetime


class OrganizationWithServices(OrganizationOut):
    services: list[ServiceListOut] | None = None


class AddressOut(_Out):
    id: str
    location_id: str
    address_1: str
    city: str
    state_province: str
    postal_code: str
    country: str
    address_type: str


class LocationOut(_Out):
    id: str
    location_type: Literal["physical", "postal", "virtual"]
    organization_id: str | None = None
    name: str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    addresses: list[AddressOut] | None = None


class TaxonomyOut(_Out):
    id: str
    name: str
    description: str
    uri: str | None = None
    version: str | None = None


class TaxonomyTermOut(_Out):
    id: str
    name: str
    description: str
    code: str | None = None
    taxonomy_id: str | None = None
    parent_id: str | None = None


class PhoneOut(_Out):
    id: str
    service_id: str
    number: str


class ScheduleOut(_Out):
    id: str
    service_id: str
    freq: str | None = None
    byday: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    description: str | None = None


class AttributeOut(_Out):
    id: str
    link_id: str
    link_entity: str
    taxonomy_term_id: str
    link_type: str | None = None
    taxonomy_term: TaxonomyTermOut | None = None


class ServiceAtLocationOut(_Out):
    id: str
    service_id: str
    location_id: str
    location: LocationOut | None = None
    service: ServiceListOut | None = None
    distance: float | None = Field(
        None, ge=0, description="Metres from the searched postcode's centroid."
    )


class ServiceOut(ServiceListOut):
    """A service fully nested."""

    organization: OrganizationOut
    service_at_locations: list[ServiceAtLocationOut] | None = None
    phones: list[PhoneOut] | None = None
    schedules: list[ScheduleOut] | None = None
    attributes: list[AttributeOut] | None = None


class _Page(_Out):
    total_items: int = Field(ge=0)
    total_pages: int = Field(ge=0)
    page_number: int = Field(ge=1)
    size: int = Field(ge=0)
    first_page: bool
    last_page: bool
    empty: bool


class ServicePage(_Page):
    contents: list[ServiceListOut]


class OrganizationPage(_Page):
    contents: list[OrganizationOut]


class TaxonomyPage(_Page):
    contents: list[TaxonomyOut]


class TaxonomyTermPage(_Page):
    contents: list[TaxonomyTermOut]


class ServiceAtLocationPage(_Page):
    contents: list[ServiceAtLocationOut]
