"""Benchmarking: host organisations, field visits, groups and their members (own branch).

Revision ID: 0e45ff7283d6
Revises:
Depends on: 81cfd5658127 (core schema)
Create Date: 2026-11-27 21:04:42.243692
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = "0e45ff7283d6"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("benchmarking",)
depends_on: str | Sequence[str] | None = "81cfd5658127"


def upgrade() -> None:
    op.create_table(
        "benchmarking_hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "city",
                "regency",
                "province",
                "ministry",
                "agency",
                "state_enterprise",
                "other",
                name="benchmarking_host_kind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("recognition", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=50), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_hosts")),
        sa.UniqueConstraint("name", name=op.f("uq_benchmarking_hosts_name")),
    )
    op.create_table(
        "benchmarking_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=300), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("briefing", sa.Text(), nullable=False),
        sa.Column("guiding_questions", sa.Text(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_benchmarking_visits_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["benchmarking_hosts.id"],
            name=op.f("fk_benchmarking_visits_host_id_benchmarking_hosts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_visits")),
    )
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_visits_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_visits_host_id"), ["host_id"], unique=False)

    op.create_table(
        "benchmarking_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["users.id"], name=op.f("fk_benchmarking_groups_leader_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["benchmarking_visits.id"],
            name=op.f("fk_benchmarking_groups_visit_id_benchmarking_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_groups")),
        sa.UniqueConstraint("visit_id", "name", name=op.f("uq_benchmarking_groups_visit_id_name")),
    )
    with op.batch_alter_table("benchmarking_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_groups_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_groups_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "benchmarking_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["benchmarking_groups.id"],
            name=op.f("fk_benchmarking_group_members_group_id_benchmarking_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_benchmarking_group_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["benchmarking_visits.id"],
            name=op.f("fk_benchmarking_group_members_visit_id_benchmarking_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_group_members")),
        sa.UniqueConstraint("visit_id", "user_id", name=op.f("uq_benchmarking_group_members_visit_id_user_id")),
    )
    with op.batch_alter_table("benchmarking_group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarking_group_members_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_group_members_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benchmarking_group_members_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_group_members_visit_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_group_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_group_members_group_id"))

    op.drop_table("benchmarking_group_members")
    with op.batch_alter_table("benchmarking_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_groups_visit_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_groups_leader_id"))

    op.drop_table("benchmarking_groups")
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_host_id"))
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_cohort_id"))

    op.drop_table("benchmarking_visits")
    op.drop_table("benchmarking_hosts")
