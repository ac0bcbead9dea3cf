"""room for the demo region's area codes (ten characters; real LSOA codes have nine)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:05:00

The synthetic demo region numbers its small areas E019000000 onwards, a character longer than
any real LSOA code so that the two can never be mistaken. SQLite ignores a VARCHAR's length, so
the demo loaded there; PostgreSQL refused it. The LSOA columns now hold ten characters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (
    ("place_area", "lsoa_code"),
    ("referral", "lsoa_code"),
    ("area_deprivation", "lsoa_code"),
    ("dir_location", "lsoa_code"),
    ("dir_postcode", "lsoa_code"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=10), existing_type=sa.String(9))


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=9), existing_type=sa.String(10))
