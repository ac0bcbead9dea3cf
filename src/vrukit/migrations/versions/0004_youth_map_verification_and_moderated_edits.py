"""youth map verification and moderated edits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:05:19.554697
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dir_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_state")),
    )
    op.create_table(
        "dir_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_dir_edit_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_dir_edit_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["app_user.id"], name=op.f("fk_dir_edit_proposed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["dir_service.id"],
            name=op.f("fk_dir_edit_service_id_dir_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_edit")),
    )
    with op.batch_alter_table("dir_edit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dir_edit_service_id"), ["service_id"], unique=False)

    # a plain ADD COLUMN (SQLite allows it with a default): a batch operation would rebuild the
    # table, and dropping the old one is refused while other tables' foreign keys point at it
    op.add_column(
        "organisation",
        sa.Column("verifies_directory", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("verifies_directory")

    with op.batch_alter_table("dir_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_edit_service_id"))

    op.drop_table("dir_edit")
    op.drop_table("dir_state")
