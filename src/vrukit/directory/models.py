"""The Youth Map's tables: the Open Referral (HSDS 3 / Open Referral UK) core, kept in the
programme store beside the registry so services can link to places and interventions.

Table and column names follow HSDS (``dir_`` in front of each table, to keep them apart from the
registry's British-spelt ``organisation``); identifiers are HSDS's UUID strings, so records keep
their identity when they are exported to, or imported from, another council's directory.
Locations carry WGS84 latitude/longitude, as HSDS does. ``dir_postcode`` is the user-supplied
postcode lookup the search uses (the demo region ships its own, fictional, postcodes).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from vrukit.errors import VrukitError
from vrukit.programme.models import Base, one_of

__all__ = [
    "EDIT_STATUSES",
    "LINK_SCHEMES",
    "LOCATION_TYPES",
    "SERVICE_STATUSES",
    "DirAddress",
    "DirAttribute",
    "DirEdit",
    "DirLocation",
    "DirOrganization",
    "DirPhone",
    "DirPostcode",
    "DirSchedule",
    "DirService",
    "DirServiceAtLocation",
    "DirState",
    "DirTaxonomy",
    "DirTaxonomyTerm",
    "UnsafeLink",
    "normalise_postcode",
    "safe_link",
]

#: HSDS ``service.status`` values.
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
#: What a proposed change to a listing can be, and where its moderation stands.
EDIT_STATUSES = ("pending", "approved", "rejected")
#: HSDS ``location.location_type`` values.
LOCATION_TYPES = ("physical", "postal", "virtual")
_ID = 36  # a UUID as text


#: The link schemes a listing may carry; anything else (javascript:, data:, vbscript:, file:)
#: could run in, or take over, the page of whoever clicks it.
LINK_SCHEMES = ("http", "https", "mailto", "tel")
_BARE_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?(/|$)")


class UnsafeLink(VrukitError, ValueError):
    """A stored link whose scheme is not one of ``LINK_SCHEMES``."""


def safe_link(field: str, value: str | None) -> str | None:
    """``value`` stripped, if it is empty or an http(s), mailto or tel link; else UnsafeLink.

    Browsers ignore tabs, newlines and leading control characters in a scheme
    ("java\tscript:"), so they are taken out before the scheme is read.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    bare = "".join(ch for ch in text if ch > " " and ch != "\x7f").lower()
    if _BARE_HOST.match(bare):  # "www.example.org/x", as directories often hold them
        text, bare = "https://" + text, "https://" + bare
    scheme = bare.split(":", 1)[0] if ":" in bare else ""
    if scheme not in LINK_SCHEMES or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise UnsafeLink(
            f"{field} {value[:80]!r} is not a link vrukit stores: give a web address starting "
            "https:// (or http://), or a mailto: or tel: link"
        )
    if any(ch < " " or ch == "\x7f" for ch in text):
        raise UnsafeLink(f"{field} {value[:80]!r} holds control characters")
    return text


class DirOrganization(Base):
    """An organisation that provides services. ``trusted`` organisations verify entries."""

    __tablename__ = "dir_organization"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    last_modified: Mapped[datetime] = mapped_column(DateTime)

    services: Mapped[list[DirService]] = relationship(back_populates="organization")

    @validates("website")
    def _website(self, key: str, value: str | None) -> str | None:
        return safe_link("website", value)


#: A service's ages and a location's coordinates, as the store keeps them (migration 0013).
AGES_IN_RANGE = ("(minimum_age IS NULL OR minimum_age BETWEEN 0 AND 130) AND "
                 "(maximum_age IS NULL OR maximum_age BETWEEN 0 AND 130)")  # fmt: skip
ON_EARTH = ("(latitude IS NULL OR latitude BETWEEN -90 AND 90) AND "
            "(longitude IS NULL OR longitude BETWEEN -180 AND 180)")  # fmt: skip


