"""Mentors (the peserta's superior) and their answers on follow-up reports (issue 16): a mentor has
no account and answers through a signed, expiring link; each answer is kept with its round.

Revision ID: d4e7a9c2b816
Revises: 5d1f0a7c3e62
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lms.db import UTCDateTime

revision: str = "d4e7a9c2b816"
down_revision: str | Sequence[str] | None = "5d1f0a7c3e62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmarking_mentors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("link_nonce", sa.String(length=32), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_benchmarking_mentors_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_benchmarking_mentors_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_mentors")),
        sa.UniqueConstraint("participant_id", "email", name=op.f("uq_benchmarking_mentors_participant_id_email")),
    )
    op.create_index(op.f("ix_benchmarking_mentors_participant_id"), "benchmarking_mentors", ["participant_id"])
    op.create_index(op.f("ix_benchmarking_mentors_invited_by_id"), "benchmarking_mentors", ["invited_by_id"])
    op.create_table(
        "benchmarking_mentor_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "verdict",
            sa.Enum(
                "confirmed",
                "disputed",
                "more_evidence",
                name="benchmarking_mentor_verdict",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["benchmarking_mentors.id"],
            name=op.f("fk_benchmarking_mentor_reviews_mentor_id_benchmarking_mentors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["benchmarking_followup_rounds.id"],
            name=op.f("fk_benchmarking_mentor_reviews_round_id_benchmarking_followup_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["benchmarking_followups.id"],
            name=op.f("fk_benchmarking_mentor_reviews_followup_id_benchmarking_followups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_mentor_reviews")),
        sa.UniqueConstraint(
            "mentor_id",
            "followup_id",
            "reported_at",
            name=op.f("uq_benchmarking_mentor_reviews_mentor_id_followup_id_reported_at"),
        ),
    )
    for column in ("mentor_id", "round_id", "followup_id"):
        op.create_index(op.f(f"ix_benchmarking_mentor_reviews_{column}"), "benchmarking_mentor_reviews", [column])


def downgrade() -> None:
    for column in ("mentor_id", "round_id", "followup_id"):
        op.drop_index(op.f(f"ix_benchmarking_mentor_reviews_{column}"), table_name="benchmarking_mentor_reviews")
    op.drop_table("benchmarking_mentor_reviews")
    op.drop_index(op.f("ix_benchmarking_mentors_invited_by_id"), table_name="benchmarking_mentors")
    op.drop_index(op.f("ix_benchmarking_mentors_participant_id"), table_name="benchmarking_mentors")
    op.drop_table("benchmarking_mentors")
