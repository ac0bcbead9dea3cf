"""The commissioning and governance tables, in the programme store beside the registry.

A **funding round** of a fund has a budget, dates, eligibility questions, scoring criteria with
weights and a panel. Organisations **apply** (answers, budget lines, the places and ages they will
reach, the YEF Toolkit strand of their approach, attachments). Panel members **declare
conflicts** (a conflicted member neither sees nor scores that application) and **score** each
criterion with a comment; the commissioner **moderates** where scorers differ and **decides**:
an award creates (or joins) an intervention in the registry with its contract dates, payment
schedule and monitoring-return template; a decline records its reason.

Governance: **spend** by intervention and quarter (typed, uploaded as a spend return, or taken
from monitoring returns) against the payment schedule as forecast; the **delivery plan**
(objectives, actions with owners, due dates and a RAG status, each update kept); the **risk
register** (likelihood × impact, owner, mitigations, review date, each review kept); and the
**decision and issue log** the quarterly board keeps.
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
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrukit.programme.models import (
    PREVENTION_TIERS,
    THEMATIC_AREAS,
    Base,
    Organisation,
    one_of,
)

__all__ = [
    "ACTION_STATUSES",
    "APPLICATION_STATUSES",
    "BUDGET_CATEGORIES",
    "LOG_KINDS",
    "ROUND_STATUSES",
    "SPEND_SOURCES",
    "Action",
    "ActionUpdate",
    "Application",
    "ApplicationPlace",
    "Attachment",
    "BudgetLine",
    "Conflict",
    "Criterion",
    "FundingRound",
    "LogEntry",
    "Moderation",
    "Objective",
    "PanelMember",
    "Payment",
    "Risk",
    "RiskReview",
    "Score",
    "Spend",
]

#: A round's life: set up, taking applications, being scored, decided.
ROUND_STATUSES = ("draft", "open", "scoring", "decided")
#: An application's life.
APPLICATION_STATUSES = ("draft", "submitted", "awarded", "declined", "withdrawn")
BUDGET_CATEGORIES = ("staff", "activities", "venue", "equipment", "management", "other")
#: Where a spend figure came from.
SPEND_SOURCES = ("typed", "upload", "return")
#: An action's status; the board reads it as a RAG rating (``rag``).
ACTION_STATUSES = ("not_started", "on_track", "at_risk", "off_track", "complete")
LOG_KINDS = ("decision", "issue")


class FundingRound(Base):
    """One round of a fund (the Community Initiatives Fund 2021, say). ``questions`` are the
    eligibility questions, ``[{key, text, must}]``: an answer other than ``must`` (when given)
    makes an application ineligible. ``template`` holds the monitoring-return fields an award's
    intervention starts with. ``intervention_id``: a programme whose providers the awards join
    (the sports diversion programme's 26 clubs), instead of each award being an intervention
    of its own. ``baseline`` gives, per prevention tier, the violent offences a young person
    reached would otherwise commit in a year (docs/commissioning.md)."""

    __tablename__ = "funding_round"
    __table_args__ = (
        CheckConstraint(one_of("status", ROUND_STATUSES), name="status"),
        CheckConstraint("budget >= 0", name="budget"),
        CheckConstraint("closes >= opens", name="dates"),
        CheckConstraint("min_scorers >= 1", name="min_scorers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    fund: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[float] = mapped_column(Float)
    opens: Mapped[date] = mapped_column(Date)
    closes: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    template: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    baseline: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    min_scorers: Mapped[int] = mapped_column(Integer, default=2)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    criteria: Mapped[list[Criterion]] = relationship(
        cascade="all, delete-orphan", order_by="Criterion.position"
    )
    panel: Mapped[list[PanelMember]] = relationship(cascade="all, delete-orphan")
    applications: Mapped[list[Application]] = relationship(
        back_populates="round", order_by="Application.id"
    )


class Criterion(Base):
    """A scoring criterion of a round, its weight and the top of its scale (0 to ``top``)."""

    __tablename__ = "round_criterion"
    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("top BETWEEN 1 AND 100", name="top"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("funding_round.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float)
    top: Mapped[int] = mapped_column(Integer, default=5)


class PanelMember(Base):
    """A user on a round's panel."""

    __tablename__ = "panel_member"

    round_id: Mapped[int] = mapped_column(ForeignKey("funding_round.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    chair: Mapped[bool] = mapped_column(default=False)


class Application(Base):
    """An organisation's application to a round: what, for whom, where, at what cost."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", "title"),
        CheckConstraint(one_of("status", APPLICATION_STATUSES), name="status"),
        CheckConstraint(one_of("prevention_tier", PREVENTION_TIERS), name="prevention_tier"),
        CheckConstraint(one_of("thematic_area", THEMATIC_AREAS), name="thematic_area"),
        CheckConstraint("amount >= 0 AND reach >= 0", name="amount"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="ages"),
        CheckConstraint("awarded IS NULL OR awarded >= 0", name="awarded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("funding_round.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Requested, in pounds; the budget lines add up to it.
    amount: Mapped[float] = mapped_column(Float)
    #: Young people the applicant will work with.
    reach: Mapped[int] = mapped_column(Integer)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    yef_strand: Mapped[str | None] = mapped_column(String(100))
    thematic_area: Mapped[str] = mapped_column(String(30))
    prevention_tier: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: The award's conditions, or the reason for a decline.
    decision_note: Mapped[str | None] = mapped_column(Text)
    awarded: Mapped[float | None] = mapped_column(Float)
    #: The award's contract (a programme's providers may be funded for other dates than the
    #: programme's first contract).
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))

    round: Mapped[FundingRound] = relationship(back_populates="applications")
    organisation: Mapped[Organisation] = relationship()
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        cascade="all, delete-orphan", order_by="BudgetLine.line"
    )
    places: Mapped[list[ApplicationPlace]] = relationship(cascade="all, delete-orphan")


class BudgetLine(Base):
    __tablename__ = "budget_line"
    __table_args__ = (
        CheckConstraint(one_of("category", BUDGET_CATEGORIES), name="category"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[float] = mapped_column(Float)


class ApplicationPlace(Base):
    """A place an application will reach."""

    __tablename__ = "application_place"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"), primary_key=True)


class Attachment(Base):
    """A file attached to an application (within the deployment's upload limit)."""

    __tablename__ = "application_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Conflict(Base):
    """A panel member's declared conflict of interest with one application: they can neither
    see nor score it."""

    __tablename__ = "conflict"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Score(Base):
    """One panel member's score of one application on one criterion, with their comment."""

    __tablename__ = "score"
    __table_args__ = (CheckConstraint("score >= 0", name="score"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("round_criterion.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Moderation(Base):
    """The moderated score of one application on one criterion, agreed after the panel met
    where scorers differed: it replaces the scorers' mean in the ranking, with its note."""

    __tablename__ = "moderation"
    __table_args__ = (CheckConstraint("score >= 0", name="score"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("round_criterion.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)
    moderated_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Payment(Base):
    """One instalment of an intervention's payment schedule (set up by its award)."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    due: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    paid_on: Mapped[date | None] = mapped_column(Date)


class Spend(Base):
    """Money spent on an intervention in a quarter, as one figure from one source: typed by
    the VRU's finance lead, a line of an uploaded spend return, or the sum of a monitoring
    return's ``spend`` column. A quarter's spend is the sum of its rows."""

    __tablename__ = "spend"
    __table_args__ = (
        CheckConstraint(one_of("source", SPEND_SOURCES), name="source"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint(
            "length(quarter) = 7 AND substr(quarter, 5, 2) = '-Q' "
            "AND substr(quarter, 7, 1) IN ('1', '2', '3', '4')",
            name="quarter",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"))
    quarter: Mapped[str] = mapped_column(String(7))
    amount: Mapped[float] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Objective(Base):
    """An objective of the delivery plan agreed with the Home Office."""

    __tablename__ = "objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    actions: Mapped[list[Action]] = relationship(back_populates="objective", order_by="Action.due")


class Action(Base):
    """An action of the plan: who owns it, when it is due, how it stands, and what it is for
    (an intervention, a place)."""

    __tablename__ = "action"
    __table_args__ = (CheckConstraint(one_of("status", ACTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))

    objective: Mapped[Objective] = relationship(back_populates="actions")
    updates: Mapped[list[ActionUpdate]] = relationship(
        cascade="all, delete-orphan", order_by="ActionUpdate.at"
    )


class ActionUpdate(Base):
    """One update of an action: its status from then on, and what was said."""

    __tablename__ = "action_update"
    __table_args__ = (CheckConstraint(one_of("status", ACTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"))
    at: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Risk(Base):
    """A risk of the register: likelihood and impact (1-5 each; their product is its score),
    its owner, mitigations and next review; each review is kept (``RiskReview``)."""

    __tablename__ = "risk"
    __table_args__ = (
        CheckConstraint("likelihood BETWEEN 1 AND 5 AND impact BETWEEN 1 AND 5", name="scale"),
        CheckConstraint(one_of("status", ("open", "closed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    mitigations: Mapped[str | None] = mapped_column(Text)
    review_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    raised: Mapped[date] = mapped_column(Date)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))

    reviews: Mapped[list[RiskReview]] = relationship(
        cascade="all, delete-orphan", order_by="RiskReview.at"
    )

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class RiskReview(Base):
    """A review of a risk: its likelihood and impact from then on, and why."""

    __tablename__ = "risk_review"
    __table_args__ = (
        CheckConstraint("likelihood BETWEEN 1 AND 5 AND impact BETWEEN 1 AND 5", name="scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risk.id"))
    at: Mapped[date] = mapped_column(Date)
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class LogEntry(Base):
    """A decision of the board, or an issue it is tracking, with its owner and status."""

    __tablename__ = "log_entry"
    __table_args__ = (
        CheckConstraint(one_of("kind", LOG_KINDS), name="kind"),
        CheckConstraint(one_of("status", ("open", "closed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: Public: may be printed in a public board pack (through the disclosure layer).
    public: Mapped[bool] = mapped_column(default=False)
