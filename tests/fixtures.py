"""Shared fixtures: one schema and one app per backend for the whole run, each test in a savepoint.

Database-touching tests run on SQLite; when ``LMS_TEST_DATABASE_URL`` is set they run on that
database (PostgreSQL in CI) as well. The schema is made once per run (per xdist worker). Each test
borrows one connection in a transaction that is rolled back afterwards, and every session of the
test (its own ``session``, each request's, a background task's) works in a SAVEPOINT on it —
SQLAlchemy's recipe "Joining a Session into an External Transaction", so ``commit()`` still works.

A test whose commits must be seen by other connections (threads racing through ``race``, a
consumer process, a second engine) is marked ``real_database``: it gets a database of its own,
copied from a template (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

import tests.support
from lms.app import create_app
from lms.db import Base, make_engine
from lms.jobs.queue import Queue, build_huey
from tests.support import FAST_HASH, PG_URL, login

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
REAL_DATABASE = "real_database"
# Settings that differ per test (paths under its tmp_path); the rest of an app is shared by the run.
PER_TEST_PATHS = ("UPLOAD_DIR", "JOBS_SQLITE_PATH", "MAIL_OUTBOX_DIR")


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    redis_url = os.environ.get("LMS_TEST_REDIS_URL", "")
    if worker and redis_url:
        # One Redis database per xdist worker: gw0 keeps the given number, gw1 the next one, …
        url = make_url(redis_url)
        number = int(url.database or 0) + int(worker.removeprefix("gw"))
        os.environ["LMS_TEST_REDIS_URL"] = url.set(database=str(number)).render_as_string(hide_password=False)


# Names whose use in a test's body means threads working at once: ``race()``, or threads of its own.
_THREADED = {"race", "threading", "Thread", "Barrier"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that runs threads at once (``race()``, ``threading``) needs real commits: it is marked
    ``real_database`` without asking, so that a new race test cannot hang on the shared connection."""
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and _THREADED & set(function.__code__.co_names):
            item.add_marker(pytest.mark.real_database)


def _plugins_from_env() -> list[str]:
    raw = os.environ.get("LMS_PLUGINS")
    return json.loads(raw) if raw else ["benchmarking"]


def app_config(url: str, tmp_path: Any, **extra: Any) -> dict[str, Any]:
    config = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # The queue and outbox of this test only (never the instance folder's).
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PLUGINS": _plugins_from_env(),
        # Most tests post forms directly; test_auth proves CSRF protection with it switched on.
        "CSRF_ENABLED": False,
    }
    config.update(extra)
    return config


def worker_database_url(url: str) -> str:
    """This xdist worker's database on the server of ``url`` (``test`` → ``test_gw0``), created if missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# -- one connection per test, standing in for the app's engine ----------------------------------


class BorrowedConnection(Connection):
    """The test's one connection, given to the app as its engine.

    ``Session(bind=engine)`` in the app then joins the test's transaction, ``engine.connect()``
    lends this connection inside a SAVEPOINT that is rolled back, and ``dispose()`` does nothing
    (the fixture closes it). Two threads using it at the same moment fail the test: a race needs
    ``real_database``.
    """

    @property
    def url(self) -> Any:
        return self.engine.url

    @contextmanager
    def connect(self) -> Iterator[BorrowedConnection]:
        nested = self.begin_nested()
        try:
            yield self
        finally:
            if nested.is_active:
                nested.rollback()

    def dispose(self) -> None:
        """Closed by the fixture that opened it, after the test."""


_OWNER = "tests.owner"  # connection.info key: the thread whose statement is running on it


def _guard_threads(connection: Connection) -> None:
    """Refuse two threads on the test's one connection at once (they would share a transaction)."""
    lock = threading.Lock()

    def before(conn: Connection, *_args: Any) -> None:
        with lock:
            owner = conn.info.get(_OWNER)
            if owner is not None and owner != threading.get_ident():
                raise RuntimeError(
                    f"two threads used the test's shared connection at once: mark the test @pytest.mark.{REAL_DATABASE}"
                )
            conn.info[_OWNER] = threading.get_ident()

    def after(conn: Connection, *_args: Any) -> None:
        conn.info.pop(_OWNER, None)

    event.listen(connection, "before_cursor_execute", before)
    event.listen(connection, "after_cursor_execute", after)


def _statement_failed(context: Any) -> None:
    if context.connection is not None:
        context.connection.info.pop(_OWNER, None)


def _sqlite_no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite begins and ends transactions on its own; SAVEPOINTs need SQLAlchemy to do it.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


