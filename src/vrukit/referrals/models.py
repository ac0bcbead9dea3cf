"""The referral system's tables, in the programme store beside the registry and the Youth Map.

A **pathway** (custody reachable moment, IRIS, resettlement...) says who may be referred, to
which organisation and services, and the steps with their target times. A **referral** carries
only pseudonymous facts (age, sex, prior offences, home area) in the clear; the person is a
**subject** whose identifying details are sealed (``crypto.Keyring``) and readable only by the
organisations on one of their referrals. Every change of status is an event with its time;
consent is a history of events; outcomes are recorded at 3, 6 and 12 months.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrukit.programme.models import Base, one_of

__all__ = [
    "CLOSED",
    "OUTCOMES",
    "SETTINGS",
    "SEXES",
    "STATUSES",
    "TRANSITIONS",
    "AreaDeprivation",
    "Pathway",
    "RefConsent",
    "RefEvent",
    "RefOutcome",
    "Referral",
    "Subject",
]

#: Where a referral comes from.
SETTINGS = ("custody", "a&e", "gp", "school", "sports", "community", "self")
SEXES = ("female", "male", "other", "not_known")
#: A referral's statuses, in workflow order.
STATUSES = (
    "received", "accepted", "not_accepted", "contacted", "engaged", "declined", "unreachable",
    "referred_on", "closed",
)  # fmt: skip
#: Which status may follow which. ``not_accepted`` is the provider declining the referral (with a
#: reason); ``declined`` is the young person declining the offer.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("accepted", "contacted", "not_accepted", "referred_on"),
    "accepted": ("contacted", "unreachable", "referred_on"),
    "contacted": ("engaged", "declined", "unreachable", "referred_on"),
    "engaged": ("closed", "referred_on"),
    "declined": ("closed",),
    "unreachable": ("closed",),
    "not_accepted": (),
    "referred_on": (),
    "closed": (),
}
#: Statuses after which nothing more happens.
CLOSED = tuple(k for k, v in TRANSITIONS.items() if not v)
#: How a young person is doing at 3, 6 and 12 months.
OUTCOMES = ("improved", "no_change", "worse", "not_known")


class Pathway(Base):
    """A referral pathway, defined as data: ``steps`` is a list of ``{status, within_hours,
    records}`` (the status to reach, its target time from receipt, what it must record);
    ``needs`` the needs it assesses; ``service_ids`` the Youth Map services it refers to."""

    __tablename__ = "ref_pathway"
    __table_args__ = (CheckConstraint(one_of("source_setting", SETTINGS), name="setting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source_setting: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    criteria: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    service_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Whether re-offending is followed up (criminal-justice pathways).
    follows_reoffending: Mapped[bool] = mapped_column(Boolean, default=False)


class Subject(Base):
    """A person referred: a random pseudonym, and identifying details sealed with a key held
    outside the database (``identity``; emptied by retention, ``identity_deleted_at`` says when).
    ``match_key`` is a keyed hash of name and date of birth, for spotting a referral again."""

    __tablename__ = "ref_subject"
    __table_args__ = (CheckConstraint(one_of("consent", ("given", "withdrawn")), name="consent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(12), unique=True)
    identity: Mapped[bytes | None] = mapped_column(LargeBinary)
    match_key: Mapped[str | None] = mapped_column(String(64), index=True)
    identity_deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The latest ``ref_consent``'s answer, kept here so every export and analysis filters on it.
    consent: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RefConsent(Base):
    """Consent given or withdrawn: when, by whom it was recorded, on which referral."""

    __tablename__ = "ref_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("ref_subject.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    given: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[Subject] = relationship()
    referral: Mapped[Referral | None] = relationship()


class Referral(Base):
    """One referral of one subject on one pathway, from one organisation to another."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("sex", SEXES), name="sex"),
        CheckConstraint("age BETWEEN 0 AND 130", name="age"),
        CheckConstraint("prior_offences IS NULL OR prior_offences >= 0", name="prior"),
        CheckConstraint("imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", name="decile"),
        CheckConstraint(
            "duplicate_status IS NULL OR duplicate_status IN ('pending', 'same', 'different')",
            name="duplicate",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("ref_pathway.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("ref_subject.id"), index=True)
    referring_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    referrer_role: Mapped[str] = mapped_column(String(100))
    referred_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    receiving_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("dir_service.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))
    status_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    age: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(10))
    prior_offences: Mapped[int | None] = mapped_column(Integer)
    lsoa_code: Mapped[str | None] = mapped_column(String(10))
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    referred_on_from_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    duplicate_status: Mapped[str | None] = mapped_column(String(10))

    subject: Mapped[Subject] = relationship()
    events: Mapped[list[RefEvent]] = relationship(order_by="RefEvent.id")
    outcomes: Mapped[list[RefOutcome]] = relationship(order_by="RefOutcome.months")


class RefEvent(Base):
    """One change of a referral's status, with its time and what the step recorded."""

    __tablename__ = "ref_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RefOutcome(Base):
    """How the young person was doing ``months`` (3, 6 or 12) after referral; re-offending
    where known."""

    __tablename__ = "ref_outcome"
    __table_args__ = (
        CheckConstraint("months IN (3, 6, 12)", name="months"),
        CheckConstraint(one_of("outcome", OUTCOMES), name="outcome"),
    )

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), primary_key=True)
    months: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    reoffended: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class AreaDeprivation(Base):
    """An LSOA's IoD2019 deprivation decile (1 = most deprived), for the referrals' home areas."""

    __tablename__ = "area_deprivation"

    lsoa_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    imd_decile: Mapped[int] = mapped_column(Integer)
