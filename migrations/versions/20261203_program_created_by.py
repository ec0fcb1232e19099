"""Programs remember who created them: a penyelenggara may edit a program they created until a
cohort uses it (issue 10, item 17). Existing programs have no creator: only admins, or the
coordinators of all their cohorts, edit them.

Revision ID: 3c1d2e7a9b40
Revises: fb358a53074d
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1d2e7a9b40"
down_revision: str | Sequence[str] | None = "fb358a53074d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_programs_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_programs_created_by_id_users"), "users", ["created_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_programs_created_by_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_programs_created_by_id"))
        batch_op.drop_column("created_by_id")
