"""qualitative evidence

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 11:30:00

Interviews and focus groups (``qual_source``: date, community researcher, number of
participants, consent and the transcript), the codebook (``qual_theme``: nested, coloured,
linked to a Theory of Change step) and coded excerpts (``qual_excerpt`` and its themes). An
excerpt's key to its source includes the source's consent flag, which must be true.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qual_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("researcher_name", sa.String(length=200), nullable=True),
        sa.Column("researcher_user_id", sa.Integer(), nullable=True),
        sa.Column("researcher_organisation_id", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("consent_recorded", sa.Boolean(), nullable=False),
        sa.Column("consent_how", sa.String(length=200), nullable=True),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('interview', 'focus_group')", name=op.f("ck_qual_source_kind")
        ),
        sa.CheckConstraint(
            "NOT consent_recorded OR (consent_how IS NOT NULL AND consent_on IS NOT NULL AND consent_on <= held_on)",
            name=op.f("ck_qual_source_consent"),
        ),
        sa.CheckConstraint("participants >= 1", name=op.f("ck_qual_source_participants")),
        sa.CheckConstraint(
            "researcher_name IS NOT NULL OR researcher_user_id IS NOT NULL OR researcher_organisation_id IS NOT NULL",
            name=op.f("ck_qual_source_researcher"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_qual_source_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_qual_source_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["researcher_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_qual_source_researcher_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["researcher_user_id"],
            ["app_user.id"],
            name=op.f("fk_qual_source_researcher_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qual_source")),
        sa.UniqueConstraint("id", "consent_recorded", name=op.f("uq_qual_source_id")),
        sa.UniqueConstraint("name", name=op.f("uq_qual_source_name")),
    )
    op.create_table(
        "qual_excerpt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_consented", sa.Boolean(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("toc_step_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("source_consented", name=op.f("ck_qual_excerpt_consented")),
        sa.CheckConstraint(
            "start_offset >= 0 AND end_offset > start_offset", name=op.f("ck_qual_excerpt_span")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_qual_excerpt_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_qual_excerpt_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["source_id", "source_consented"],
            ["qual_source.id", "qual_source.consent_recorded"],
            name=op.f("fk_qual_excerpt_source_id_qual_source"),
        ),
        sa.ForeignKeyConstraint(
            ["toc_step_id"],
            ["theory_step.id"],
            name=op.f("fk_qual_excerpt_toc_step_id_theory_step"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qual_excerpt")),
        sa.UniqueConstraint(
            "source_id", "start_offset", "end_offset", name=op.f("uq_qual_excerpt_source_id")
        ),
    )
    op.create_table(
        "qual_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("codable", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("toc_step_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "colour IS NULL OR length(colour) = 7", name=op.f("ck_qual_theme_colour")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["qual_theme.id"], name=op.f("fk_qual_theme_parent_id_qual_theme")
        ),
        sa.ForeignKeyConstraint(
            ["toc_step_id"], ["theory_step.id"], name=op.f("fk_qual_theme_toc_step_id_theory_step")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qual_theme")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_qual_theme_parent_id")),
    )
    op.create_table(
        "qual_excerpt_theme",
        sa.Column("excerpt_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["excerpt_id"],
            ["qual_excerpt.id"],
            name=op.f("fk_qual_excerpt_theme_excerpt_id_qual_excerpt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["qual_theme.id"], name=op.f("fk_qual_excerpt_theme_theme_id_qual_theme")
        ),
        sa.PrimaryKeyConstraint("excerpt_id", "theme_id", name=op.f("pk_qual_excerpt_theme")),
    )


def downgrade() -> None:
    op.drop_table("qual_excerpt_theme")
    op.drop_table("qual_theme")
    op.drop_table("qual_excerpt")
    op.drop_table("qual_source")
