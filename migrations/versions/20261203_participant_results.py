"""Stored results: every peserta's computed result (participant_results) and its assessment cells
(participant_result_cells), so that pages, ranks and exports are queries (issue 13); backfilled.

Revision ID: 4e7d1c9a2b56
Revises: e52b8d3f1a74
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from flask import has_app_context
from sqlalchemy.orm import Session

import lms.db

revision: str = "4e7d1c9a2b56"
down_revision: str | Sequence[str] | None = "e52b8d3f1a74"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant_results",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("final", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("predicate", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attendance_percent", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("stale_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_participant_results_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_participant_results_participant_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", "participant_id", name=op.f("pk_participant_results")),
    )
    with op.batch_alter_table("participant_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_results_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index("ix_participant_results_cohort_id_final", ["cohort_id", "final"], unique=False)
        batch_op.create_index("ix_participant_results_cohort_id_status", ["cohort_id", "status"], unique=False)
    op.create_table(
        "participant_result_cells",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_participant_result_cells_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id", "participant_id"],
            ["participant_results.cohort_id", "participant_results.participant_id"],
            name=op.f("fk_participant_result_cells_cohort_id_participant_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "cohort_id", "participant_id", "assessment_id", name=op.f("pk_participant_result_cells")
        ),
    )
    with op.batch_alter_table("participant_result_cells", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participant_result_cells_assessment_id_score", ["assessment_id", "score"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """Every cohort's results, computed by the one computation (``flask db upgrade`` runs in the
    app, which the plugins' result columns need). Without an app the table stays empty and each
    cohort's first reader fills it (``lms.results.services.ensure_fresh``), as
    ``flask lms results refresh`` does for all."""
    if not has_app_context():
        return
    from lms.results.services import refresh_all

    session = Session(bind=op.get_bind())
    for _cohort, _rows in refresh_all(session):
        pass
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("participant_result_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_result_cells_assessment_id_score")
    op.drop_table("participant_result_cells")
    with op.batch_alter_table("participant_results", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_results_cohort_id_status")
        batch_op.drop_index("ix_participant_results_cohort_id_final")
        batch_op.drop_index(batch_op.f("ix_participant_results_participant_id"))
    op.drop_table("participant_results")
