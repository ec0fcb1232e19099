"""Assessments, submissions and their revisions, rubrics (versioned), grades and the grade audit.

Revision ID: 60f4914e4a15
Revises: 81cfd5658127
Create Date: 2026-11-27 21:22:17.857389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "60f4914e4a15"
down_revision: str | Sequence[str] | None = "81cfd5658127"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rubrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_template", sa.Boolean(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_rubrics_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rubrics_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["rubrics.id"], name=op.f("fk_rubrics_family_id_rubrics"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubrics")),
        sa.UniqueConstraint("family_id", "version", name=op.f("uq_rubrics_family_id_version")),
    )
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubrics_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rubrics_family_id"), ["family_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("opens_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cutoff_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("weight", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=True),
        sa.Column("max_submissions", sa.Integer(), nullable=False),
        sa.Column(
            "aggregation",
            sa.Enum("mean", "best", name="assessment_aggregation", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("best_n", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_assessments_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_assessments_rubric_id_rubrics"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "rubric_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_rubric_criteria_rubric_id_rubrics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_criteria")),
    )
    with op.batch_alter_table("rubric_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubric_criteria_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "assessment_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("cutoff_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_extensions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_extensions_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_assessment_extensions_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_extensions")),
        sa.UniqueConstraint(
            "assessment_id", "participant_id", name=op.f("uq_assessment_extensions_assessment_id_participant_id")
        ),
    )
    with op.batch_alter_table("assessment_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_extensions_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_extensions_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "rubric_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("descriptor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rubric_criteria.id"],
            name=op.f("fk_rubric_levels_criterion_id_rubric_criteria"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_levels")),
    )
    with op.batch_alter_table("rubric_levels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubric_levels_criterion_id"), ["criterion_id"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "submitted", "returned", name="submission_state", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_submissions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["users.id"], name=op.f("fk_submissions_participant_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "assessment_id",
            "participant_id",
            "attempt",
            name=op.f("uq_submissions_assessment_id_participant_id_attempt"),
        ),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("grader_id", sa.Integer(), nullable=True),
        sa.Column("rubric_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "final", "released", name="grade_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("released_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grader_id"], ["users.id"], name=op.f("fk_grades_grader_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_grades_rubric_id_rubrics"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_grades_submission_id_submissions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grades")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_grades_submission_id")),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grades_grader_id"), ["grader_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grades_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "submission_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["users.id"], name=op.f("fk_submission_revisions_saved_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_revisions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_revisions")),
    )
    with op.batch_alter_table("submission_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_revisions_submission_id"), ["submission_id"], unique=False)

    op.create_table(
        "grade_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rubric_criteria.id"],
            name=op.f("fk_grade_criteria_criterion_id_rubric_criteria"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grades.id"], name=op.f("fk_grade_criteria_grade_id_grades"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["rubric_levels.id"],
            name=op.f("fk_grade_criteria_level_id_rubric_levels"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_criteria")),
        sa.UniqueConstraint("grade_id", "criterion_id", name=op.f("uq_grade_criteria_grade_id_criterion_id")),
    )
    with op.batch_alter_table("grade_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grade_criteria_criterion_id"), ["criterion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grade_criteria_grade_id"), ["grade_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grade_criteria_level_id"), ["level_id"], unique=False)

    op.create_table(
        "grade_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_grade_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grades.id"], name=op.f("fk_grade_events_grade_id_grades"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_grade_events_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_events")),
    )
    with op.batch_alter_table("grade_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grade_events_grade_id"), ["grade_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grade_events_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grade_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_events_submission_id"))
        batch_op.drop_index(batch_op.f("ix_grade_events_grade_id"))

    op.drop_table("grade_events")
    with op.batch_alter_table("grade_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_criteria_level_id"))
        batch_op.drop_index(batch_op.f("ix_grade_criteria_grade_id"))
        batch_op.drop_index(batch_op.f("ix_grade_criteria_criterion_id"))

    op.drop_table("grade_criteria")
    with op.batch_alter_table("submission_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_revisions_submission_id"))

    op.drop_table("submission_revisions")
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grades_rubric_id"))
        batch_op.drop_index(batch_op.f("ix_grades_grader_id"))

    op.drop_table("grades")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_participant_id"))
        batch_op.drop_index(batch_op.f("ix_submissions_assessment_id"))

    op.drop_table("submissions")
    with op.batch_alter_table("rubric_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubric_levels_criterion_id"))

    op.drop_table("rubric_levels")
    with op.batch_alter_table("assessment_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_extensions_participant_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_extensions_assessment_id"))

    op.drop_table("assessment_extensions")
    with op.batch_alter_table("rubric_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubric_criteria_rubric_id"))

    op.drop_table("rubric_criteria")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_rubric_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_cohort_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubrics_family_id"))
        batch_op.drop_index(batch_op.f("ix_rubrics_cohort_id"))

    op.drop_table("rubrics")
