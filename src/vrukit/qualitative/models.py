"""Qualitative evidence's tables, in the programme store beside the registry.

A **source** is one interview or focus group: when it was held, the community researcher who
ran it (a name, or a portal user or organisation), how many took part - never who - and the
consent recorded for it (yes, how, when), with its pseudonymised transcript as plain text. A
**theme** is a code of the codebook (themes nest; a colour and a Theory of Change step are
optional). An **excerpt** is a span of a transcript (start and end offsets in characters, and
the quoted text) coded with one or more themes and linked, optionally, to a place, an
intervention and a Theory of Change step.

A source without recorded consent cannot hold excerpts, and the store enforces it: an excerpt
carries its source's consent flag as part of a foreign key to the source (``source_id,
source_consented``) that must be true, so neither an excerpt of an unconsented source nor
withdrawing consent from a source with excerpts can be stored.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrukit.programme.models import Base, one_of

__all__ = ["SOURCE_KINDS", "Excerpt", "QualSource", "Theme", "excerpt_theme"]

#: What a source is.
SOURCE_KINDS = ("interview", "focus_group")

excerpt_theme = Table(
    "qual_excerpt_theme",
    Base.metadata,
    Column("excerpt_id", ForeignKey("qual_excerpt.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("qual_theme.id"), primary_key=True),
)


class QualSource(Base):
    """An interview or focus group with its consent record and its transcript."""

    __tablename__ = "qual_source"
    __table_args__ = (
        CheckConstraint(one_of("kind", SOURCE_KINDS), name="kind"),
        CheckConstraint("participants >= 1", name="participants"),
        CheckConstraint(
            "researcher_name IS NOT NULL OR researcher_user_id IS NOT NULL "
            "OR researcher_organisation_id IS NOT NULL",
            name="researcher",
        ),
        CheckConstraint(
            "NOT consent_recorded OR (consent_how IS NOT NULL AND consent_on IS NOT NULL "
            "AND consent_on <= held_on)",
            name="consent",
        ),
        # the target of the excerpts' (source, consent) key
        UniqueConstraint("id", "consent_recorded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    #: The community researcher who ran it: a name, or a portal user or an organisation.
    researcher_name: Mapped[str | None] = mapped_column(String(200))
    researcher_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    researcher_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    #: How many took part (never who).
    participants: Mapped[int] = mapped_column(Integer)
    consent_recorded: Mapped[bool] = mapped_column(Boolean)
    #: How consent was given and recorded ("written form", "verbal, recorded on tape").
    consent_how: Mapped[str | None] = mapped_column(String(200))
    consent_on: Mapped[date | None] = mapped_column(Date)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))
    description: Mapped[str | None] = mapped_column(Text)
    #: The pseudonymised transcript: excerpts' offsets count its characters.
    transcript: Mapped[str] = mapped_column(Text)

    excerpts: Mapped[list[Excerpt]] = relationship(
        back_populates="source",
        cascade="all, delete-orphan",
        order_by="(Excerpt.start_offset, Excerpt.end_offset)",
    )


class Theme(Base):
    """A code of the codebook: nested under a parent theme, optionally coloured and linked to
    the Theory of Change step it speaks to. ``codable`` false: a heading only."""

    __tablename__ = "qual_theme"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        CheckConstraint("colour IS NULL OR length(colour) = 7", name="colour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("qual_theme.id"))
    colour: Mapped[str | None] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(Text)
    codable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    toc_step_id: Mapped[int | None] = mapped_column(ForeignKey("theory_step.id"))

    parent: Mapped[Theme | None] = relationship(remote_side="Theme.id")


class Excerpt(Base):
    """A coded span of a source's transcript: characters ``start_offset`` to ``end_offset``
    (end exclusive) and the quoted ``text``, with its themes and links."""

    __tablename__ = "qual_excerpt"
    __table_args__ = (
        UniqueConstraint("source_id", "start_offset", "end_offset"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),
        CheckConstraint("source_consented", name="consented"),
        ForeignKeyConstraint(
            ["source_id", "source_consented"],
            ["qual_source.id", "qual_source.consent_recorded"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer)
    #: Always true: with ``source_id``, a key to a source whose consent is recorded.
    source_consented: Mapped[bool] = mapped_column(Boolean, default=True)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))
    toc_step_id: Mapped[int | None] = mapped_column(ForeignKey("theory_step.id"))

    source: Mapped[QualSource] = relationship(back_populates="excerpts")
    themes: Mapped[list[Theme]] = relationship(secondary=excerpt_theme, order_by="Theme.id")
