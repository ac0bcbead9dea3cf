"""The significant-incident response's tables (the seed report's surge support).

An **incident** is recorded by the VRU's staff: when, where (a point, the place it falls in),
what kind, and a short summary that names no one: no victim, suspect or witness identity is
asked for or kept. Its **checklist** records when each step of the response was done and by
whom; its **offer** the Youth Map services and referral pathways put forward; its **uptake** what
the surge offer reached afterwards. Nothing here is ever published: the open site, the Youth Map
and the API never import this package (an import-linter contract says so).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrukit.programme.models import Base, one_of

__all__ = [
    "CHECKLIST",
    "INCIDENT_KINDS",
    "Incident",
    "IncidentOffer",
    "IncidentStep",
    "IncidentUptake",
]

INCIDENT_KINDS = ("homicide", "stabbing", "shooting", "serious_assault", "disorder", "other")
#: The response's steps, in the order they are usually done: (key, what the step is).
CHECKLIST = (
    ("partners_alerted", "Partners alerted"),
    ("tension_assessed", "Community tension assessed with the police"),
    ("outreach_deployed", "Detached and outreach youth workers deployed"),
    ("schools_informed", "Schools and colleges nearby informed"),
    ("surge_offer_agreed", "Surge offer agreed with services and pathways"),
    ("community_reassurance", "Community reassurance given"),
    ("debrief_held", "Debrief held and lessons recorded"),
)


class Incident(Base):
    """A significant incident: time, point, kind, the place it falls in; no one's identity."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(one_of("kind", INCIDENT_KINDS), name="kind"),
        CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="point"
        ),
        CheckConstraint("radius_m BETWEEN 100 AND 10000", name="radius"),
        CheckConstraint(one_of("status", ("open", "closed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    #: What the user typed to place it (a postcode, or "lat, lon").
    located_by: Mapped[str] = mapped_column(String(60))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    #: How far from the point the services and partners are looked for, in metres.
    radius_m: Mapped[int] = mapped_column(Integer, default=1000)
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    steps: Mapped[list[IncidentStep]] = relationship(cascade="all, delete-orphan",
                                                     order_by="IncidentStep.done_at")  # fmt: skip
    offers: Mapped[list[IncidentOffer]] = relationship(cascade="all, delete-orphan",
                                                       order_by="IncidentOffer.id")  # fmt: skip
    uptake: Mapped[list[IncidentUptake]] = relationship(cascade="all, delete-orphan",
                                                        order_by="IncidentUptake.id")  # fmt: skip


class IncidentStep(Base):
    """One step of the checklist, done at a time by someone."""

    __tablename__ = "incident_step"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    done_at: Mapped[datetime] = mapped_column(DateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)


class IncidentOffer(Base):
    """A Youth Map service or a referral pathway offered in the surge."""

    __tablename__ = "incident_offer"
    __table_args__ = (
        CheckConstraint("(service_id IS NULL) != (pathway_id IS NULL)", name="one"),
        UniqueConstraint("incident_id", "service_id", "pathway_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("dir_service.id"))
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("ref_pathway.id"))


class IncidentUptake(Base):
    """What the surge offer reached, as counted afterwards: young people engaged and
    sessions delivered by one offer, up to a day."""

    __tablename__ = "incident_uptake"
    __table_args__ = (
        CheckConstraint("young_people >= 0", name="people"),
        CheckConstraint("sessions IS NULL OR sessions >= 0", name="sessions"),
        UniqueConstraint("offer_id", "counted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("incident_offer.id"))
    counted_on: Mapped[date] = mapped_column(Date)
    young_people: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int | None] = mapped_column(Integer)
