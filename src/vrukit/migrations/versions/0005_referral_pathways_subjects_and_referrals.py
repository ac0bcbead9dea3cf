"""referral pathways, subjects and referrals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 03:16:07.626115
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_deprivation",
        sa.Column("lsoa_code", sa.String(length=9), nullable=False),
        sa.Column("imd_decile", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lsoa_code", name=op.f("pk_area_deprivation")),
    )
    op.create_table(
        "ref_subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=12), nullable=False),
        sa.Column("identity", sa.LargeBinary(), nullable=True),
        sa.Column("match_key", sa.String(length=64), nullable=True),
        sa.Column("identity_deleted_at", sa.DateTime(), nullable=True),
        sa.Column("consent", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "consent IN ('given', 'withdrawn')", name=op.f("ck_ref_subject_consent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_subject")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_ref_subject_pseudonym")),
    )
    with op.batch_alter_table("ref_subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ref_subject_match_key"), ["match_key"], unique=False)

    op.create_table(
        "ref_pathway",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_setting", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("follows_reoffending", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "source_setting IN ('custody', 'a&e', 'gp', 'school', 'sports', 'community', 'self')",
            name=op.f("ck_ref_pathway_setting"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisation.id"],
            name=op.f("fk_ref_pathway_provider_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_pathway")),
        sa.UniqueConstraint("key", name=op.f("uq_ref_pathway_key")),
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("referring_org_id", sa.Integer(), nullable=False),
        sa.Column("referrer_role", sa.String(length=100), nullable=False),
        sa.Column("referred_by", sa.Integer(), nullable=True),
        sa.Column("receiving_org_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("prior_offences", sa.Integer(), nullable=True),
        sa.Column("lsoa_code", sa.String(length=9), nullable=True),
        sa.Column("imd_decile", sa.Integer(), nullable=True),
        sa.Column("referred_on_from_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_status", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "duplicate_status IS NULL OR duplicate_status IN ('pending', 'same', 'different')",
            name=op.f("ck_referral_duplicate"),
        ),
        sa.CheckConstraint(
            "sex IN ('female', 'male', 'other', 'not_known')", name=op.f("ck_referral_sex")
        ),
        sa.CheckConstraint(
            "status IN ('received', 'accepted', 'not_accepted', 'contacted', 'engaged', 'declined', 'unreachable', 'referred_on', 'closed')",
            name=op.f("ck_referral_status"),
        ),
        sa.CheckConstraint("age BETWEEN 0 AND 130", name=op.f("ck_referral_age")),
        sa.CheckConstraint(
            "imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", name=op.f("ck_referral_decile")
        ),
        sa.CheckConstraint(
            "prior_offences IS NULL OR prior_offences >= 0", name=op.f("ck_referral_prior")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["referral.id"], name=op.f("fk_referral_duplicate_of_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["ref_pathway.id"], name=op.f("fk_referral_pathway_id_ref_pathway")
        ),
        sa.ForeignKeyConstraint(
            ["receiving_org_id"],
            ["organisation.id"],
            name=op.f("fk_referral_receiving_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["referred_by"], ["app_user.id"], name=op.f("fk_referral_referred_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["referred_on_from_id"],
            ["referral.id"],
            name=op.f("fk_referral_referred_on_from_id_referral"),
        ),
        sa.ForeignKeyConstraint(
            ["referring_org_id"],
            ["organisation.id"],
            name=op.f("fk_referral_referring_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["dir_service.id"],
            name=op.f("fk_referral_service_id_dir_service"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["ref_subject.id"], name=op.f("fk_referral_subject_id_ref_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_pathway_id"), ["pathway_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referral_receiving_org_id"), ["receiving_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_referring_org_id"), ["referring_org_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referral_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "ref_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_ref_consent_recorded_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_ref_consent_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["ref_subject.id"], name=op.f("fk_ref_consent_subject_id_ref_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_consent")),
    )
    with op.batch_alter_table("ref_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ref_consent_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "ref_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["by"], ["app_user.id"], name=op.f("fk_ref_event_by_app_user")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_ref_event_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_event")),
    )
    with op.batch_alter_table("ref_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ref_event_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "ref_outcome",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reoffended", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('improved', 'no_change', 'worse', 'not_known')",
            name=op.f("ck_ref_outcome_outcome"),
        ),
        sa.CheckConstraint("months IN (3, 6, 12)", name=op.f("ck_ref_outcome_months")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_ref_outcome_recorded_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_ref_outcome_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("referral_id", "months", name=op.f("pk_ref_outcome")),
    )


def downgrade() -> None:
    op.drop_table("ref_outcome")
    with op.batch_alter_table("ref_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ref_event_referral_id"))

    op.drop_table("ref_event")
    with op.batch_alter_table("ref_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ref_consent_subject_id"))

    op.drop_table("ref_consent")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_subject_id"))
        batch_op.drop_index(batch_op.f("ix_referral_referring_org_id"))
        batch_op.drop_index(batch_op.f("ix_referral_receiving_org_id"))
        batch_op.drop_index(batch_op.f("ix_referral_pathway_id"))

    op.drop_table("referral")
    op.drop_table("ref_pathway")
    with op.batch_alter_table("ref_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ref_subject_match_key"))

    op.drop_table("ref_subject")
    op.drop_table("area_deprivation")
