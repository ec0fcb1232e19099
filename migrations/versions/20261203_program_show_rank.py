"""A program says whether its peserta are ranked (issue 14): off by default.

Revision ID: d41a7c2e9b60
Revises: c2f8a4e6b913
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d41a7c2e9b60"
down_revision: str | Sequence[str] | None = "c2f8a4e6b913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_rank", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("show_rank")
