"""Practices gain key success factors (kunci sukses), the reason a practice identified was not taken,
and recommendations for the host (issue 16). Existing practices get empty texts.

Revision ID: 6b1d3f5a9c20
Revises: d4e7a9c2b816
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b1d3f5a9c20"
down_revision: str | Sequence[str] | None = "d4e7a9c2b816"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("success_factors", "not_adopted_reason", "host_recommendations")


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
