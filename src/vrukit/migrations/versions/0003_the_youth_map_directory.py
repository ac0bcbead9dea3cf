"""the youth map directory

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:00:09.998233
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dir_organization",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("last_modified", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_organization")),
    )
    op.create_table(
        "dir_postcode",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=True),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_dir_postcode")),
    )
    op.create_table(
        "dir_taxonomy",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=True),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_taxonomy")),
    )
    op.create_table(
        "dir_location",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("location_type", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("lsoa_code", sa.String(length=9), nullable=True),
        sa.CheckConstraint(
            "location_type IN ('physical', 'postal', 'virtual')",
            name=op.f("ck_dir_location_location_type"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["dir_organization.id"],
            name=op.f("fk_dir_location_organization_id_dir_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_location")),
    )
    with op.batch_alter_table("dir_location", schema=None) as batch_op:
        batch_op.create_index("ix_dir_location_lat_lon", ["latitude", "longitude"], unique=False)

    op.create_table(
        "dir_taxonomy_term",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("taxonomy_id", sa.String(length=36), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["dir_taxonomy_term.id"],
            name=op.f("fk_dir_taxonomy_term_parent_id_dir_taxonomy_term"),
        ),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"],
            ["dir_taxonomy.id"],
            name=op.f("fk_dir_taxonomy_term_taxonomy_id_dir_taxonomy"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_taxonomy_term")),
    )
    with op.batch_alter_table("dir_taxonomy_term", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dir_taxonomy_term_taxonomy_id"), ["taxonomy_id"], unique=False
        )

    op.create_table(
        "dir_address",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.Column("address_1", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state_province", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("address_type", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["dir_location.id"],
            name=op.f("fk_dir_address_location_id_dir_location"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_address")),
    )
    with op.batch_alter_table("dir_address", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dir_address_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "dir_attribute",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("link_id", sa.String(length=36), nullable=False),
        sa.Column("link_type", sa.String(length=50), nullable=True),
        sa.Column("link_entity", sa.String(length=30), nullable=False),
        sa.Column("taxonomy_term_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["taxonomy_term_id"],
            ["dir_taxonomy_term.id"],
            name=op.f("fk_dir_attribute_taxonomy_term_id_dir_taxonomy_term"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_attribute")),
    )
    with op.batch_alter_table("dir_attribute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dir_attribute_link_id"), ["link_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dir_attribute_taxonomy_term_id"), ["taxonomy_term_id"], unique=False
        )

    op.create_table(
        "dir_service",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("eligibility_description", sa.Text(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("fees_description", sa.Text(), nullable=True),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.Column("assurer_email", sa.String(length=200), nullable=True),
        sa.Column("last_modified", sa.DateTime(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'defunct', 'temporarily closed')",
            name=op.f("ck_dir_service_status"),
        ),
        sa.CheckConstraint(
            "minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age",
            name=op.f("ck_dir_service_ages"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_dir_service_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["dir_organization.id"],
            name=op.f("fk_dir_service_organization_id_dir_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_dir_service_place_id_place")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_service")),
    )
    with op.batch_alter_table("dir_service", schema=None) as batch_op:
        batch_op.create_index("ix_dir_service_last_modified", ["last_modified"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dir_service_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "dir_phone",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["dir_service.id"], name=op.f("fk_dir_phone_service_id_dir_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_phone")),
    )
    with op.batch_alter_table("dir_phone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dir_phone_service_id"), ["service_id"], unique=False)

    op.create_table(
        "dir_schedule",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("freq", sa.String(length=10), nullable=False),
        sa.Column("byday", sa.String(length=30), nullable=False),
        sa.Column("opens_at", sa.String(length=10), nullable=False),
        sa.Column("closes_at", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["dir_service.id"], name=op.f("fk_dir_schedule_service_id_dir_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_schedule")),
    )
    with op.batch_alter_table("dir_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dir_schedule_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "dir_service_at_location",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["dir_location.id"],
            name=op.f("fk_dir_service_at_location_location_id_dir_location"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["dir_service.id"],
            name=op.f("fk_dir_service_at_location_service_id_dir_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dir_service_at_location")),
    )
    with op.batch_alter_table("dir_service_at_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dir_service_at_location_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dir_service_at_location_service_id"), ["service_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dir_service_at_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_service_at_location_service_id"))
        batch_op.drop_index(batch_op.f("ix_dir_service_at_location_location_id"))

    op.drop_table("dir_service_at_location")
    with op.batch_alter_table("dir_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_schedule_service_id"))

    op.drop_table("dir_schedule")
    with op.batch_alter_table("dir_phone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_phone_service_id"))

    op.drop_table("dir_phone")
    with op.batch_alter_table("dir_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_service_organization_id"))
        batch_op.drop_index("ix_dir_service_last_modified")

    op.drop_table("dir_service")
    with op.batch_alter_table("dir_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_attribute_taxonomy_term_id"))
        batch_op.drop_index(batch_op.f("ix_dir_attribute_link_id"))

    op.drop_table("dir_attribute")
    with op.batch_alter_table("dir_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_address_location_id"))

    op.drop_table("dir_address")
    with op.batch_alter_table("dir_taxonomy_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dir_taxonomy_term_taxonomy_id"))

    op.drop_table("dir_taxonomy_term")
    with op.batch_alter_table("dir_location", schema=None) as batch_op:
        batch_op.drop_index("ix_dir_location_lat_lon")

    op.drop_table("dir_location")
    op.drop_table("dir_taxonomy")
    op.drop_table("dir_postcode")
    op.drop_table("dir_organization")
