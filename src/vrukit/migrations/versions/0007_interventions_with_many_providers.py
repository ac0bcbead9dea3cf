"""interventions with many providers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intervention_provider",
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intervention_id"], ["intervention.id"], ondelete="CASCADE",
            name=op.f("fk_intervention_provider_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_intervention_provider_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint(
            "intervention_id", "organisation_id", name=op.f("pk_intervention_provider")
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("intervention_provider")
