"""Records as Open Referral (HSDS 3) JSON: list items carry a record's one-to-one fields, single
records are fully nested. Empty optional fields are left out, as Open Referral UK asks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from vrukit.directory.models import (
    DirAttribute,
    DirLocation,
    DirOrganization,
    DirService,
    DirServiceAtLocation,
    DirTaxonomy,
    DirTaxonomyTerm,
    UnsafeLink,
    safe_link,
)

__all__ = [
    "HSDS_VERSION",
    "json_value",
    "location_json",
    "organization_json",
    "record_fields",
    "service_at_location_json",
    "service_json",
    "service_list_json",
    "taxonomy_json",
    "term_json",
]

HSDS_VERSION = "3.0"


def json_value(v: Any) -> Any:
    """A stored value as HSDS JSON writes it (times in UTC with milliseconds and Z)."""
    if isinstance(v, datetime):
        return v.isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, date):
        return v.isoformat()
    return v


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty optional fields (None, "", empty lists)."""
    return {k: json_value(v) for k, v in d.items() if v is not None and v != "" and v != []}


#: Fields that hold links: given out only when they are http(s), mailto or tel (one stored
#: before links were checked, or by hand in the database, is left out).
LINK_FIELDS = ("url", "website")


def record_fields(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """``names`` of a record (an ORM object or a row), empty ones and unsafe links left out."""
    out = {n: getattr(row, n) for n in names}
    for n in LINK_FIELDS:
        if out.get(n):
            try:
                out[n] = safe_link(n, out[n])
            except UnsafeLink:
                out[n] = None
    return _clean(out)


ORG_FIELDS = ("id", "name", "description", "email", "website")
SERVICE_FIELDS = (
    "id", "organization_id", "name", "description", "url", "email", "status",
    "eligibility_description", "minimum_age", "maximum_age", "fees_description",
    "assured_date", "assurer_email", "last_modified",
)  # fmt: skip
LOCATION_FIELDS = ("id", "location_type", "organization_id", "name", "latitude", "longitude")
ADDRESS_FIELDS = (
    "id", "location_id", "address_1", "city", "state_province", "postal_code", "country",
    "address_type",
)  # fmt: skip
TERM_FIELDS = ("id", "code", "name", "description", "taxonomy_id", "parent_id")
TAXONOMY_FIELDS = ("id", "name", "description", "uri", "version")


def organization_json(o: DirOrganization) -> dict[str, Any]:
    return record_fields(o, ORG_FIELDS)


def service_list_json(s: DirService) -> dict[str, Any]:
    """A service's one-to-one fields (``service_list`` in HSDS)."""
    return record_fields(s, SERVICE_FIELDS)


def location_json(loc: DirLocation) -> dict[str, Any]:
    out = record_fields(loc, LOCATION_FIELDS)
    addresses = [record_fields(a, ADDRESS_FIELDS) for a in loc.addresses]
    return out | ({"addresses": addresses} if addresses else {})


def term_json(t: DirTaxonomyTerm) -> dict[str, Any]:
    return record_fields(t, TERM_FIELDS)


def taxonomy_json(t: DirTaxonomy) -> dict[str, Any]:
    return record_fields(t, TAXONOMY_FIELDS)


def _attribute_json(a: DirAttribute) -> dict[str, Any]:
    return _clean({
        "id": a.id, "link_id": a.link_id, "link_type": a.link_type,
        "link_entity": a.link_entity, "taxonomy_term_id": a.taxonomy_term_id,
        "taxonomy_term": term_json(a.taxonomy_term),
    })  # fmt: skip


def service_at_location_json(sal: DirServiceAtLocation) -> dict[str, Any]:
    """A service at a location's own fields (a nested service adds its location)."""
    return _clean({"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id})


def service_json(s: DirService) -> dict[str, Any]:
    """A fully nested service: its organisation, locations with addresses, phones, schedules
    and taxonomy terms."""
    out = service_list_json(s)
    out["organization"] = organization_json(s.organization)
    nested = {
        "service_at_locations": [service_at_location_json(x) | {"location": location_json(
            x.location)} for x in s.at_locations],
        "phones": [_clean({"id": p.id, "service_id": p.service_id, "number": p.number})
                   for p in s.phones],
        "schedules": [_clean({"id": k.id, "service_id": k.service_id, "freq": k.freq,
                              "byday": k.byday, "opens_at": k.opens_at,
                              "closes_at": k.closes_at, "description": k.description})
                      for k in s.schedules],
        "attributes": [_attribute_json(a) for a in s.attributes],
    }  # fmt: skip
    return out | {k: v for k, v in nested.items() if v}
