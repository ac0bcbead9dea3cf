"""The programme store's tables, as SQLAlchemy 2 declarative models.

Vocabulary follows the seed report: thematic areas (criminal justice, education, exploitation,
health, sport, places, trauma-informed), prevention tiers (primary, secondary, tertiary), the
Youth Endowment Fund Toolkit strand each intervention belongs to and that strand's published
impact band. Monitoring returns are never overwritten: a resubmission is a new row that
supersedes the previous one, so the history of every quarter is kept.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "EVALUATION_DESIGNS",
    "NETWORK_TYPES",
    "ORGANISATION_KINDS",
    "PREVENTION_TIERS",
    "ROLES",
    "THEMATIC_AREAS",
    "TOC_STAGES",
    "AuditEvent",
    "Base",
    "Board",
    "BoardMember",
    "Indicator",
    "Intervention",
    "InterventionProvider",
    "Organisation",
    "Place",
    "PlaceArea",
    "PlaceEvaluation",
    "ReturnRow",
    "ReturnSubmission",
    "ReturnTemplate",
    "SignInFailure",
    "StoreSetting",
    "TheoryStep",
    "TrainingRecord",
    "TrainingScore",
    "User",
    "one_of",
]

THEMATIC_AREAS = (
    "criminal_justice", "education", "exploitation", "health", "sport", "places",
    "trauma_informed",
)  # fmt: skip
PREVENTION_TIERS = ("primary", "secondary", "tertiary")
ORGANISATION_KINDS = ("provider", "partner", "funder", "vru")
TOC_STAGES = ("activity", "output", "short_term", "medium_term", "long_term")
#: Place-tier designs ``vrukit evaluate`` runs.
EVALUATION_DESIGNS = ("did", "synthetic_control")
#: "panel": someone from outside the VRU's staff who scores funding applications (a partner, a
#: young people's panel member): they see the rounds whose panel they sit on, and nothing else.
ROLES = ("admin", "commissioner", "analyst", "provider", "panel")
#: YEF Toolkit impact bands, as published per strand.
YEF_IMPACT = ("low", "moderate", "high", "unclear")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression: ``column`` takes one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base; constraint names follow one convention so migrations are portable."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Organisation(Base):
    """A provider, partner, funder or the VRU itself."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint(one_of("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: A locally trusted organisation: its people verify Youth Map listings and moderate edits.
    verifies_directory: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    interventions: Mapped[list[Intervention]] = relationship(back_populates="provider")


