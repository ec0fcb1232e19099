"""Studi Lapangan as programs run it (issue 16, issue 14): per-program settings (the activity's name),
several lokus per visit with the groups that go there, a due date, the peserta's own theme and the
groups' pre-visit plans. Every existing visit gets one lokus (its host), and its groups go there.

Revision ID: 6b3f1d8e2a47
Revises: a61c3e9f2b47
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b3f1d8e2a47"
down_revision: str | Sequence[str] | None = "a61c3e9f2b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmarking_program_settings",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("activity_name", sa.String(length=60), nullable=False),
        sa.Column("min_practices", sa.Integer(), server_default="3", nullable=False),
        sa.Column("plan_graded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_benchmarking_program_settings_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_benchmarking_program_settings")),
    )
    op.create_table(
        "benchmarking_lokus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=50), nullable=False),
        sa.Column("chosen_for", sa.Text(), nullable=False),
        sa.Column("briefing_name", sa.String(length=255), nullable=False),
        sa.Column("briefing_stored", sa.String(length=64), nullable=True),
        sa.Column("briefing_type", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["benchmarking_visits.id"],
            name=op.f("fk_benchmarking_lokus_visit_id_benchmarking_visits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["benchmarking_hosts.id"],
            name=op.f("fk_benchmarking_lokus_host_id_benchmarking_hosts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_lokus")),
        sa.UniqueConstraint("briefing_stored", name=op.f("uq_benchmarking_lokus_briefing_stored")),
    )
    op.create_index(op.f("ix_benchmarking_lokus_visit_id"), "benchmarking_lokus", ["visit_id"])
    op.create_index(op.f("ix_benchmarking_lokus_host_id"), "benchmarking_lokus", ["host_id"])
    with op.batch_alter_table("benchmarking_groups") as batch_op:
        batch_op.add_column(sa.Column("lokus_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_benchmarking_groups_lokus_id"), ["lokus_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_groups_lokus_id_benchmarking_lokus"),
            "benchmarking_lokus",
            ["lokus_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("benchmarking_visits") as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("plan_assessment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plan_graded", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_benchmarking_visits_plan_assessment_id"), ["plan_assessment_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_visits_plan_assessment_id_assessments"),
            "assessments",
            ["plan_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "benchmarking_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["benchmarking_visits.id"],
            name=op.f("fk_benchmarking_interests_visit_id_benchmarking_visits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_benchmarking_interests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_interests")),
        sa.UniqueConstraint("visit_id", "user_id", name=op.f("uq_benchmarking_interests_visit_id_user_id")),
    )
    op.create_index(op.f("ix_benchmarking_interests_visit_id"), "benchmarking_interests", ["visit_id"])
    op.create_index(op.f("ix_benchmarking_interests_user_id"), "benchmarking_interests", ["user_id"])
    op.create_table(
        "benchmarking_group_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["benchmarking_groups.id"],
            name=op.f("fk_benchmarking_group_plans_group_id_benchmarking_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_benchmarking_group_plans_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_group_plans")),
        sa.UniqueConstraint("group_id", name=op.f("uq_benchmarking_group_plans_group_id")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_benchmarking_group_plans_submission_id")),
    )
    _one_lokus_per_existing_visit()


def _one_lokus_per_existing_visit() -> None:
    """Data: each existing visit goes to one lokus, its host, on its first day; its groups go there."""
    bind = op.get_bind()
    visits = sa.table(
        "benchmarking_visits",
        sa.column("id", sa.Integer),
        sa.column("host_id", sa.Integer),
        sa.column("start_date", sa.Date),
        sa.column("location", sa.String),
    )
    hosts = sa.table(
        "benchmarking_hosts",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("address", sa.Text),
        sa.column("recognition", sa.Text),
        sa.column("contact_name", sa.String),
        sa.column("contact_phone", sa.String),
    )
    lokus = sa.table(
        "benchmarking_lokus",
        sa.column("id", sa.Integer),
        sa.column("visit_id", sa.Integer),
        sa.column("host_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("name", sa.String),
        sa.column("visit_date", sa.Date),
        sa.column("address", sa.Text),
        sa.column("contact_name", sa.String),
        sa.column("contact_phone", sa.String),
        sa.column("chosen_for", sa.Text),
        sa.column("briefing_name", sa.String),
        sa.column("briefing_type", sa.String),
    )
    groups = sa.table("benchmarking_groups", sa.column("visit_id", sa.Integer), sa.column("lokus_id", sa.Integer))
    rows = bind.execute(
        sa.select(
            visits.c.id,
            visits.c.host_id,
            visits.c.start_date,
            visits.c.location,
            hosts.c.name,
            hosts.c.address,
            hosts.c.recognition,
            hosts.c.contact_name,
            hosts.c.contact_phone,
        ).join(hosts, hosts.c.id == visits.c.host_id)
    ).all()
    for visit_id, host_id, start, location, name, address, recognition, contact, phone in rows:
        bind.execute(
            lokus.insert().values(
                visit_id=visit_id,
                host_id=host_id,
                position=0,
                name=name,
                visit_date=start,
                address=location or address or "",
                contact_name=contact or "",
                contact_phone=phone or "",
                chosen_for=recognition or "",
                briefing_name="",
                briefing_type="",
            )
        )
        new_id = bind.execute(sa.select(sa.func.max(lokus.c.id)).where(lokus.c.visit_id == visit_id)).scalar_one()
        bind.execute(groups.update().where(groups.c.visit_id == visit_id).values(lokus_id=new_id))


def downgrade() -> None:
    op.drop_table("benchmarking_group_plans")
    op.drop_index(op.f("ix_benchmarking_interests_user_id"), table_name="benchmarking_interests")
    op.drop_index(op.f("ix_benchmarking_interests_visit_id"), table_name="benchmarking_interests")
    op.drop_table("benchmarking_interests")
    with op.batch_alter_table("benchmarking_visits") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_benchmarking_visits_plan_assessment_id_assessments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_plan_assessment_id"))
        batch_op.drop_column("plan_graded")
        batch_op.drop_column("plan_assessment_id")
        batch_op.drop_column("due_date")
    with op.batch_alter_table("benchmarking_groups") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benchmarking_groups_lokus_id_benchmarking_lokus"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_benchmarking_groups_lokus_id"))
        batch_op.drop_column("lokus_id")
    op.drop_index(op.f("ix_benchmarking_lokus_host_id"), table_name="benchmarking_lokus")
    op.drop_index(op.f("ix_benchmarking_lokus_visit_id"), table_name="benchmarking_lokus")
    op.drop_table("benchmarking_lokus")
    op.drop_table("benchmarking_program_settings")