@dataclass
class DatabaseForTest:
    """What a test runs on: the backend, its URL and, unless ``real_database``, the shared connection."""

    backend: str
    url: str
    connection: BorrowedConnection | None

    def roll_back(self) -> None:
        """End the test's transaction; the sessions still open then close without a word."""
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Roll the test's transaction back before any fixture closes its session: sessions that the
    test interleaved (its own, a pushed context's) would otherwise close their SAVEPOINTs out of order."""
    database = getattr(item, "funcargs", {}).get("test_database")
    if isinstance(database, DatabaseForTest):
        database.roll_back()


class SharedSchema:
    """One backend's database for the run (per xdist worker), its schema made once, plus a template
    for the tests that need a database of their own."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'shared.sqlite3'}"
        else:
            self.url = worker_database_url(PG_URL)
        self.engine: Engine = make_engine(self.url)
        event.listen(self.engine, "handle_error", _statement_failed)
        if backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_no_implicit_transactions)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.tables = 0
        self.template: str | None = None
        self.template_tables = 0
        self.copies = itertools.count(1)
        self._admin: Engine | None = None

    @property
    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        return self._admin

    def ensure_schema(self) -> None:
        """Every table of the models imported so far (a plugin imported later adds its own)."""
        if self.tables == 0:
            # Building an app imports the models of the core and of the run's plugins.
            create_app(app_config(self.url, self.folder)).extensions["lms.db"].dispose()
        if self.tables == len(Base.metadata.tables):
            return
        with self.engine.begin() as conn:
            if self.backend == "postgresql" and self.tables == 0:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(conn)
        self.tables = len(Base.metadata.tables)

    @contextmanager
    def transaction(self) -> Iterator[BorrowedConnection]:
        """The test's connection in a transaction that nothing commits; rolled back afterwards."""
        self.ensure_schema()
        connection = BorrowedConnection(self.engine)
        _guard_threads(connection)
        outer = connection.begin()
        try:
            yield connection
        finally:
            if outer.is_active:
                outer.rollback()
            connection.close()

    def _ensure_template(self) -> str:
        self.ensure_schema()
        if self.template is not None and self.template_tables == len(Base.metadata.tables):
            return self.template
        if self.backend == "sqlite":
            path = self.folder / f"template-{uuid.uuid4().hex[:8]}.sqlite3"
            url = f"sqlite:///{path}"
            engine = make_engine(url)
            Base.metadata.create_all(engine)
            engine.dispose()  # the last connection checkpoints the WAL into the file: one file to copy
            self.template = str(path)
        else:
            name = f"{make_url(self.url).database}_template"
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            engine = make_engine(make_url(self.url).set(database=name).render_as_string(hide_password=False))
            Base.metadata.create_all(engine)
            engine.dispose()
            self.template = name
        self.template_tables = len(Base.metadata.tables)
        return self.template

    @contextmanager
    def own_database(self, tmp_path: Path) -> Iterator[str]:
        """A database of the test's own with the whole schema, dropped afterwards."""
        template = self._ensure_template()
        if self.backend == "sqlite":
            path = tmp_path / "test.sqlite3"
            shutil.copyfile(template, path)
            yield f"sqlite:///{path}"
            return
        name = f"{make_url(self.url).database}_{next(self.copies)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        try:
            yield make_url(self.url).set(database=name).render_as_string(hide_password=False)
        finally:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.engine.dispose()
        if self._admin is not None:
            if self.template and self.backend == "postgresql":
                with self._admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self._admin.dispose()


@pytest.fixture(scope="session")
def shared_schemas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SharedSchema]]:
    """Each backend's shared database, made on first use."""
    folder = tmp_path_factory.mktemp("shared-db")
    schemas: dict[str, SharedSchema] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, backend: str) -> SharedSchema:
            schemas[backend] = self[backend] = SharedSchema(backend, folder)
            return schemas[backend]

    yield Lazy()
    for schema in schemas.values():
        schema.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def test_database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, shared_schemas: dict[str, SharedSchema]
) -> Iterator[DatabaseForTest]:
    """The shared schema in a rolled-back transaction, or with ``real_database`` a database of the test's own."""
    schema = shared_schemas[backend]
    if request.node.get_closest_marker(REAL_DATABASE):
        with schema.own_database(tmp_path) as url:
            yield DatabaseForTest(backend, url, None)
        return
    with schema.transaction() as connection:
        tests.support.SHARED_CONNECTION = True
        try:
            yield DatabaseForTest(backend, schema.url, connection)
        finally:
            tests.support.SHARED_CONNECTION = False


@pytest.fixture
def database_url(test_database: DatabaseForTest) -> str:
    return test_database.url


