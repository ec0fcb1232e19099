"""Every foreign key is indexed: deleting the referenced row (a user, a cohort) must not scan the
referencing table once per deleted row, and every join on it can use the index."""

from __future__ import annotations

from sqlalchemy import Index, PrimaryKeyConstraint, UniqueConstraint

import lms.models  # noqa: F401  (every core table on the metadata)
from lms.db import Base
from lms.plugins.manager import discover


def _leading_columns(table) -> set[str]:
    """Columns that some index on the table starts with (explicit indexes, unique constraints, the PK)."""
    leading = set()
    for index in table.indexes:
        assert isinstance(index, Index)
        columns = list(index.columns)
        if columns:
            leading.add(columns[0].name)
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and len(constraint.columns):
            leading.add(list(constraint.columns)[0].name)
    for column in table.columns:
        if column.unique or column.index:
            leading.add(column.name)
    return leading


def unindexed_foreign_keys(metadata) -> list[str]:
    missing = []
    for table in metadata.sorted_tables:
        leading = _leading_columns(table)
        for fk in table.foreign_key_constraints:
            first = list(fk.columns)[0].name
            if first not in leading:
                missing.append(f"{table.name}.{first} → {fk.referred_table.name}")
    return missing


def test_every_foreign_key_column_leads_an_index():
    installed = discover()
    for entry_point in installed.values():  # a plugin's models register their tables on import
        entry_point.load()
    if "benchmarking" in installed:
        assert any(t.startswith("benchmarking_") for t in Base.metadata.tables), "plugin tables are checked too"
    assert unindexed_foreign_keys(Base.metadata) == []


def test_the_check_finds_an_unindexed_foreign_key():
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

    metadata = MetaData()
    Table("parents", metadata, Column("id", Integer, primary_key=True))
    Table(
        "children",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parents.id")),
        Column("other_id", ForeignKey("parents.id"), index=True),
    )
    Table(
        "pairs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a_id", ForeignKey("parents.id")),
        Column("b_id", ForeignKey("parents.id")),
        UniqueConstraint("a_id", "b_id"),
    )
    assert unindexed_foreign_keys(metadata) == ["children.parent_id → parents", "pairs.b_id → parents"]