class Place(Base):
    """A place-based pilot: its LSOAs, start date and stakeholder network."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)

    areas: Mapped[list[PlaceArea]] = relationship(
        back_populates="place", cascade="all, delete-orphan"
    )


class PlaceEvaluation(Base):
    """One run of one design (difference-in-differences or synthetic control) on one place:
    the effect on the monthly violence rate with its interval, the design's Maryland Scientific
    Methods Scale level, and the detail behind it (event study, series, weights) as JSON.
    Runs are kept; the newest per place and design is the current result."""

    __tablename__ = "place_evaluation"
    __table_args__ = (
        CheckConstraint(one_of("design", EVALUATION_DESIGNS), name="design"),
        CheckConstraint("sms_level BETWEEN 1 AND 5", name="sms_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    design: Mapped[str] = mapped_column(String(30))
    effect: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    p: Mapped[float | None] = mapped_column(Float)
    sms_level: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlaceArea(Base):
    """One LSOA of a place."""

    __tablename__ = "place_area"

    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"), primary_key=True)
    lsoa_code: Mapped[str] = mapped_column(String(10), primary_key=True)

    place: Mapped[Place] = relationship(back_populates="areas")


#: What a network is for, beside its kind (board or network): the seed report's partnership
#: board, place stakeholder networks, the sports network, the faith alliance and the community
#: champions (whose members are people; ``vrukit.partnerships.models.NetworkPerson``).
NETWORK_TYPES = (
    "partnership_board", "stakeholder_network", "sports_network", "faith_alliance",
    "community_champions", "other",
)  # fmt: skip


class Board(Base):
    """A board or network (e.g. a place's stakeholder network) and its member organisations."""

    __tablename__ = "board"
    __table_args__ = (CheckConstraint(one_of("kind", ("board", "network")), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    #: One of ``NETWORK_TYPES`` (checked where it is written; None for boards made before).
    network_type: Mapped[str | None] = mapped_column(String(30))

    members: Mapped[list[BoardMember]] = relationship(cascade="all, delete-orphan")


class BoardMember(Base):
    """A member organisation, its role, and when it joined and left (for size over time)."""

    __tablename__ = "board_member"

    board_id: Mapped[int] = mapped_column(ForeignKey("board.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    role: Mapped[str | None] = mapped_column(String(100))
    joined: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class Intervention(Base):
    """A commissioned intervention: what, by whom, where, how funded, and its evidence base."""

    __tablename__ = "intervention"
    __table_args__ = (
        CheckConstraint(one_of("thematic_area", THEMATIC_AREAS), name="thematic_area"),
        CheckConstraint(one_of("prevention_tier", PREVENTION_TIERS), name="prevention_tier"),
        CheckConstraint(f"yef_impact IS NULL OR {one_of('yef_impact', YEF_IMPACT)}", name="yef"),
        CheckConstraint("contract_end IS NULL OR contract_end >= contract_start", name="dates"),
        CheckConstraint("funding IS NULL OR funding >= 0", name="funding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    thematic_area: Mapped[str] = mapped_column(String(30))
    prevention_tier: Mapped[str] = mapped_column(String(20))
    setting: Mapped[str | None] = mapped_column(String(100))
    yef_strand: Mapped[str | None] = mapped_column(String(100))
    yef_impact: Mapped[str | None] = mapped_column(String(20))
    funding: Mapped[float | None] = mapped_column(Float)
    contract_start: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))

    provider: Mapped[Organisation] = relationship(back_populates="interventions")
    #: Further providers delivering it beside the lead (``provider``): the seed report's sports
    #: programme had 26. Each sees the intervention and submits its own returns.
    partners: Mapped[list[Organisation]] = relationship(
        secondary="intervention_provider", order_by="Organisation.name"
    )
    theory: Mapped[list[TheoryStep]] = relationship(cascade="all, delete-orphan")

    @property
    def provider_ids(self) -> set[int]:
        """Every organisation that delivers it: the lead and the partners."""
        return {self.provider_id, *(o.id for o in self.partners)}


class InterventionProvider(Base):
    """A further provider of an intervention (beside its lead provider)."""

    __tablename__ = "intervention_provider"

    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)


class TheoryStep(Base):
    """One box of an intervention's theory of change, linked to the step it leads from."""

    __tablename__ = "theory_step"
    __table_args__ = (CheckConstraint(one_of("stage", TOC_STAGES), name="stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    stage: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    leads_from_id: Mapped[int | None] = mapped_column(ForeignKey("theory_step.id"))

    indicators: Mapped[list[Indicator]] = relationship(cascade="all, delete-orphan")


class Indicator(Base):
    """How a theory-of-change step is measured, with its target."""

    __tablename__ = "indicator"
    __table_args__ = (CheckConstraint(one_of("direction", ("at_least", "at_most")), name="dir"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("theory_step.id"))
    name: Mapped[str] = mapped_column(String(200))
    return_field: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10), default="at_least")


class ReturnTemplate(Base):
    """A monitoring-return template, defined as data: ``fields`` is a list of
    ``{name, type, required, allowed, min, max, label}``; a new version never changes old
    returns."""

    __tablename__ = "return_template"
    __table_args__ = (UniqueConstraint("intervention_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ReturnSubmission(Base):
    """One quarterly return as submitted. Never updated: a resubmission is a new row whose
    ``supersedes_id`` points at the one it replaces."""

    __tablename__ = "return_submission"
    __table_args__ = (
        CheckConstraint(
            "length(period) = 7 AND substr(period, 5, 2) = '-Q' "
            "AND substr(period, 7, 1) IN ('1', '2', '3', '4')",
            name="period",
        ),
        CheckConstraint(one_of("source", ("upload", "form")), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("return_template.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-Qn
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    source: Mapped[str] = mapped_column(String(10))  # upload | form
    file_name: Mapped[str | None] = mapped_column(String(300))
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("return_submission.id"), unique=True
    )

    rows: Mapped[list[ReturnRow]] = relationship(cascade="all, delete-orphan")


class ReturnRow(Base):
    """One row of a return: its values by field name."""

    __tablename__ = "return_row"

    submission_id: Mapped[int] = mapped_column(ForeignKey("return_submission.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class TrainingRecord(Base):
    """A participant of a training intervention (pseudonymous reference, never a name)."""

    __tablename__ = "training_record"
    __table_args__ = (
        UniqueConstraint("intervention_id", "organisation_id", "participant_ref"),
        CheckConstraint("reached_per_week IS NULL OR reached_per_week >= 0", name="reached"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    participant_ref: Mapped[str] = mapped_column(String(40))
    trained_on: Mapped[date] = mapped_column(Date)
    reached_per_week: Mapped[int | None] = mapped_column(Integer)
    #: The organisation the participant works for (school, police, social care...).
    participant_organisation: Mapped[str | None] = mapped_column(String(200))

    scores: Mapped[list[TrainingScore]] = relationship(cascade="all, delete-orphan")


class TrainingScore(Base):
    """Self-rated agreement (1-5) with one statement before and after training."""

    __tablename__ = "training_score"
    __table_args__ = (
        CheckConstraint("pre IS NULL OR pre BETWEEN 1 AND 5", name="pre"),
        CheckConstraint("post IS NULL OR post BETWEEN 1 AND 5", name="post"),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("training_record.id"), primary_key=True)
    statement: Mapped[str] = mapped_column(String(300), primary_key=True)
    pre: Mapped[int | None] = mapped_column(Integer)
    post: Mapped[int | None] = mapped_column(Integer)


class User(Base):
    """A portal user: a role and, for providers, their organisation."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("role <> 'provider' OR organisation_id IS NOT NULL", name="provider_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    #: Raised at sign-out and on a password change: every session signed with an older value
    #: (a copied cookie, another browser) is over, on every worker.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SignInFailure(Base):
    """A failed sign-in, under each key it counts against (the client's address, the account,
    the device): the throttle counts recent rows, so every worker sees the same counts."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime)


class StoreSetting(Base):
    """Facts the store keeps about itself, such as the fingerprint of the referral key its
    identifying details are sealed with."""

    __tablename__ = "store_setting"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """Who changed what, when, with the row before and after."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(50))
    row_key: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