def join_test_transaction(app: Any, connection: BorrowedConnection) -> None:
    """Point ``app``'s engine and scoped session at the test's connection; each session in a SAVEPOINT."""
    database = app.extensions["lms.db"]
    if not isinstance(database.engine, BorrowedConnection):
        database.engine.dispose()
    factory = database.session.session_factory
    database.session.remove()
    database.engine = connection
    database.session = scoped_session(
        sessionmaker(
            class_=factory.class_, **{**factory.kw, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
    )


class AppCache:
    """Apps built once per run and configuration, lent to one test at a time.

    Lending resets the app's settings (a test may change them), gives it the test's folders and
    queue store, and joins it to the test's transaction.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.apps: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}

    def lend(self, test: DatabaseForTest, tmp_path: Path, **extra: Any) -> Any:
        assert test.connection is not None
        key = (test.backend, repr((_plugins_from_env(), sorted(extra.items()))))
        if key not in self.apps:
            app = create_app(app_config(test.url, self.folder, **extra))
            self.apps[key] = (app, dict(app.config))
        app, settings = self.apps[key]
        app.config.clear()
        app.config.update(settings)
        fresh = app_config(test.url, tmp_path, **extra)
        for name in PER_TEST_PATHS:
            app.config[name] = fresh[name]
        app.extensions["lms.jobs"] = Queue(app, build_huey(app))
        join_test_transaction(app, test.connection)
        return app

    def close(self) -> None:
        for app, _settings in self.apps.values():
            app.extensions["lms.db"].session.remove()


@pytest.fixture(scope="session")
def app_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppCache]:
    cache = AppCache(tmp_path_factory.mktemp("shared-app"))
    yield cache
    cache.close()


@pytest.fixture
def app_factory(test_database: DatabaseForTest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build apps with settings of the test's own, on the test's database (its transaction, or its own database)."""
    built: list[Any] = []

    def make(**extra: Any) -> Any:
        app = create_app(app_config(test_database.url, tmp_path, **extra))
        if test_database.connection is not None:
            join_test_transaction(app, test_database.connection)
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["lms.db"].dispose()


def _queue_mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"JOBS_IMMEDIATE": True} if request.node.get_closest_marker("jobs_immediate") else {}


@pytest.fixture
def app(
    test_database: DatabaseForTest,
    tmp_path: Path,
    app_cache: AppCache,
    app_factory: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """The app, with no context pushed: each test-client request gets its own, as in production.

    Marked ``jobs_immediate``, it runs each background task at once in the caller (a mail after a commit).
    """
    if test_database.connection is None:
        yield app_factory(**_queue_mode(request))
        return
    lent = app_cache.lend(test_database, tmp_path, **_queue_mode(request))
    yield lent
    lent.extensions["lms.db"].session.remove()


@pytest.fixture
def session(app: Any, test_database: DatabaseForTest) -> Iterator[Any]:
    """A session of the test's own for arranging data and checking results (not the request's)."""
    if test_database.connection is not None:
        own = Session(bind=test_database.connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    else:
        own = Session(bind=app.extensions["lms.db"].engine, expire_on_commit=False)
    yield own
    own.close()


class _TestThreadSession(scoped_session):  # type: ignore[type-arg]
    """A pushed context's session that is the test's own ``session`` in the test's thread (services
    and plugin hooks reading ``db.session`` then interleave no SAVEPOINTs with it); other threads (a
    background task run at once) get sessions of their own on the same connection."""

    def __init__(self, factory: Any, own: Session) -> None:
        self.own, self.thread = own, threading.get_ident()
        super().__init__(lambda: own if threading.get_ident() == self.thread else factory())
        self.session_factory = factory

    def remove(self) -> None:
        if self.registry.has() and self.registry() is self.own:
            self.registry.clear()  # the test's session is closed by its fixture, not by a context
            return
        super().remove()


@pytest.fixture
def ctx(
    app: Any,
    app_factory: Callable[..., Any],
    app_cache: AppCache,
    test_database: DatabaseForTest,
    session: Any,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A request context for tests that call services or render messages outside a request.

    It belongs to a twin app on the same database: Flask reuses a pushed context of the *same* app
    for test-client requests (with Flask-Login's cached user), so the twin keeps every request of
    ``app`` in a context of its own, as in production. The twin speaks English so that tests can
    match the services' messages.
    """
    settings = {"DEFAULT_LOCALE": "en", **_queue_mode(request)}  # service messages in English, to match them in tests
    if test_database.connection is None:
        twin = app_factory(**settings)
    else:
        twin = app_cache.lend(test_database, tmp_path, **settings)
        database = twin.extensions["lms.db"]
        database.session = _TestThreadSession(database.session.session_factory, session)
    context = twin.test_request_context()
    context.push()
    try:
        yield app
    finally:
        context.pop()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def login_as(client: Any) -> Callable[..., Any]:
    def do(user: Any) -> Any:
        with client.session_transaction() as sess:
            sess.clear()
        login(client, user)
        return client

    return do


@contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[str]:
    """A brand-new empty database ("sqlite" or "postgresql"), named after the test run's PostgreSQL
    database (``<name>_<random>``, so xdist workers never meet) and dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'db-{suffix}.sqlite3'}"
        return
    base = make_url(PG_URL)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Factory: a brand-new empty database ("sqlite" or "postgresql"), dropped after the test."""
    with ExitStack() as stack:
        yield lambda backend: stack.enter_context(scratch_database(backend, tmp_path))
