"""Notifications and each person's delivery choice per kind.

notifications: one row per person and event; (recipient_id, key) is unique so a reminder reaches a
person once (NULL keys never clash); indexes serve the bell's unread count, the inbox's newest-first
list and the mail jobs' search for what waits. notification_preferences: one row per person and kind
they chose for (no row means the kind's default).

Revision ID: 7f19b8390086
Revises: 3c1f0a7d9b21
Create Date: 2026-12-03 04:44:48.119345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "7f19b8390086"
down_revision: str | Sequence[str] | None = "3c1f0a7d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column(
            "delivery",
            sa.Enum("immediate", "digest", "off", name="notification_delivery", native_enum=False, length=16),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notification_preferences_user_id_kind")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_preferences_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "mail_state",
            sa.Enum("none", "queued", "digest", "sent", name="notification_mail_state", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("emailed_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_notifications_recipient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("recipient_id", "key", name=op.f("uq_notifications_recipient_id_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_mail_state", ["mail_state"], unique=False)
        batch_op.create_index("ix_notifications_recipient_created", ["recipient_id", "created_at"], unique=False)
        batch_op.create_index("ix_notifications_recipient_read", ["recipient_id", "read_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient_read")
        batch_op.drop_index("ix_notifications_recipient_created")
        batch_op.drop_index("ix_notifications_mail_state")

    op.drop_table("notifications")
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preferences_user_id"))

    op.drop_table("notification_preferences")
