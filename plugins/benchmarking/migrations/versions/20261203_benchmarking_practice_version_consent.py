"""Practices: a version for optimistic locking and a key per form rendering (a double submit or two
tabs never store or overwrite twice), the author's consent to share name and files, and the copy the
catalogue shows (issue 10, items 13-16).

Existing practices start at version 1, without consent (published copies show neither name nor
files until the author agrees) and without a copy: the catalogue falls back to the practice itself
until it is published again, as it did before.

Revision ID: 3c9e7b21d4a8
Revises: 7a2e4c9d1f05
Create Date: 2026-12-03 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9e7b21d4a8"
down_revision: str | Sequence[str] | None = "7a2e4c9d1f05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_copy", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("share_consent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_benchmarking_practices_form_key"), ["form_key"])


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_practices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_benchmarking_practices_form_key"), type_="unique")
        batch_op.drop_column("version")
        batch_op.drop_column("form_key")
        batch_op.drop_column("share_consent")
        batch_op.drop_column("published_copy")
