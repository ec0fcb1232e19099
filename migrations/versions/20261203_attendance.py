"""Attendance (issue 15): the sessions of a cohort with their JP and widyaiswara, one record per
peserta per session, and the program's attendance minimum (percent, none by default).

Revision ID: a7e3c5d1f402
Revises: 9d4b2f6e8a13
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7e3c5d1f402"
down_revision: str | Sequence[str] | None = "9d4b2f6e8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendance_minimum", sa.Numeric(precision=5, scale=2), nullable=True))
    op.create_table(
        "attendance_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("jp", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=True),
        sa.Column("instructor_present", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_attendance_sessions_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["instructor_id"],
            ["users.id"],
            name=op.f("fk_attendance_sessions_instructor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_attendance_sessions_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_sessions")),
    )
    with op.batch_alter_table("attendance_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_sessions_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_sessions_instructor_id"), ["instructor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_sessions_recorded_by_id"), ["recorded_by_id"], unique=False)
    op.create_table(
        "attendance_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("hadir", "izin", "sakit", "alpa", name="presence", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_attendance_records_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["attendance_sessions.id"],
            name=op.f("fk_attendance_records_session_id_attendance_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_records")),
        sa.UniqueConstraint(
            "session_id", "participant_id", name=op.f("uq_attendance_records_session_id_participant_id")
        ),
    )
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_records_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_records_participant_id"))
    op.drop_table("attendance_records")
    with op.batch_alter_table("attendance_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_sessions_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_sessions_instructor_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_sessions_cohort_id"))
    op.drop_table("attendance_sessions")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("attendance_minimum")
