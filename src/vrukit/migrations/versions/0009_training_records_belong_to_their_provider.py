"""training records belong to the provider that made them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:45:00

With partner providers, two providers of one intervention may use the same participant
reference for different people: the reference is unique per provider, not per intervention.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("training_record") as batch:
        batch.drop_constraint("uq_training_record_intervention_id", type_="unique")
        batch.create_unique_constraint(
            "uq_training_record_intervention_id",
            ["intervention_id", "organisation_id", "participant_ref"],
        )


def downgrade() -> None:
    with op.batch_alter_table("training_record") as batch:
        batch.drop_constraint("uq_training_record_intervention_id", type_="unique")
        batch.create_unique_constraint(
            "uq_training_record_intervention_id", ["intervention_id", "participant_ref"]
        )
