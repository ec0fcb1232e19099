"""Searching the practice catalogue: one function, :func:`matches`, over a full-text index.

PostgreSQL: two GIN expression indexes of ``to_tsvector('simple', …)`` (Indonesian has no stemmer in
PostgreSQL; ``simple`` lower-cases and splits words): one of the practice's own title and what was
identified, one of what its published copy shows (the practice itself for a practice published
before copies were kept). SQLite: an FTS5 table with the same two texts (``unicode61`` with
diacritics removed), kept by triggers. Either way every word of the query must start a word of the
text the reader may see: the practice itself where it is live to them, else its published copy.

The DDL here is shared by the models (``create_all``) and the migration.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import DDL, Index, Table, and_, case, event, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

FTS_TABLE = "benchmarking_practice_search"
LIVE_TEXT = "coalesce({p}title, '') || ' ' || coalesce({p}identified, '')"
COPY_TEXT = (
    "coalesce({p}published_copy ->> 'title', {p}title, '') || ' ' || "
    "coalesce({p}published_copy ->> 'identified', {p}identified, '')"
)
MAX_WORDS = 8

# SQLite: the FTS5 table, filled from the practices and kept in step by triggers.
_ROW = (
    "{p}.id, {p}.title, {p}.identified, coalesce(json_extract({p}.published_copy, '$.title'), {p}.title), "
    "coalesce(json_extract({p}.published_copy, '$.identified'), {p}.identified)"
)
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, identified, copy_title, copy_identified, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    f"INSERT INTO {FTS_TABLE} (rowid, title, identified, copy_title, copy_identified) "
    f"SELECT {_ROW.format(p='benchmarking_practices')} FROM benchmarking_practices",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON benchmarking_practices BEGIN "
    f"INSERT INTO {FTS_TABLE} (rowid, title, identified, copy_title, copy_identified) VALUES ({_ROW.format(p='new')}); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE ON benchmarking_practices BEGIN "
    f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id; "
    f"INSERT INTO {FTS_TABLE} (rowid, title, identified, copy_title, copy_identified) VALUES ({_ROW.format(p='new')}); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON benchmarking_practices BEGIN "
    f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{name}" for name in ("insert", "update", "delete")] + [
    f"DROP TABLE IF EXISTS {FTS_TABLE}"
]


def vector(expression: str, prefix: str = "") -> str:
    return f"to_tsvector('simple'::regconfig, {expression.format(p=prefix)})"


def indexes() -> list[Index]:
    """The PostgreSQL GIN indexes (not created on SQLite, which has the FTS5 table instead)."""
    return [
        Index("ix_benchmarking_practices_search_live", text(vector(LIVE_TEXT)), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_benchmarking_practices_search_copy", text(vector(COPY_TEXT)), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    ]


def attach_sqlite_table(table: Table) -> None:
    """Create the FTS5 table and its triggers with the practices table (``create_all`` on SQLite)."""
    for statement in SQLITE_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))


def words(query: str) -> list[str]:
    """The query's words (letters and digits), lower-cased, at most :data:`MAX_WORDS`."""
    return re.findall(r"\w+", query.lower())[:MAX_WORDS]


def matches(dialect: str, query: str, practice_id: Any, live: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """A condition: the practice matches ``query`` in the text the reader sees (``live``: the
    practice itself, else its published copy). None when the query has no word (no filter)."""
    found = words(query)
    if not found:
        return None
    if dialect == "postgresql":
        terms = " & ".join(f"{w}:*" for w in found)  # \w+ only: nothing of tsquery's syntax gets in
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), terms)
        own = literal_column(vector(LIVE_TEXT, "benchmarking_practices.")).op("@@")(tsquery)
        shown = literal_column(vector(COPY_TEXT, "benchmarking_practices.")).op("@@")(tsquery)
        # The OR lets the planner read both indexes; the CASE keeps the text the reader may see.
        return and_(or_(own, shown), case((live, own), else_=shown))
    phrase = " AND ".join(f'"{w}"*' for w in found)
    own_ids = (
        select(text("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :own").bindparams(own="{title identified} : (" + phrase + ")"))
    )
    copy_ids = (
        select(text("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :shown").bindparams(shown="{copy_title copy_identified} : (" + phrase + ")"))
    )
    return case((live, practice_id.in_(own_ids)), else_=practice_id.in_(copy_ids))
