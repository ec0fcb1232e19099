"""The model layer (lms/db.py): every enum column is ``enum_type``'s kind, and pooled connections
are tested after an idle spell."""

from __future__ import annotations

import enum
import time

import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, Table, create_engine, text
from sqlalchemy.exc import DBAPIError

import lms.models  # noqa: F401  (every core table on the metadata)
from lms.db import Base, enum_type, make_engine
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


def _backend_pid(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


@pytest.mark.real_database
def test_an_idle_pooled_connection_is_tested_and_a_dead_one_replaced(backend, database_url):
    if backend != "postgresql":
        pytest.skip("a server that drops connections: PostgreSQL")
    watcher = create_engine(database_url, isolation_level="AUTOCOMMIT")
    idle = make_engine(database_url, ping_after_idle=0.05)
    busy = make_engine(database_url, ping_after_idle=60)
    try:
        first, busy_first = _backend_pid(idle), _backend_pid(busy)
        with watcher.connect() as conn:  # the database drops both (a restart, a failover)
            conn.execute(
                text("SELECT pg_terminate_backend(:a), pg_terminate_backend(:b)"), {"a": first, "b": busy_first}
            )
        time.sleep(0.2)
        # Idle past its limit: tested on checkout, found dead and replaced before anyone used it.
        assert _backend_pid(idle) != first
        # Used a moment ago (within its minute): not tested, so its next use fails as a request in
        # flight would, and the pool then starts over with a live connection.
        with pytest.raises(DBAPIError) as failed:
            _backend_pid(busy)
        assert failed.value.connection_invalidated
        assert _backend_pid(busy) != busy_first
    finally:
        for engine in (watcher, idle, busy):
            engine.dispose()
