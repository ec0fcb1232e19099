"""Result components per program (versioned, pinned per cohort, audited when re-applied), the
work tagged to them, disciplinary decisions, and staff-entered score sheets (issue 15).

Revision ID: 529fc8807240
Revises: a7e3c5d1f402
Create Date: 2026-12-03 07:26:04.514112
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "529fc8807240"
down_revision: str | Sequence[str] | None = "a7e3c5d1f402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "result_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pass_minimum", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_result_schemes_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_result_schemes_program_id_programs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_schemes")),
        sa.UniqueConstraint("program_id", "version", name=op.f("uq_result_schemes_program_id_version")),
    )
    with op.batch_alter_table("result_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_schemes_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_schemes_program_id"), ["program_id"], unique=False)

    op.create_table(
        "result_cohort_schemes",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_result_cohort_schemes_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["result_schemes.id"],
            name=op.f("fk_result_cohort_schemes_scheme_id_result_schemes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_result_cohort_schemes")),
    )
    with op.batch_alter_table("result_cohort_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_cohort_schemes_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "result_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("minimum", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["result_schemes.id"],
            name=op.f("fk_result_components_scheme_id_result_schemes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_components")),
        sa.UniqueConstraint("scheme_id", "key", name=op.f("uq_result_components_scheme_id_key")),
    )
    with op.batch_alter_table("result_components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_components_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "result_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_result_decisions_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_result_decisions_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["users.id"], name=op.f("fk_result_decisions_participant_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_result_decisions_withdrawn_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_decisions")),
    )
    with op.batch_alter_table("result_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_result_decisions_cohort_id_participant_id", ["cohort_id", "participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_result_decisions_decided_by_id"), ["decided_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_decisions_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_decisions_withdrawn_by_id"), ["withdrawn_by_id"], unique=False)

    op.create_table(
        "result_scheme_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("from_scheme_id", sa.Integer(), nullable=True),
        sa.Column("to_scheme_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_result_scheme_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_result_scheme_events_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["from_scheme_id"],
            ["result_schemes.id"],
            name=op.f("fk_result_scheme_events_from_scheme_id_result_schemes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_scheme_id"],
            ["result_schemes.id"],
            name=op.f("fk_result_scheme_events_to_scheme_id_result_schemes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_scheme_events")),
    )
    with op.batch_alter_table("result_scheme_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_scheme_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_scheme_events_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_scheme_events_from_scheme_id"), ["from_scheme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_scheme_events_to_scheme_id"), ["to_scheme_id"], unique=False)

    op.create_table(
        "score_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("component_key", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column(
            "combination",
            sa.Enum("mean", "median", "lowest", "highest", name="sheet_combination", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("observers_required", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_score_sheets_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheets")),
    )
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheets_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "score_sheet_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheets.id"],
            name=op.f("fk_score_sheet_criteria_sheet_id_score_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet_criteria")),
    )
    with op.batch_alter_table("score_sheet_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheet_criteria_sheet_id"), ["sheet_id"], unique=False)

    op.create_table(
        "score_sheet_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("observer_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_score_sheet_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["observer_id"], ["users.id"], name=op.f("fk_score_sheet_events_observer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_score_sheet_events_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheets.id"],
            name=op.f("fk_score_sheet_events_sheet_id_score_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet_events")),
    )
    with op.batch_alter_table("score_sheet_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheet_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_events_observer_id"), ["observer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_events_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_events_sheet_id"), ["sheet_id"], unique=False)

    op.create_table(
        "result_work_components",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("component_key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_result_work_components_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_result_work_components")),
    )
    op.create_table(
        "score_sheet_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("observer_id", sa.Integer(), nullable=False),
        sa.Column(
            "observer_role",
            sa.Enum("widyaiswara", "coach", "penyelenggara", name="observer_role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["score_sheet_criteria.id"],
            name=op.f("fk_score_sheet_entries_criterion_id_score_sheet_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observer_id"], ["users.id"], name=op.f("fk_score_sheet_entries_observer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_score_sheet_entries_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheets.id"],
            name=op.f("fk_score_sheet_entries_sheet_id_score_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet_entries")),
        sa.UniqueConstraint(
            "criterion_id",
            "participant_id",
            "observer_id",
            name=op.f("uq_score_sheet_entries_criterion_id_participant_id_observer_id"),
        ),
    )
    with op.batch_alter_table("score_sheet_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheet_entries_criterion_id"), ["criterion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_entries_observer_id"), ["observer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_entries_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_sheet_entries_sheet_id"), ["sheet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("score_sheet_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheet_entries_sheet_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_entries_participant_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_entries_observer_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_entries_criterion_id"))

    op.drop_table("score_sheet_entries")
    op.drop_table("result_work_components")
    with op.batch_alter_table("score_sheet_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheet_events_sheet_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_events_participant_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_events_observer_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_events_actor_id"))

    op.drop_table("score_sheet_events")
    with op.batch_alter_table("score_sheet_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheet_criteria_sheet_id"))

    op.drop_table("score_sheet_criteria")
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheets_cohort_id"))

    op.drop_table("score_sheets")
    with op.batch_alter_table("result_scheme_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_scheme_events_to_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_result_scheme_events_from_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_result_scheme_events_cohort_id"))
        batch_op.drop_index(batch_op.f("ix_result_scheme_events_actor_id"))

    op.drop_table("result_scheme_events")
    with op.batch_alter_table("result_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_decisions_withdrawn_by_id"))
        batch_op.drop_index(batch_op.f("ix_result_decisions_participant_id"))
        batch_op.drop_index(batch_op.f("ix_result_decisions_decided_by_id"))
        batch_op.drop_index("ix_result_decisions_cohort_id_participant_id")

    op.drop_table("result_decisions")
    with op.batch_alter_table("result_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_components_scheme_id"))

    op.drop_table("result_components")
    with op.batch_alter_table("result_cohort_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_cohort_schemes_scheme_id"))

    op.drop_table("result_cohort_schemes")
    with op.batch_alter_table("result_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_schemes_program_id"))
        batch_op.drop_index(batch_op.f("ix_result_schemes_created_by_id"))

    op.drop_table("result_schemes")
