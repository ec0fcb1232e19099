"""Implementation follow-up as PKA programs run it (issue 16): rounds at 3, 6 and 12 months after the
training (``followup_months`` per visit, ``months`` per round), the status *sustained*, a reason for
a discontinued practice, and the aksi perubahan a practice feeds (a structured record).

Existing data: every visit gets the PKA default 3,6,12; an existing round gets the checkpoint its
opening date is nearest to (months after its cohort's end, or its latest visit's end), or none when
neither date is known; a discontinued report's outcome (which had to say why it stopped) becomes its
reason.

Revision ID: a61c3e9f2b47
Revises: 6b3d8e1f4a27
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from lms.db import UTCDateTime

revision: str = "a61c3e9f2b47"
down_revision: str | Sequence[str] | None = "6b3d8e1f4a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKPOINTS = (3, 6, 12)


def nearest_checkpoint(end: date | None, opens: date | None) -> int | None:
    """The checkpoint (3, 6, 12 months) a round opening on ``opens`` after a training ending on
    ``end`` stands for; None when a date is missing or the round opened before the end."""
    if end is None or opens is None or opens < end:
        return None
    months = (opens - end).days / 30.44
    return min(CHECKPOINTS, key=lambda m: abs(m - months))


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_visits") as batch:
        batch.add_column(sa.Column("followup_months", sa.String(length=40), server_default="3,6,12", nullable=False))
    with op.batch_alter_table("benchmarking_followup_rounds") as batch:
        batch.add_column(sa.Column("months", sa.Integer(), nullable=True))
    with op.batch_alter_table("benchmarking_followups") as batch:
        batch.add_column(sa.Column("discontinued_reason", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "benchmarking_change_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "planned",
                "short_term",
                "medium_term",
                "long_term",
                "done",
                name="benchmarking_change_project_stage",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["benchmarking_practices.id"],
            name=op.f("fk_benchmarking_change_projects_practice_id_benchmarking_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["benchmarking_mentors.id"],
            name=op.f("fk_benchmarking_change_projects_mentor_id_benchmarking_mentors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_change_projects")),
        sa.UniqueConstraint("practice_id", name=op.f("uq_benchmarking_change_projects_practice_id")),
    )
    op.create_index(op.f("ix_benchmarking_change_projects_mentor_id"), "benchmarking_change_projects", ["mentor_id"])

    bind = op.get_bind()
    followups = sa.table(
        "benchmarking_followups",
        sa.column("status", sa.String),
        sa.column("outcome", sa.Text),
        sa.column("discontinued_reason", sa.Text),
    )
    bind.execute(
        followups.update().where(followups.c.status == "discontinued").values(discontinued_reason=followups.c.outcome)
    )
    rounds = sa.table(
        "benchmarking_followup_rounds",
        sa.column("id", sa.Integer),
        sa.column("cohort_id", sa.Integer),
        sa.column("opens_on", sa.Date),
        sa.column("months", sa.Integer),
    )
    cohorts = sa.table("cohorts", sa.column("id", sa.Integer), sa.column("end_date", sa.Date))
    visits = sa.table("benchmarking_visits", sa.column("cohort_id", sa.Integer), sa.column("end_date", sa.Date))
    latest_visit = (
        sa.select(sa.func.max(visits.c.end_date)).where(visits.c.cohort_id == rounds.c.cohort_id).scalar_subquery()
    )
    rows = bind.execute(
        sa.select(rounds.c.id, rounds.c.opens_on, sa.func.coalesce(cohorts.c.end_date, latest_visit)).join(
            cohorts, cohorts.c.id == rounds.c.cohort_id
        )
    ).all()
    for round_id, opens_on, end in rows:
        opens = opens_on if isinstance(opens_on, date) or opens_on is None else date.fromisoformat(str(opens_on))
        ended = end if isinstance(end, date) or end is None else date.fromisoformat(str(end)[:10])
        months = nearest_checkpoint(ended, opens)
        if months is not None:
            bind.execute(rounds.update().where(rounds.c.id == round_id).values(months=months))


def downgrade() -> None:
    op.drop_index(op.f("ix_benchmarking_change_projects_mentor_id"), table_name="benchmarking_change_projects")
    op.drop_table("benchmarking_change_projects")
    followups = sa.table("benchmarking_followups", sa.column("status", sa.String))
    # A status the older code does not know: sustained was implemented, still running.
    op.get_bind().execute(followups.update().where(followups.c.status == "sustained").values(status="implemented"))
    with op.batch_alter_table("benchmarking_followups") as batch:
        batch.drop_column("discontinued_reason")
    with op.batch_alter_table("benchmarking_followup_rounds") as batch:
        batch.drop_column("months")
    with op.batch_alter_table("benchmarking_visits") as batch:
        batch.drop_column("followup_months")
