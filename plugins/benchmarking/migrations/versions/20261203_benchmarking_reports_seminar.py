"""Reports and grading as programs do them (issue 16): a visit grades the individual report per
practice (as before, the default for existing visits) or as one submission; the group score weighs
the report and the seminar presentation (100/0 for existing visits: the report alone, as before);
the group report's sections; seminar sessions with their schedule, groups and panel, and the panel's
scores.

Revision ID: 9e4c2a7b5d18
Revises: 6b3f1d8e2a47
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lms.db import UTCDateTime

revision: str = "9e4c2a7b5d18"
down_revision: str | Sequence[str] | None = "6b3f1d8e2a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECTIONS = ("lokus_profile", "innovations", "success_factors", "lessons", "adoption", "recommendations")


def _fk(table: str, column: str, referred: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_mode", sa.String(length=20), server_default="per_practice", nullable=False)
        )
        batch_op.add_column(sa.Column("individual_assessment_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("report_weight", sa.Numeric(precision=5, scale=2), server_default="100", nullable=False)
        )
        batch_op.add_column(
            sa.Column("presentation_weight", sa.Numeric(precision=5, scale=2), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_benchmarking_visits_individual_assessment_id"), ["individual_assessment_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarking_visits_individual_assessment_id_assessments"),
            "assessments",
            ["individual_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("benchmarking_group_reports", schema=None) as batch_op:
        for name in SECTIONS:
            batch_op.add_column(sa.Column(name, sa.Text(), server_default="", nullable=False))

    op.create_table(
        "benchmarking_seminar_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        _fk("benchmarking_seminar_sessions", "visit_id", "benchmarking_visits", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_seminar_sessions")),
    )
    op.create_index(op.f("ix_benchmarking_seminar_sessions_visit_id"), "benchmarking_seminar_sessions", ["visit_id"])
    op.create_table(
        "benchmarking_seminar_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("benchmarking_seminar_slots", "session_id", "benchmarking_seminar_sessions", "CASCADE"),
        _fk("benchmarking_seminar_slots", "visit_id", "benchmarking_visits", "CASCADE"),
        _fk("benchmarking_seminar_slots", "group_id", "benchmarking_groups", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_seminar_slots")),
        sa.UniqueConstraint("visit_id", "group_id", name=op.f("uq_benchmarking_seminar_slots_visit_id_group_id")),
    )
    for column in ("session_id", "visit_id", "group_id"):
        op.create_index(op.f(f"ix_benchmarking_seminar_slots_{column}"), "benchmarking_seminar_slots", [column])
    op.create_table(
        "benchmarking_panel_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("benchmarking_panel_members", "session_id", "benchmarking_seminar_sessions", "CASCADE"),
        _fk("benchmarking_panel_members", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_panel_members")),
        sa.UniqueConstraint("session_id", "user_id", name=op.f("uq_benchmarking_panel_members_session_id_user_id")),
    )
    for column in ("session_id", "user_id"):
        op.create_index(op.f(f"ix_benchmarking_panel_members_{column}"), "benchmarking_panel_members", [column])
    op.create_table(
        "benchmarking_panel_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("panelist_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("scored_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _fk("benchmarking_panel_scores", "session_id", "benchmarking_seminar_sessions", "CASCADE"),
        _fk("benchmarking_panel_scores", "group_id", "benchmarking_groups", "CASCADE"),
        _fk("benchmarking_panel_scores", "panelist_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarking_panel_scores")),
        sa.UniqueConstraint("group_id", "panelist_id", name=op.f("uq_benchmarking_panel_scores_group_id_panelist_id")),
    )
    for column in ("session_id", "group_id", "panelist_id"):
        op.create_index(op.f(f"ix_benchmarking_panel_scores_{column}"), "benchmarking_panel_scores", [column])


def downgrade() -> None:
    op.drop_table("benchmarking_panel_scores")
    op.drop_table("benchmarking_panel_members")
    op.drop_table("benchmarking_seminar_slots")
    op.drop_table("benchmarking_seminar_sessions")
    with op.batch_alter_table("benchmarking_group_reports", schema=None) as batch_op:
        for name in reversed(SECTIONS):
            batch_op.drop_column(name)
    with op.batch_alter_table("benchmarking_visits", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_benchmarking_visits_individual_assessment_id_assessments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_benchmarking_visits_individual_assessment_id"))
        batch_op.drop_column("presentation_weight")
        batch_op.drop_column("report_weight")
        batch_op.drop_column("individual_assessment_id")
        batch_op.drop_column("report_mode")
