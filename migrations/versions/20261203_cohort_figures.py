"""The results page's cohort figures, kept until the cohort's stored results change (issue 13).

Revision ID: 7b3e9f1a2c48
Revises: 4e7d1c9a2b56
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b3e9f1a2c48"
down_revision: str | Sequence[str] | None = "4e7d1c9a2b56"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "result_cohort_figures",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("data_generation", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_result_cohort_figures_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_result_cohort_figures")),
    )


def downgrade() -> None:
    op.drop_table("result_cohort_figures")
