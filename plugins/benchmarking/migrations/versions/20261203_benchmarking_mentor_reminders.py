"""Reminders e-mailed to mentors while a follow-up round is open and they have not answered: one
row per mentor and moment, so the hourly job sends each once (issue 16).

Revision ID: c83f5d2e9a14
Revises: 9e4c2a7b5d18
Create Date: 2026-12-03 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lms.db import UTCDateTime

revision: str = "c83f5d2e9a14"
down_revision: str | Sequence[str] | None = "9e4c2a7b5d18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmarking_mentor_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["benchmarking_mentors.id"],
            name=op.f("fk_benchmarking_mentor_reminders_mentor_id_benchmarking_mentors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["benchmarking_followup_rounds.id"],
            name=op.f("fk_benchmarking_mentor_reminders_round_id_benchmarking_followup_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_mentor_reminders")),
        sa.UniqueConstraint("mentor_id", "key", name=op.f("uq_benchmarking_mentor_reminders_mentor_id_key")),
    )
    op.create_index(op.f("ix_benchmarking_mentor_reminders_mentor_id"), "benchmarking_mentor_reminders", ["mentor_id"])
    op.create_index(op.f("ix_benchmarking_mentor_reminders_round_id"), "benchmarking_mentor_reminders", ["round_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_benchmarking_mentor_reminders_round_id"), table_name="benchmarking_mentor_reminders")
    op.drop_index(op.f("ix_benchmarking_mentor_reminders_mentor_id"), table_name="benchmarking_mentor_reminders")
    op.drop_table("benchmarking_mentor_reminders")
