"""Declarative base, naming convention and the per-app engine and session.

The engine and session live in ``app.extensions["lms.db"]`` (never a module global) so that the
CLI, exports, Alembic and tests can each build an app, or a bare ``Database``, of their own.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(cls: type[enum.Enum], name: str, length: int) -> Enum:
    """The one column type for an enum: its values (never its names) in a VARCHAR of ``length``,
    checked in Python on the way in (no native ENUM type, which PostgreSQL cannot alter in a
    transaction, and no CHECK constraint, so a new member needs no migration)."""
    return Enum(cls, name=name, native_enum=False, length=length, values_callable=_enum_values, validate_strings=True)


def _enum_values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


def upsert(session: Session, model: Any) -> Any:
    """``INSERT INTO model`` that takes ``.on_conflict_do_update`` / ``.on_conflict_do_nothing``: the
    one place that picks the dialect's insert (PostgreSQL's or SQLite's, both ``ON CONFLICT``)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def changed_rows(session: Session, statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched (0 if the driver cannot say).

    ``Session.execute`` is typed to return a plain ``Result``; for DML it is a ``CursorResult``, the
    one kind that carries ``rowcount``. Claims (``... WHERE state = 'queued'``) read it to know who won.
    """
    result = cast(CursorResult[Any], session.execute(statement))
    return max(result.rowcount, 0)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine with the project's settings; SQLite gets foreign keys enforced."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
        if url.startswith("postgresql"):
            # A server that accepts TCP but never answers (hung, or a dead peer behind a firewall)
            # must not hold a worker thread forever: fail the connect after 5 s (libpq's own option).
            kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """An engine and a scoped session bound to it."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        )

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()


def init_app(app: Flask, url: str, echo: bool = False) -> Database:
    database = Database(url, echo)
    app.extensions["lms.db"] = database

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        database.session.remove()

    return database


def get_db() -> Database:
    return current_app.extensions["lms.db"]


# The current app's session: services and views write ``from lms.db import session``.
session: Session = LocalProxy(lambda: current_app.extensions["lms.db"].session)  # type: ignore[assignment]
