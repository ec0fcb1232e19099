"""Index the benchmarking tables' foreign keys to users.id that had none (see the core revision
3c1f0a7d9b21: deleting people scanned these tables once per person).

Revision ID: 7a2e4c9d1f05
Revises: 8f2a4c6d1e93
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7a2e4c9d1f05"
down_revision: str | Sequence[str] | None = "8f2a4c6d1e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("benchmarking_followups", "confirmed_by_id"),
    ("benchmarking_score_adjustments", "actor_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
