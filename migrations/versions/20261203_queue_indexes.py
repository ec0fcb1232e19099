"""Indexes the grading queue and the dashboards read by (checked with EXPLAIN ANALYZE on 78,600
submissions, see bench/README.md).

- submissions (state, submitted_at, id): the queue's "ungraded" walks submitted work oldest first
  and stops after a page, instead of sorting every ungraded submission of every cohort.
- submissions (assessment_id, state) replaces the single-column index on assessment_id (the
  unique constraint on (assessment_id, participant_id, attempt) already serves the foreign key):
  the dashboard's count and the progress page read only submitted rows of an assessment.

Revision ID: 9d4b2f6e8a13
Revises: 94fe34afb476
Create Date: 2026-12-03 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9d4b2f6e8a13"
down_revision: str | Sequence[str] | None = "94fe34afb476"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_assessment_id")
        batch_op.create_index("ix_submissions_assessment_id_state", ["assessment_id", "state"], unique=False)
        batch_op.create_index("ix_submissions_state_submitted_at", ["state", "submitted_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_state_submitted_at")
        batch_op.drop_index("ix_submissions_assessment_id_state")
        batch_op.create_index("ix_submissions_assessment_id", ["assessment_id"], unique=False)
