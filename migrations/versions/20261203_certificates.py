"""Certificates (issue 15): a template per program, a number counter per cohort (locked while
numbers are given out), the certificates with what they state and their public code, and the
append-only audit of issuing and revoking.

Revision ID: c2f8a4e6b913
Revises: 529fc8807240
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2f8a4e6b913"
down_revision: str | Sequence[str] | None = "529fc8807240"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_templates",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("letterhead", sa.Text(), nullable=False),
        sa.Column("number_pattern", sa.String(length=100), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_nip", sa.String(length=18), nullable=False),
        sa.Column("signer_position", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_certificate_templates_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_certificate_templates")),
    )
    op.create_table(
        "certificate_counters",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_certificate_counters_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_certificate_counters")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("instansi", sa.String(length=200), nullable=False),
        sa.Column("predikat", sa.String(length=100), nullable=False),
        sa.Column("jp", sa.Integer(), nullable=False),
        sa.Column("program_name", sa.String(length=200), nullable=False),
        sa.Column("angkatan", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_certificates_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_certificates_issued_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["users.id"], name=op.f("fk_certificates_participant_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_certificates_revoked_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("cohort_id", "participant_id", name=op.f("uq_certificates_cohort_id_participant_id")),
        sa.UniqueConstraint("cohort_id", "seq", name=op.f("uq_certificates_cohort_id_seq")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_issued_by_id"), ["issued_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_revoked_by_id"), ["revoked_by_id"], unique=False)
    op.create_table(
        "certificate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_certificate_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_events_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_events")),
    )
    with op.batch_alter_table("certificate_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_events_certificate_id"), ["certificate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_events_certificate_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_events_actor_id"))
    op.drop_table("certificate_events")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_revoked_by_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_participant_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_issued_by_id"))
    op.drop_table("certificates")
    op.drop_table("certificate_counters")
    op.drop_table("certificate_templates")
