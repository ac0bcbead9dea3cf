"""a key for survey cells' noise

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 15:40:00

Survey results add a small, repeatable noise to every published count (the cell-key method),
so answers someone adds to a group of their own cannot be subtracted to give a count under 10
away (the sixteenth probe). Each response's record key comes from this store's own secret; a
store made before this revision gets one now.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = sa.table("store_setting", sa.column("name", sa.String), sa.column("value", sa.Text))
    have = (
        op.get_bind()
        .execute(sa.select(table.c.name).where(table.c.name == "survey_cell_key"))
        .first()
    )
    if have is None:
        op.bulk_insert(table, [{"name": "survey_cell_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.execute("DELETE FROM store_setting WHERE name = 'survey_cell_key'")
