"""Background jobs: one row per job a person started (progress, result file, failure reason).

Progress lives in the database so every web node shows the same bar whichever consumer runs the
job; owner_id is indexed for the owner's list and cascades with the user.

Revision ID: 520edba1e64e
Revises: 7f19b8390086
Create Date: 2026-12-03 04:43:13.457345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "520edba1e64e"
down_revision: str | Sequence[str] | None = "7f19b8390086"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "done", "failed", name="job_status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("result_path", sa.String(length=255), nullable=True),
        sa.Column("result_name", sa.String(length=255), nullable=True),
        sa.Column("result_type", sa.String(length=100), nullable=True),
        sa.Column("back_url", sa.String(length=255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_owner_id"))

    op.drop_table("jobs")
