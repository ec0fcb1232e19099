"""Visits: whether a peserta may take a submitted practice back to draft while it is ungraded
(issue 14). Allowed by default, as it was for every other kind of work; existing visits allow it.

Revision ID: 6b3d8e1f4a27
Revises: 6b1d3f5a9c20
Create Date: 2026-12-03 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b3d8e1f4a27"
down_revision: str | Sequence[str] | None = "6b1d3f5a9c20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allow_withdraw", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.drop_column("allow_withdraw")
