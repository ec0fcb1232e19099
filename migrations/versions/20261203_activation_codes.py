"""One-time activation codes for the printable sheet: hashed (unique), per user (indexed), expiring.

Revision ID: 94fe34afb476
Revises: ecb705db3d5d
Create Date: 2026-12-03 05:29:32.456433
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "94fe34afb476"
down_revision: str | Sequence[str] | None = "ecb705db3d5d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activation_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_activation_codes_code_hash")),
    )
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activation_codes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_codes_user_id"))

    op.drop_table("activation_codes")
