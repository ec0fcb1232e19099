"""Declarative base, naming convention and the per-app engine and session.

The engine and session live in ``app.extensions["lms.db"]`` (never a module global) so that the
CLI, exports, Alembic and tests can each build an app, or a bare ``Database``, of their own.
"""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DisconnectionError
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


_IDLE_SINCE = "lms_idle_since"


def ping_when_idle(engine: Engine, after: float) -> None:
    """Test a pooled connection before use only when it has been idle for more than ``after`` seconds.

    SQLAlchemy's ``pool_pre_ping`` tests it on every checkout: a round trip (``SELECT 1``) per
    request, about a tenth of a small page's database work under load (bench/README.md). A
    connection back from a request a moment ago is alive, or died with the database in the moment
    since; a database that restarts or fails over leaves idle connections behind, and those are the
    ones tested here, with the dialect's own ping. A dead one is replaced before the request uses it
    (``DisconnectionError`` makes the pool connect again). One that died within the last ``after``
    seconds fails its next request as a request in flight would, and the pool then drops every
    connection opened before the failure, so a restart costs at most about one request per worker.
    """

    def note_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def test_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since <= after:
            return  # just opened, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the dialect's own disconnect errors, whatever the driver
            raise DisconnectionError("idle connection failed its test") from exc
        if alive is False:
            raise DisconnectionError("idle connection failed its test")

    event.listen(engine, "checkin", note_checkin)
    event.listen(engine, "checkout", test_if_idle)


def make_engine(url: str, echo: bool = False, ping_after_idle: float = 5.0) -> Engine:
    """An engine with the project's settings; SQLite gets foreign keys enforced."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
    else:
        # 0: SQLAlchemy's own test on every checkout; otherwise only after an idle spell.
        kwargs["pool_pre_ping"] = not ping_after_idle
        if url.startswith("postgresql"):
            # A server that accepts TCP but never answers (hung, or a dead peer behind a firewall)
            # must not hold a worker thread forever: fail the connect after 5 s (libpq's own option).
            kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif ping_after_idle:
        ping_when_idle(engine, ping_after_idle)
    return engine


READ_ONLY = "lms_read_only"


class ReadOnlyViolation(RuntimeError):
    """A session declared read-only tried to write: a programming error, never a user's."""


class Database:
    """An engine and a scoped session bound to it."""

    def __init__(self, url: str, echo: bool = False, ping_after_idle: float = 5.0) -> None:
        self.url = url
        self.engine = make_engine(url, echo, ping_after_idle)
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        )

    def read_only(self) -> None:
        """The current session only reads: its statements run without a transaction around them.

        A transaction costs two round trips to PostgreSQL (BEGIN, COMMIT) on top of a page's few
        reads, about a fifth of a small page's database work (bench/README.md). Each read then
        sees what was committed when it started, as it does inside a READ COMMITTED transaction;
        what is lost is only one snapshot for the whole page, which a page that reads does not
        need. A write is refused (:class:`ReadOnlyViolation`, whatever the bind): a session joined
        to a test's transaction keeps that transaction but refuses writes all the same.
        """
        session = self.session()
        session.info[READ_ONLY] = True
        if isinstance(session.bind, Engine) and not session.in_transaction():
            # On the connection, not on an engine of its own: an engine's isolation level is an
            # event on every statement, this is one attribute on the driver's connection.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (
        session.new or session.deleted or any(session.is_modified(row) for row in session.dirty)
    ):
        raise ReadOnlyViolation("a read-only request changed rows; declare the view a writer")


@event.listens_for(Session, "do_orm_execute")
def _refuse_statement(state: Any) -> None:
    if state.session.info.get(READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlyViolation(f"a read-only request ran {type(state.statement).__name__}")


def init_app(app: Flask, url: str, echo: bool = False) -> Database:
    database = Database(url, echo, float(app.config.get("DATABASE_PING_AFTER_IDLE", 5.0)))
    app.extensions["lms.db"] = database

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        database.session.remove()

    return database


def get_db() -> Database:
    return current_app.extensions["lms.db"]


# The current app's session: services and views write ``from lms.db import session``.
session: Session = LocalProxy(lambda: current_app.extensions["lms.db"].session)  # type: ignore[assignment]
