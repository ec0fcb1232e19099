"""Shared fixtures: an app per test on a real database, factories that return callables.

Database-touching tests run on SQLite; when ``LMS_TEST_DATABASE_URL`` is set they run on that
database (PostgreSQL in CI) as well.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from lms.app import create_app
from lms.db import Base
from tests.support import FAST_HASH, PASSWORD, PG_URL, login, make_nip

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_pg_ready = False


def _plugins_from_env() -> list[str]:
    import json

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


def _reset_postgres(engine: Any) -> None:
    """A clean schema once per run, then empty tables before each test.

    Tables are created again when a test imported more models (a plugin) since the last reset.
    """
    global _pg_ready
    with engine.begin() as conn:
        if not _pg_ready:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            _pg_ready = True
        Base.metadata.create_all(conn)
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        return PG_URL
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_factory(database_url: str, tmp_path: Any) -> Iterator[Callable[..., Any]]:
    """Build apps on the test database (schema from the models; a migrations test checks they agree)."""
    built: list[Any] = []

    def make(**extra: Any) -> Any:
        app = create_app(app_config(database_url, tmp_path, **extra))
        engine = app.extensions["lms.db"].engine
        built.append(app)
        if len(built) == 1:
            if engine.dialect.name == "postgresql":
                _reset_postgres(engine)
            else:
                Base.metadata.create_all(engine)
        return app

    yield make
    for app in built:
        app.extensions["lms.db"].dispose()


def _queue_mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"JOBS_IMMEDIATE": True} if request.node.get_closest_marker("jobs_immediate") else {}


@pytest.fixture
def app(app_factory: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """The app, with no context pushed: each test-client request gets its own, as in production.

    Marked ``jobs_immediate``, it runs each background task at once in the caller (a mail after a commit).
    """
    return app_factory(**_queue_mode(request))


@pytest.fixture
def session(app: Any) -> Iterator[Any]:
    """A session of the test's own for arranging data and checking results (not the request's)."""
    from sqlalchemy.orm import Session

    own = Session(bind=app.extensions["lms.db"].engine, expire_on_commit=False)
    yield own
    own.close()


@pytest.fixture
def ctx(app: Any, app_factory: Callable[..., Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    """A request context for tests that call services or render messages outside a request.

    It belongs to a twin app on the same database: Flask reuses a pushed context of the *same* app
    for test-client requests (with Flask-Login's cached user), so the twin keeps every request of
    ``app`` in a context of its own, as in production. The twin speaks English so that tests can
    match the services' messages.
    """
    twin = app_factory(DEFAULT_LOCALE="en", **_queue_mode(request))  # service messages in English, to match them in tests
    with twin.test_request_context():
        yield app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def make_user(session: Any) -> Callable[..., Any]:
    from lms.auth.services import set_password
    from lms.users.models import ParticipantProfile, User

    counter = iter(range(1, 100000))

    def make(name: str | None = None, email: str | None = None, *, password: str | None = PASSWORD,
             is_admin: bool = False, is_manager: bool = False, nip: str | None = None, active: bool = True,
             **profile: Any) -> User:
        n = next(counter)
        user = User(email=email or f"user{n}@example.go.id", name=name or f"User {n}", is_admin=is_admin,
                    is_manager=is_manager, active=active)
        if password:
            set_password(user, password, FAST_HASH)
        if nip or profile:
            user.profile = ParticipantProfile(nip=nip or make_nip(n), **profile)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def make_cohort(session: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    from lms.cohorts.models import CohortStatus, Membership, Program, Role
    from lms.cohorts.services import save_cohort

    def make(*, participants: int = 0, instructors: int = 0, coordinator: Any = None,
             status: CohortStatus = CohortStatus.RUNNING, program: Any = None, name: str | None = None) -> Any:
        if program is None:
            program = session.query(Program).filter_by(code="PKA").one_or_none()
            if program is None:
                program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
                session.add(program)
                session.flush()
        coordinator = coordinator or make_user(name="Koordinator")
        cohort = save_cohort(session, None, program=program, actor=coordinator,
                             name=name or f"Angkatan {len(program.cohorts) + 1}", year=2026,
                             start_date=date(2026, 8, 3), end_date=date(2026, 11, 20), status=CohortStatus.RUNNING)
        cohort.people = {"coordinator": coordinator, "participants": [], "instructors": []}
        for _ in range(participants):
            person = make_user(instansi="Pemprov Kalteng")
            session.add(Membership(cohort=cohort, user=person, role=Role.PARTICIPANT))
            cohort.people["participants"].append(person)
        for _ in range(instructors):
            person = make_user(name="Widyaiswara")
            session.add(Membership(cohort=cohort, user=person, role=Role.INSTRUCTOR))
            cohort.people["instructors"].append(person)
        cohort.status = status
        session.commit()
        return cohort

    return make


@pytest.fixture
def login_as(client: Any) -> Callable[..., Any]:
    def do(user: Any) -> Any:
        with client.session_transaction() as sess:
            sess.clear()
        login(client, user)
        return client

    return do




@pytest.fixture
def new_database(tmp_path: Any) -> Iterator[Callable[[str], str]]:
    """Factory: a brand-new empty database ("sqlite" or "postgresql"), named after the test run's
    PostgreSQL database (``<name>_<random>``) and dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    created: list[str] = []
    admin = None

    def make(backend: str) -> str:
        nonlocal admin
        suffix = uuid.uuid4().hex[:8]
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'db-{suffix}.sqlite3'}"
        base = make_url(PG_URL)
        name = f"{base.database}_{suffix}"
        admin = admin or create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