class DirService(Base):
    """A service. ``assured_date`` is when it was last verified, ``assurer_email`` by whom."""

    __tablename__ = "dir_service"
    __table_args__ = (
        CheckConstraint(one_of("status", SERVICE_STATUSES), name="status"),
        CheckConstraint(
            "minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age", name="ages"
        ),
        CheckConstraint(AGES_IN_RANGE, name="age_range"),
        Index("ix_dir_service_last_modified", "last_modified"),
    )

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("dir_organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    fees_description: Mapped[str | None] = mapped_column(Text)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[datetime] = mapped_column(DateTime)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))

    organization: Mapped[DirOrganization] = relationship(back_populates="services")
    at_locations: Mapped[list[DirServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    phones: Mapped[list[DirPhone]] = relationship(cascade="all, delete-orphan")
    schedules: Mapped[list[DirSchedule]] = relationship(cascade="all, delete-orphan")
    attributes: Mapped[list[DirAttribute]] = relationship(
        cascade="all, delete-orphan",
        primaryjoin="DirService.id == foreign(DirAttribute.link_id)",
    )

    @validates("url")
    def _url(self, key: str, value: str | None) -> str | None:
        return safe_link("url", value)


class DirLocation(Base):
    """Where services are delivered (WGS84), with the LSOA it falls in when known."""

    __tablename__ = "dir_location"
    __table_args__ = (
        CheckConstraint(one_of("location_type", LOCATION_TYPES), name="location_type"),
        CheckConstraint(ON_EARTH, name="coordinates"),  # PostgreSQL's NaN is outside too
        Index("ix_dir_location_lat_lon", "latitude", "longitude"),
    )

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("dir_organization.id"))
    name: Mapped[str | None] = mapped_column(String(300))
    location_type: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    lsoa_code: Mapped[str | None] = mapped_column(String(10))

    addresses: Mapped[list[DirAddress]] = relationship(cascade="all, delete-orphan")


class DirAddress(Base):
    __tablename__ = "dir_address"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("dir_location.id"), index=True)
    address_1: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    state_province: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2))
    address_type: Mapped[str] = mapped_column(String(10))


class DirServiceAtLocation(Base):
    __tablename__ = "dir_service_at_location"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("dir_location.id"), index=True)

    service: Mapped[DirService] = relationship(back_populates="at_locations")
    location: Mapped[DirLocation] = relationship()


class DirPhone(Base):
    __tablename__ = "dir_phone"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))


class DirSchedule(Base):
    """When a service runs: an RFC 5545 weekly rule (``byday``) with opening times."""

    __tablename__ = "dir_schedule"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id"), index=True)
    freq: Mapped[str] = mapped_column(String(10))
    byday: Mapped[str] = mapped_column(String(30))
    opens_at: Mapped[str] = mapped_column(String(10))
    closes_at: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text)


class DirTaxonomy(Base):
    __tablename__ = "dir_taxonomy"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(20))


class DirTaxonomyTerm(Base):
    __tablename__ = "dir_taxonomy_term"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    code: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    taxonomy_id: Mapped[str | None] = mapped_column(ForeignKey("dir_taxonomy.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("dir_taxonomy_term.id"))


class DirAttribute(Base):
    """A taxonomy term applied to a service (HSDS ``attribute``)."""

    __tablename__ = "dir_attribute"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(_ID), index=True)
    link_type: Mapped[str | None] = mapped_column(String(50))
    link_entity: Mapped[str] = mapped_column(String(30))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("dir_taxonomy_term.id"), index=True)

    taxonomy_term: Mapped[DirTaxonomyTerm] = relationship()


def normalise_postcode(text: str) -> str:
    """A postcode as ``dir_postcode`` keeps it: upper case, no spaces."""
    return "".join(text.split()).upper()


class DirPostcode(Base):
    """A postcode's centroid (WGS84). Postcodes are stored upper-case without spaces."""

    __tablename__ = "dir_postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    lsoa_code: Mapped[str | None] = mapped_column(String(10))


class DirState(Base):
    """One row: the directory's version, bumped by every load, verification and approved edit,
    so readers holding a copy in memory (the API's search index) know when to refresh it."""

    __tablename__ = "dir_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class DirEdit(Base):
    """A change to a service proposed by someone who may not make it directly: held until a
    trusted organisation (or an admin) approves or rejects it. ``changes`` maps each field to
    its proposed value; ``before`` keeps the values it would replace."""

    __tablename__ = "dir_edit"
    __table_args__ = (CheckConstraint(one_of("status", EDIT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"),
                                            index=True)  # fmt: skip
    changes: Mapped[dict[str, object]] = mapped_column(JSON)
    before: Mapped[dict[str, object]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
