"""Hosts remember who added them: a coordinator may edit a host they added until a visit uses it
(issue 10, item 17). Existing hosts have no creator: only admins, or the coordinators of every
cohort that visits them, edit them.

Revision ID: 8f2a4c6d1e93
Revises: eee6004206c9
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f2a4c6d1e93"
down_revision: str | Sequence[str] | None = "eee6004206c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_benchmarking_hosts_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_hosts_created_by_id_users"),
            "users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benchmarking_hosts_created_by_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_benchmarking_hosts_created_by_id"))
        batch_op.drop_column("created_by_id")
