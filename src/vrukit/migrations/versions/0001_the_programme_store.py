"""the programme store

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 20:40:10.508120
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('provider', 'partner', 'funder', 'vru')", name=op.f("ck_organisation_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("name", name=op.f("uq_place_name")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "role <> 'provider' OR organisation_id IS NOT NULL",
            name=op.f("ck_app_user_provider_org"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'commissioner', 'analyst', 'provider')",
            name=op.f("ck_app_user_role"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_user_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_table(
        "board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('board', 'network')", name=op.f("ck_board_kind")),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name=op.f("fk_board_place_id_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board")),
        sa.UniqueConstraint("name", name=op.f("uq_board_name")),
    )
    op.create_table(
        "intervention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("thematic_area", sa.String(length=30), nullable=False),
        sa.Column("prevention_tier", sa.String(length=20), nullable=False),
        sa.Column("setting", sa.String(length=100), nullable=True),
        sa.Column("yef_strand", sa.String(length=100), nullable=True),
        sa.Column("yef_impact", sa.String(length=20), nullable=True),
        sa.Column("funding", sa.Float(), nullable=True),
        sa.Column("contract_start", sa.Date(), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "prevention_tier IN ('primary', 'secondary', 'tertiary')",
            name=op.f("ck_intervention_prevention_tier"),
        ),
        sa.CheckConstraint(
            "thematic_area IN ('criminal_justice', 'education', 'exploitation', 'health', 'sport', 'places', 'trauma_informed')",
            name=op.f("ck_intervention_thematic_area"),
        ),
        sa.CheckConstraint(
            "yef_impact IS NULL OR yef_impact IN ('low', 'moderate', 'high', 'unclear')",
            name=op.f("ck_intervention_yef"),
        ),
        sa.CheckConstraint(
            "contract_end IS NULL OR contract_end >= contract_start",
            name=op.f("ck_intervention_dates"),
        ),
        sa.CheckConstraint("funding IS NULL OR funding >= 0", name=op.f("ck_intervention_funding")),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_intervention_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisation.id"],
            name=op.f("fk_intervention_provider_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention")),
        sa.UniqueConstraint("name", name=op.f("uq_intervention_name")),
    )
    op.create_table(
        "place_area",
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_place_area_place_id_place")
        ),
        sa.PrimaryKeyConstraint("place_id", "lsoa_code", name=op.f("pk_place_area")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("table_name", sa.String(length=50), nullable=False),
        sa.Column("row_key", sa.String(length=100), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_audit_event_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_table(
        "board_member",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_board_member_board_id_board")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_board_member_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("board_id", "organisation_id", name=op.f("pk_board_member")),
    )
    op.create_table(
        "return_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_return_template_intervention_id_intervention"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_template")),
        sa.UniqueConstraint(
            "intervention_id", "version", name=op.f("uq_return_template_intervention_id")
        ),
    )
    op.create_table(
        "theory_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("leads_from_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('activity', 'output', 'short_term', 'medium_term', 'long_term')",
            name=op.f("ck_theory_step_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_theory_step_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["leads_from_id"],
            ["theory_step.id"],
            name=op.f("fk_theory_step_leads_from_id_theory_step"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theory_step")),
    )
    op.create_table(
        "training_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("participant_ref", sa.String(length=40), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("reached_per_week", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "reached_per_week IS NULL OR reached_per_week >= 0",
            name=op.f("ck_training_record_reached"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_training_record_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_training_record_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_record")),
        sa.UniqueConstraint(
            "intervention_id", "participant_ref", name=op.f("uq_training_record_intervention_id")
        ),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("return_field", sa.String(length=100), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.CheckConstraint("direction IN ('at_least', 'at_most')", name=op.f("ck_indicator_dir")),
        sa.ForeignKeyConstraint(
            ["step_id"], ["theory_step.id"], name=op.f("fk_indicator_step_id_theory_step")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
    )
    op.create_table(
        "return_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "length(period) = 7 AND substr(period, 5, 2) = '-Q' AND substr(period, 7, 1) IN ('1', '2', '3', '4')",
            name=op.f("ck_return_submission_period"),
        ),
        sa.CheckConstraint(
            "source IN ('upload', 'form')", name=op.f("ck_return_submission_source")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_return_submission_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_return_submission_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["app_user.id"],
            name=op.f("fk_return_submission_submitted_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["return_submission.id"],
            name=op.f("fk_return_submission_supersedes_id_return_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["return_template.id"],
            name=op.f("fk_return_submission_template_id_return_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_submission")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_return_submission_supersedes_id")),
    )
    op.create_table(
        "training_score",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.String(length=300), nullable=False),
        sa.Column("pre", sa.Integer(), nullable=True),
        sa.Column("post", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "post IS NULL OR post BETWEEN 1 AND 5", name=op.f("ck_training_score_post")
        ),
        sa.CheckConstraint(
            "pre IS NULL OR pre BETWEEN 1 AND 5", name=op.f("ck_training_score_pre")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["training_record.id"],
            name=op.f("fk_training_score_record_id_training_record"),
        ),
        sa.PrimaryKeyConstraint("record_id", "statement", name=op.f("pk_training_score")),
    )
    op.create_table(
        "return_row",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["return_submission.id"],
            name=op.f("fk_return_row_submission_id_return_submission"),
        ),
        sa.PrimaryKeyConstraint("submission_id", "row_number", name=op.f("pk_return_row")),
    )


def downgrade() -> None:

    op.drop_table("return_row")
    op.drop_table("training_score")
    op.drop_table("return_submission")
    op.drop_table("indicator")
    op.drop_table("training_record")
    op.drop_table("theory_step")
    op.drop_table("return_template")
    op.drop_table("board_member")
    op.drop_table("audit_event")
    op.drop_table("place_area")
    op.drop_table("intervention")
    op.drop_table("board")
    op.drop_table("app_user")
    op.drop_table("place")
    op.drop_table("organisation")
