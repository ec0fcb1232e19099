"""A cohort's status follows its dates unless set by hand (issue 14): cohorts.status_by_hand.

Existing cohorts keep the status someone chose (by hand); new ones follow their dates.

Revision ID: e52b8d3f1a74
Revises: d41a7c2e9b60
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e52b8d3f1a74"
down_revision: str | Sequence[str] | None = "d41a7c2e9b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_by_hand", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE cohorts SET status_by_hand = true"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE cohorts SET status = 'running' WHERE status = 'finished'"))
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("status_by_hand")
