"""a directory's ages and coordinates are in range

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:10:00

A partner's file with a latitude of NaN was stored as NaN on PostgreSQL (SQLite keeps NULL)
and made the service's API answers fail and the Youth Map's map stop drawing (the fifteenth
probe). The import now refuses such values; the store refuses them too. Coordinates that are
no place, and ages outside 0-130, already stored are forgotten (NULL) first: a listing then
shows no map marker or no age limit rather than a wrong one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

AGES = ("(minimum_age IS NULL OR minimum_age BETWEEN 0 AND 130) AND "
        "(maximum_age IS NULL OR maximum_age BETWEEN 0 AND 130)")  # fmt: skip
EARTH = ("(latitude IS NULL OR latitude BETWEEN -90 AND 90) AND "
         "(longitude IS NULL OR longitude BETWEEN -180 AND 180)")  # fmt: skip


def upgrade() -> None:
    op.execute("UPDATE dir_location SET latitude = NULL, longitude = NULL "
               f"WHERE NOT ({EARTH})")  # fmt: skip
    for column in ("minimum_age", "maximum_age"):
        op.execute(f"UPDATE dir_service SET {column} = NULL "
                   f"WHERE NOT ({column} IS NULL OR {column} BETWEEN 0 AND 130)")  # fmt: skip
    with op.batch_alter_table("dir_service") as batch:
        batch.create_check_constraint(op.f("ck_dir_service_age_range"), sa.text(AGES))
    with op.batch_alter_table("dir_location") as batch:
        batch.create_check_constraint(op.f("ck_dir_location_coordinates"), sa.text(EARTH))


def downgrade() -> None:
    with op.batch_alter_table("dir_location") as batch:
        batch.drop_constraint(op.f("ck_dir_location_coordinates"), type_="check")
    with op.batch_alter_table("dir_service") as batch:
        batch.drop_constraint(op.f("ck_dir_service_age_range"), type_="check")
