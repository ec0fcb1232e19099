"""Benchmarking: the practice log, evidence files, follow-up rounds, group reports and score adjustments.

Revision ID: eee6004206c9
Revises: 0e45ff7283d6
Create Date: 2026-11-27 21:27:40.666090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "eee6004206c9"
down_revision: str | Sequence[str] | None = "0e45ff7283d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "60f4914e4a15"


def upgrade() -> None:
    op.create_table(
        "benchmarking_followup_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_benchmarking_followup_rounds_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_followup_rounds")),
    )
    with op.batch_alter_table("benchmarking_followup_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_followup_rounds_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "benchmarking_practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "service_innovation",
                "digital_service",
                "bureaucracy_reform",
                "human_resources",
                "finance",
                "health",
                "other",
                name="benchmarking_category",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("identified", sa.Text(), nullable=False),
        sa.Column("evidence_links", sa.Text(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum("identified", "adopted", "adapted", name="benchmarking_stage", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("adoption_plan", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("reasons", sa.String(length=200), nullable=False),
        sa.Column("target_unit", sa.String(length=300), nullable=False),
        sa.Column("timeline", sa.Text(), nullable=False),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("change_project_link", sa.Text(), nullable=False),
        sa.Column("private_note", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_benchmarking_practices_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_benchmarking_practices_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["benchmarking_visits.id"],
            name=op.f("fk_benchmarking_practices_visit_id_benchmarking_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_practices")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_benchmarking_practices_submission_id")),
    )
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_practices_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_practices_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "benchmarking_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "implemented",
                "discontinued",
                name="benchmarking_impl_status",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("evidence_links", sa.Text(), nullable=False),
        sa.Column("reported_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_benchmarking_followups_confirmed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["benchmarking_practices.id"],
            name=op.f("fk_benchmarking_followups_practice_id_benchmarking_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["benchmarking_followup_rounds.id"],
            name=op.f("fk_benchmarking_followups_round_id_benchmarking_followup_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_followups")),
        sa.UniqueConstraint("round_id", "practice_id", name=op.f("uq_benchmarking_followups_round_id_practice_id")),
    )
    with op.batch_alter_table("benchmarking_followups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_followups_practice_id"), ["practice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_followups_round_id"), ["round_id"], unique=False)

    op.create_table(
        "benchmarking_group_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("practice_ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["benchmarking_groups.id"],
            name=op.f("fk_benchmarking_group_reports_group_id_benchmarking_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_benchmarking_group_reports_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_group_reports")),
        sa.UniqueConstraint("group_id", name=op.f("uq_benchmarking_group_reports_group_id")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_benchmarking_group_reports_submission_id")),
    )
    op.create_table(
        "benchmarking_score_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_benchmarking_score_adjustments_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["benchmarking_groups.id"],
            name=op.f("fk_benchmarking_score_adjustments_group_id_benchmarking_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_benchmarking_score_adjustments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_score_adjustments")),
    )
    with op.batch_alter_table("benchmarking_score_adjustments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_score_adjustments_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_score_adjustments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "benchmarking_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["benchmarking_followups.id"],
            name=op.f("fk_benchmarking_attachments_followup_id_benchmarking_followups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_benchmarking_attachments_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["benchmarking_practices.id"],
            name=op.f("fk_benchmarking_attachments_practice_id_benchmarking_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_benchmarking_attachments_stored_name")),
    )
    with op.batch_alter_table("benchmarking_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_attachments_followup_id"), ["followup_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_attachments_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_attachments_practice_id"), ["practice_id"], unique=False)

    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_assessment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("min_practices", sa.Integer(), nullable=False, server_default="3"))
        batch_op.create_index(batch_op.f("ix_benchmarking_visits_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_benchmarking_visits_report_assessment_id"), ["report_assessment_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_visits_assessment_id_assessments"),
            "assessments",
            ["assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_visits_report_assessment_id_assessments"),
            "assessments",
            ["report_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_benchmarking_visits_report_assessment_id_assessments"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_benchmarking_visits_assessment_id_assessments"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_report_assessment_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_assessment_id"))
        batch_op.drop_column("min_practices")
        batch_op.drop_column("report_assessment_id")
        batch_op.drop_column("assessment_id")

    with op.batch_alter_table("benchmarking_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_attachments_practice_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_attachments_owner_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_attachments_followup_id"))

    op.drop_table("benchmarking_attachments")
    with op.batch_alter_table("benchmarking_score_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_score_adjustments_user_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_score_adjustments_group_id"))

    op.drop_table("benchmarking_score_adjustments")
    op.drop_table("benchmarking_group_reports")
    with op.batch_alter_table("benchmarking_followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_followups_round_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_followups_practice_id"))

    op.drop_table("benchmarking_followups")
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_practices_visit_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_practices_participant_id"))

    op.drop_table("benchmarking_practices")
    with op.batch_alter_table("benchmarking_followup_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_followup_rounds_cohort_id"))

    op.drop_table("benchmarking_followup_rounds")
