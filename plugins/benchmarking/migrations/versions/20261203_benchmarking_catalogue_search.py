"""The practice catalogue's full-text search: on PostgreSQL two GIN indexes of
``to_tsvector('simple', …)`` (the practice's own text and what its published copy shows), on SQLite
an FTS5 table filled from the practices and kept by triggers (issue 13).

Revision ID: 5d1f0a7c3e62
Revises: b5d2f81c6a37
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

from alembic import op

from plugins.benchmarking import search

revision: str = "5d1f0a7c3e62"
down_revision: str | Sequence[str] | None = "b5d2f81c6a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_benchmarking_practices_search_live": search.LIVE_TEXT,
    "ix_benchmarking_practices_search_copy": search.COPY_TEXT,
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, expression in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON benchmarking_practices USING gin ({search.vector(expression)})")
    else:
        for statement in search.SQLITE_CREATE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        for statement in search.SQLITE_DROP:
            op.execute(statement)
