"""partnerships, incidents and young people's voice

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 12:30:00

Partnerships: boards and networks gain a type (partnership board, sports network, faith
alliance, community champions...) and members' joining and leaving dates; meetings with
attendance, papers, decisions and actions (each with an owner, a deadline and a status); people
who are members in their own right (community champions); the people each network reached per
quarter. Incidents: significant incidents (no one's identity), the response's checklist with
times, the surge offer (services and pathways) and its uptake. Young people's voice: surveys
defined as data, their anonymous responses, the one-time tokens spent and the hour's throttle,
and the youth panel's members (with consent), sessions and attendance.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a listing's assurer_email is published by the Open Referral API: verifications made
    # before this revision wrote the verifier's portal sign-in there
    op.execute(
        "UPDATE dir_service SET assurer_email = NULL "
        "WHERE assurer_email IN (SELECT email FROM app_user)"
    )
    op.create_table(
        "survey_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "hour", name=op.f("pk_survey_throttle")),
    )

    op.create_table(
        "survey_token_used",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_survey_token_used")),
    )
    with op.batch_alter_table("survey_token_used", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_token_used_used_at"), ["used_at"], unique=False)

    op.create_table(
        "youth_panel_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youth_panel_session")),
    )
    op.create_table(
        "youth_panel_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("age_on_joining", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("consent_by", sa.String(length=20), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "age_on_joining >= 16 OR consent_by = 'parent or carer'",
            name=op.f("ck_youth_panel_member_under_16"),
        ),
        sa.CheckConstraint(
            "consent_by IN ('self', 'parent or carer')",
            name=op.f("ck_youth_panel_member_consent_by"),
        ),
        sa.CheckConstraint(
            "age_on_joining BETWEEN 8 AND 30", name=op.f("ck_youth_panel_member_age")
        ),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined", name=op.f("ck_youth_panel_member_dates")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_youth_panel_member_place_id_place")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youth_panel_member")),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("located_by", sa.String(length=60), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('homicide', 'stabbing', 'shooting', 'serious_assault', 'disorder', 'other')",
            name=op.f("ck_incident_kind"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_incident_status")),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_incident_point"),
        ),
        sa.CheckConstraint("radius_m BETWEEN 100 AND 10000", name=op.f("ck_incident_radius")),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_incident_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_incident_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], name=op.f("fk_meeting_board_id_board")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_meeting_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("board_id", "held_on", "title", name=op.f("uq_meeting_board_id")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_board_id"), ["board_id"], unique=False)

    op.create_table(
        "network_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined", name=op.f("ck_network_person_dates")
        ),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_network_person_board_id_board")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_network_person_place_id_place")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_person")),
    )
    with op.batch_alter_table("network_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_person_board_id"), ["board_id"], unique=False)

    op.create_table(
        "network_reach",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "activities IS NULL OR activities >= 0", name=op.f("ck_network_reach_activities")
        ),
        sa.CheckConstraint("people >= 0", name=op.f("ck_network_reach_people")),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_network_reach_board_id_board")
        ),
        sa.PrimaryKeyConstraint("board_id", "period", name=op.f("pk_network_reach")),
    )
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_survey_status")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_survey_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("key", name=op.f("uq_survey_key")),
    )
    op.create_table(
        "youth_panel_attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["youth_panel_member.id"],
            name=op.f("fk_youth_panel_attendance_member_id_youth_panel_member"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["youth_panel_session.id"],
            name=op.f("fk_youth_panel_attendance_session_id_youth_panel_session"),
        ),
        sa.PrimaryKeyConstraint("session_id", "member_id", name=op.f("pk_youth_panel_attendance")),
    )
    op.create_table(
        "incident_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=True),
        sa.Column("pathway_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(service_id IS NULL) != (pathway_id IS NULL)", name=op.f("ck_incident_offer_one")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_offer_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["ref_pathway.id"],
            name=op.f("fk_incident_offer_pathway_id_ref_pathway"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["dir_service.id"],
            name=op.f("fk_incident_offer_service_id_dir_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_offer")),
        sa.UniqueConstraint(
            "incident_id", "service_id", "pathway_id", name=op.f("uq_incident_offer_incident_id")
        ),
    )
    with op.batch_alter_table("incident_offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_offer_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by"], ["app_user.id"], name=op.f("fk_incident_step_done_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_step_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_step")),
        sa.UniqueConstraint("incident_id", "step", name=op.f("uq_incident_step_incident_id")),
    )
    with op.batch_alter_table("incident_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_step_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "status IN ('present', 'apologies', 'absent')",
            name=op.f("ck_meeting_attendance_status"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_attendance_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_meeting_attendance_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint(
            "meeting_id", "organisation_id", name=op.f("pk_meeting_attendance")
        ),
    )
    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_decision_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decision")),
    )
    with op.batch_alter_table("meeting_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_decision_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_paper_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_paper")),
    )
    with op.batch_alter_table("meeting_paper", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_paper_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("age_band", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "age_band IN ('under 11', '11-13', '14-15', '16-17', '18-24', '25 or over')",
            name=op.f("ck_survey_response_age_band"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_survey_response_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_response_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_response_survey_day", ["survey_id", "submitted_on"], unique=False
        )

    op.create_table(
        "incident_uptake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("young_people", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "sessions IS NULL OR sessions >= 0", name=op.f("ck_incident_uptake_sessions")
        ),
        sa.CheckConstraint("young_people >= 0", name=op.f("ck_incident_uptake_people")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_uptake_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["incident_offer.id"],
            name=op.f("fk_incident_uptake_offer_id_incident_offer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_uptake")),
        sa.UniqueConstraint("offer_id", "counted_on", name=op.f("uq_incident_uptake_offer_id")),
    )
    with op.batch_alter_table("incident_uptake", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_uptake_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "meeting_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(status = 'open') = (closed_on IS NULL)", name=op.f("ck_meeting_action_closed")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'dropped')", name=op.f("ck_meeting_action_status")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["meeting_decision.id"],
            name=op.f("fk_meeting_action_decision_id_meeting_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_action_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["app_user.id"], name=op.f("fk_meeting_action_owner_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_action")),
    )
    with op.batch_alter_table("meeting_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_action_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_action_owner_id"), ["owner_id"], unique=False)

    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network_type", sa.String(length=30), nullable=True))

    with op.batch_alter_table("board_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("board_member", schema=None) as batch_op:
        batch_op.drop_column("left_on")
        batch_op.drop_column("joined")

    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_column("network_type")

    with op.batch_alter_table("meeting_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_action_meeting_id"))

    op.drop_table("meeting_action")
    with op.batch_alter_table("incident_uptake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_uptake_incident_id"))

    op.drop_table("incident_uptake")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_response_survey_day")

    op.drop_table("survey_response")
    with op.batch_alter_table("meeting_paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_paper_meeting_id"))

    op.drop_table("meeting_paper")
    with op.batch_alter_table("meeting_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_decision_meeting_id"))

    op.drop_table("meeting_decision")
    op.drop_table("meeting_attendance")
    with op.batch_alter_table("incident_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_step_incident_id"))

    op.drop_table("incident_step")
    with op.batch_alter_table("incident_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_offer_incident_id"))

    op.drop_table("incident_offer")
    op.drop_table("youth_panel_attendance")
    op.drop_table("survey")
    op.drop_table("network_reach")
    with op.batch_alter_table("network_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_person_board_id"))

    op.drop_table("network_person")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_board_id"))

    op.drop_table("meeting")
    op.drop_table("incident")
    op.drop_table("youth_panel_member")
    op.drop_table("youth_panel_session")
    with op.batch_alter_table("survey_token_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_token_used_used_at"))

    op.drop_table("survey_token_used")
    op.drop_table("survey_throttle")
