"""commissioning and governance

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:15:00

Commissioning: rounds with criteria and a panel, applications with budget lines, places and
attachments, conflicts, scores, moderation, and the payments an award schedules. Governance:
spend by quarter, the delivery plan's objectives and actions (with their updates), the risk
register (with its reviews) and the decision and issue log. Users gain a role, "panel", for
scorers from outside the VRU's staff.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('decision', 'issue')", name=op.f("ck_log_entry_kind")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_log_entry_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_entry")),
    )
    op.create_table(
        "objective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objective")),
        sa.UniqueConstraint("title", name=op.f("uq_objective_title")),
    )
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('not_started', 'on_track', 'at_risk', 'off_track', 'complete')",
            name=op.f("ck_action_status"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_action_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objective.id"], name=op.f("fk_action_objective_id_objective")
        ),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], name=op.f("fk_action_place_id_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    op.create_table(
        "funding_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fund", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("budget", sa.Float(), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=False),
        sa.Column("min_scorers", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'scoring', 'decided')",
            name=op.f("ck_funding_round_status"),
        ),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_funding_round_budget")),
        sa.CheckConstraint("closes >= opens", name=op.f("ck_funding_round_dates")),
        sa.CheckConstraint("min_scorers >= 1", name=op.f("ck_funding_round_min_scorers")),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_funding_round_intervention_id_intervention"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_round")),
        sa.UniqueConstraint("name", name=op.f("uq_funding_round_name")),
    )
    op.create_table(
        "risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("mitigations", sa.Text(), nullable=True),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("raised", sa.Date(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_risk_status")),
        sa.CheckConstraint(
            "likelihood BETWEEN 1 AND 5 AND impact BETWEEN 1 AND 5", name=op.f("ck_risk_scale")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_risk_intervention_id_intervention"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
        sa.UniqueConstraint("title", name=op.f("uq_risk_title")),
    )
    op.create_table(
        "spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "length(quarter) = 7 AND substr(quarter, 5, 2) = '-Q' AND substr(quarter, 7, 1) IN ('1', '2', '3', '4')",
            name=op.f("ck_spend_quarter"),
        ),
        sa.CheckConstraint("source IN ('typed', 'upload', 'return')", name=op.f("ck_spend_source")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_spend_amount")),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["app_user.id"], name=op.f("fk_spend_entered_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_spend_intervention_id_intervention"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend")),
    )
    op.create_table(
        "action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('not_started', 'on_track', 'at_risk', 'off_track', 'complete')",
            name=op.f("ck_action_update_status"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_action_update_action_id_action")
        ),
        sa.ForeignKeyConstraint(["by"], ["app_user.id"], name=op.f("fk_action_update_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_update")),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("yef_strand", sa.String(length=100), nullable=True),
        sa.Column("thematic_area", sa.String(length=30), nullable=False),
        sa.Column("prevention_tier", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("awarded", sa.Float(), nullable=True),
        sa.Column("contract_start", sa.Date(), nullable=True),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "prevention_tier IN ('primary', 'secondary', 'tertiary')",
            name=op.f("ck_application_prevention_tier"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'awarded', 'declined', 'withdrawn')",
            name=op.f("ck_application_status"),
        ),
        sa.CheckConstraint(
            "thematic_area IN ('criminal_justice', 'education', 'exploitation', 'health', 'sport', 'places', 'trauma_informed')",
            name=op.f("ck_application_thematic_area"),
        ),
        sa.CheckConstraint(
            "age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
            name=op.f("ck_application_ages"),
        ),
        sa.CheckConstraint("amount >= 0 AND reach >= 0", name=op.f("ck_application_amount")),
        sa.CheckConstraint("awarded IS NULL OR awarded >= 0", name=op.f("ck_application_awarded")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_application_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_application_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_application_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["funding_round.id"], name=op.f("fk_application_round_id_funding_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint(
            "round_id", "organisation_id", "title", name=op.f("uq_application_round_id")
        ),
    )
    op.create_table(
        "panel_member",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chair", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["funding_round.id"], name=op.f("fk_panel_member_round_id_funding_round")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_panel_member_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_panel_member")),
    )
    op.create_table(
        "risk_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "likelihood BETWEEN 1 AND 5 AND impact BETWEEN 1 AND 5",
            name=op.f("ck_risk_review_scale"),
        ),
        sa.ForeignKeyConstraint(["by"], ["app_user.id"], name=op.f("fk_risk_review_by_app_user")),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"], name=op.f("fk_risk_review_risk_id_risk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_review")),
    )
    op.create_table(
        "round_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("top", sa.Integer(), nullable=False),
        sa.CheckConstraint("top BETWEEN 1 AND 100", name=op.f("ck_round_criterion_top")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_round_criterion_weight")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["funding_round.id"],
            name=op.f("fk_round_criterion_round_id_funding_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_criterion")),
        sa.UniqueConstraint("round_id", "name", name=op.f("uq_round_criterion_round_id")),
    )
    op.create_table(
        "application_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_attachment_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_attachment")),
    )
    op.create_table(
        "application_place",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_place_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_application_place_place_id_place")
        ),
        sa.PrimaryKeyConstraint("application_id", "place_id", name=op.f("pk_application_place")),
    )
    op.create_table(
        "budget_line",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "category IN ('staff', 'activities', 'venue', 'equipment', 'management', 'other')",
            name=op.f("ck_budget_line_category"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_budget_line_amount")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_budget_line_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("application_id", "line", name=op.f("pk_budget_line")),
    )
    op.create_table(
        "conflict",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_conflict_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_conflict_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("application_id", "user_id", name=op.f("pk_conflict")),
    )
    op.create_table(
        "moderation",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("moderated_by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("score >= 0", name=op.f("ck_moderation_score")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_moderation_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["round_criterion.id"],
            name=op.f("fk_moderation_criterion_id_round_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"], ["app_user.id"], name=op.f("fk_moderation_moderated_by_app_user")
        ),
        sa.PrimaryKeyConstraint("application_id", "criterion_id", name=op.f("pk_moderation")),
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payment_amount")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_payment_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_payment_intervention_id_intervention"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_payment_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    op.create_table(
        "score",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("score >= 0", name=op.f("ck_score_score")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_score_application_id_application")
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["round_criterion.id"],
            name=op.f("fk_score_criterion_id_round_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_score_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("application_id", "criterion_id", "user_id", name=op.f("pk_score")),
    )
    _roles("role IN ('admin', 'commissioner', 'analyst', 'provider', 'panel')")


def _roles(check: str) -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(op.f("ck_app_user_role"), type_="check")
        batch.create_check_constraint(op.f("ck_app_user_role"), sa.text(check))


def downgrade() -> None:
    op.execute("UPDATE app_user SET active = false WHERE role = 'panel'")
    op.execute("UPDATE app_user SET role = 'analyst' WHERE role = 'panel'")
    _roles("role IN ('admin', 'commissioner', 'analyst', 'provider')")
    op.drop_table("score")
    op.drop_table("payment")
    op.drop_table("moderation")
    op.drop_table("conflict")
    op.drop_table("budget_line")
    op.drop_table("application_place")
    op.drop_table("application_attachment")
    op.drop_table("round_criterion")
    op.drop_table("risk_review")
    op.drop_table("panel_member")
    op.drop_table("application")
    op.drop_table("action_update")
    op.drop_table("spend")
    op.drop_table("risk")
    op.drop_table("funding_round")
    op.drop_table("action")
    op.drop_table("objective")
    op.drop_table("log_entry")
