"""The model layer's shared column types (lms/db.py): every enum column is ``enum_type``'s kind."""

from __future__ import annotations

import enum

from sqlalchemy import Column, Enum, Integer, MetaData, Table

import lms.models  # noqa: F401  (every core table on the metadata)
from lms.db import Base, enum_type
from lms.plugins.manager import discover


class Colour(enum.StrEnum):
    DARK_RED = "dark_red"


def odd_enum_columns(metadata: MetaData) -> list[str]:
    """Enum columns that are not ``enum_type``'s kind: a native ENUM, names stored instead of values,
    or strings let through unchecked."""
    odd = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if not isinstance(kind, Enum):
                continue
            values = [member.value for member in kind.enum_class] if kind.enum_class else kind.enums
            if kind.native_enum or kind.enums != values or not kind.validate_strings:
                odd.append(f"{table.name}.{column.name}")
    return odd


def test_every_enum_column_stores_values_in_a_varchar_checked_in_python():
    for entry_point in discover().values():  # a plugin's models register their tables on import
        entry_point.load()
    checked = [c for t in Base.metadata.sorted_tables for c in t.columns if isinstance(c.type, Enum)]
    assert len(checked) > 10
    assert odd_enum_columns(Base.metadata) == []


def test_the_check_finds_a_hand_made_enum_column():
    metadata = MetaData()
    Table(
        "paints",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("good", enum_type(Colour, "good_colour", 16)),
        Column("native", Enum(Colour, name="native_colour")),
        Column("names", Enum(Colour, name="named_colour", native_enum=False, validate_strings=True)),
    )
    assert odd_enum_columns(metadata) == ["paints.native", "paints.names"]
