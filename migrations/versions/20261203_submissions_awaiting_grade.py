"""submissions.awaiting_grade: submitted work without a final grade, with a partial index on
(assessment_id) of the waiting rows, backfilled. The staff dashboard's count reads it instead of
an anti-join of every submitted piece against the grades (40–135 ms at 37,000 submissions, issue 13).

Revision ID: 5c2a8e7d4f19
Revises: 7b3e9f1a2c48
Create Date: 2026-12-03 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c2a8e7d4f19"
down_revision: str | Sequence[str] | None = "7b3e9f1a2c48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

submissions = sa.table(
    "submissions", sa.column("id", sa.Integer), sa.column("state", sa.String), sa.column("awaiting_grade", sa.Boolean)
)
grades = sa.table(
    "grades", sa.column("id", sa.Integer), sa.column("submission_id", sa.Integer), sa.column("status", sa.String)
)


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_grade", sa.Boolean(), server_default=sa.false(), nullable=False))
    final = sa.select(grades.c.id).where(grades.c.submission_id == submissions.c.id, grades.c.status != "draft")
    op.execute(
        submissions.update().where(submissions.c.state == "submitted", ~final.exists()).values(awaiting_grade=True)
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submissions_awaiting_grade",
            ["assessment_id"],
            unique=False,
            postgresql_where=sa.text("awaiting_grade"),
            sqlite_where=sa.text("awaiting_grade"),
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_awaiting_grade")
        batch_op.drop_column("awaiting_grade")
