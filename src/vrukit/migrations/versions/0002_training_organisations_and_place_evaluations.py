"""training participants' organisation; place evaluation results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 22:06:09.746715
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("design", sa.String(length=30), nullable=False),
        sa.Column("effect", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("p", sa.Float(), nullable=True),
        sa.Column("sms_level", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "design IN ('did', 'synthetic_control')", name=op.f("ck_place_evaluation_design")
        ),
        sa.CheckConstraint("sms_level BETWEEN 1 AND 5", name=op.f("ck_place_evaluation_sms_level")),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_place_evaluation_place_id_place")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_evaluation")),
    )
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("participant_organisation", sa.String(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.drop_column("participant_organisation")

    op.drop_table("place_evaluation")
