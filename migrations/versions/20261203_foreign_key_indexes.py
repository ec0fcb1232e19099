"""Index every foreign key to users.id that had none.

Deleting a user (or a cohort with all its people) makes PostgreSQL look up each referencing row
for ON DELETE SET NULL/CASCADE; without an index that is one sequential scan per deleted user and
table: deleting 4,500 users took 133 s. tests/test_indexes.py keeps every foreign key indexed.

Revision ID: 3c1f0a7d9b21
Revises: 3c1d2e7a9b40
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c1f0a7d9b21"
down_revision: str | Sequence[str] | None = "3c1d2e7a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("rubrics", "created_by_id"),
    ("assessment_extensions", "granted_by_id"),
    ("submission_revisions", "saved_by_id"),
    ("grade_events", "actor_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
