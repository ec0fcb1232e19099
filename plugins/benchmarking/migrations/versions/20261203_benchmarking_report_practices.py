"""Group reports refer to practices through an association table instead of a comma list of ids
(issue 11, item 4): the database now keeps the references valid (a deleted practice leaves the
report, as the page already showed) and the report's practices load as a relationship.

The data moves with the schema, in both directions; ids in the old lists that no longer name a
practice are dropped (nothing could show them).

Revision ID: b5d2f81c6a37
Revises: 3c9e7b21d4a8
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d2f81c6a37"
down_revision: str | Sequence[str] | None = "3c9e7b21d4a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500  # ids per IN (...) list: well under SQLite's limit of bound parameters


def upgrade() -> None:
    links = op.create_table(
        "benchmarking_report_practices",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["benchmarking_practices.id"],
            name=op.f("fk_benchmarking_report_practices_practice_id_benchmarking_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["benchmarking_group_reports.id"],
            name=op.f("fk_benchmarking_report_practices_report_id_benchmarking_group_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "practice_id", name=op.f("pk_benchmarking_report_practices")),
    )
    op.create_index(
        op.f("ix_benchmarking_report_practices_practice_id"),
        "benchmarking_report_practices",
        ["practice_id"],
        unique=False,
    )

    conn = op.get_bind()
    wanted: dict[int, set[int]] = {}
    for report_id, listed in conn.execute(
        sa.text("SELECT id, practice_ids FROM benchmarking_group_reports WHERE practice_ids <> ''")
    ):
        ids = {int(part) for part in listed.split(",") if part.strip().isdigit()}
        if ids:
            wanted[report_id] = ids
    every = sorted(set().union(*wanted.values())) if wanted else []
    existing: set[int] = set()
    for start in range(0, len(every), _BATCH):
        chunk = every[start : start + _BATCH]
        existing.update(
            conn.execute(
                sa.text("SELECT id FROM benchmarking_practices WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": chunk},
            ).scalars()
        )
    rows = [
        {"report_id": report_id, "practice_id": practice_id}
        for report_id, ids in sorted(wanted.items())
        for practice_id in sorted(ids & existing)
    ]
    if rows:
        op.bulk_insert(links, rows)

    with op.batch_alter_table("benchmarking_group_reports", schema=None) as batch_op:
        batch_op.drop_column("practice_ids")


def downgrade() -> None:
    with op.batch_alter_table("benchmarking_group_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_ids", sa.Text(), nullable=True))
    conn = op.get_bind()
    listed: dict[int, list[int]] = {}
    for report_id, practice_id in conn.execute(
        sa.text("SELECT report_id, practice_id FROM benchmarking_report_practices ORDER BY report_id, practice_id")
    ):
        listed.setdefault(report_id, []).append(practice_id)
    conn.execute(sa.text("UPDATE benchmarking_group_reports SET practice_ids = ''"))
    update = sa.text("UPDATE benchmarking_group_reports SET practice_ids = :ids WHERE id = :id")
    for report_id, ids in listed.items():
        conn.execute(update, {"ids": ",".join(str(i) for i in ids), "id": report_id})
    with op.batch_alter_table("benchmarking_group_reports", schema=None) as batch_op:
        batch_op.alter_column("practice_ids", existing_type=sa.Text(), nullable=False)

    op.drop_index(op.f("ix_benchmarking_report_practices_practice_id"), table_name="benchmarking_report_practices")
    op.drop_table("benchmarking_report_practices")
