"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime, time, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import TextClause

from lms import cli
from lms.app import create_app
from lms.db import Base
from lms.plugins.manager import discover
from tests.fixtures import BACKENDS, app_config
from tests.support import PG_URL


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """A brand-new empty database: a file for SQLite, a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(PG_URL)
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_diff(app):
    enabled = set(app.config["PLUGINS_ENABLED"])
    plugin_prefixes = set(discover())

    engine = app.extensions["lms.db"].engine
    virtual: set[str] = set()
    if engine.dialect.name == "sqlite":  # FTS5 tables (and their shadow tables) are not models
        with engine.connect() as conn:
            virtual = set(
                conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'").scalars()
            )

    # Expression indexes (the catalogue's full-text ones) cannot be compared by autogenerate; a test
    # below checks that the migration makes them.
    expression_indexes = {
        index.name
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if any(isinstance(e, TextClause) for e in index.expressions)
    }

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "index" and name in expression_indexes:
            return False
        if (
            type_ == "table"
            and name
            and reflected
            and compare_to is None
            and (name in virtual or name.rsplit("_", 1)[0] in virtual)
        ):
            return False
        if type_ == "table" and name:
            prefix = name.split("_", 1)[0]
            if prefix in plugin_prefixes and prefix not in enabled:
                return False
            if name == "alembic_version":
                return False
        return True

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*expression-based index")
            return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_matches_the_models(empty_database, tmp_path):
    app = create_app(app_config(empty_database, tmp_path))
    cli.upgrade(app)
    assert schema_diff(app) == []
    tables = set(inspect(app.extensions["lms.db"].engine).get_table_names())
    assert {"users", "participant_profiles", "programs", "cohorts", "memberships"} <= tables
    app.extensions["lms.db"].dispose()


def test_downgrade_to_base_and_up_again(empty_database, tmp_path):
    app = create_app(app_config(empty_database, tmp_path))
    cli.upgrade(app)
    from alembic import command

    command.downgrade(cli.alembic_config(app), "base")
    tables = set(inspect(app.extensions["lms.db"].engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    cli.upgrade(app)
    assert schema_diff(app) == []
    app.extensions["lms.db"].dispose()


def test_sqlite_enforces_foreign_keys(tmp_path):
    from sqlalchemy.exc import IntegrityError

    app = create_app(app_config(f"sqlite:///{tmp_path / 'fk.sqlite3'}", tmp_path))
    cli.upgrade(app)
    engine = app.extensions["lms.db"].engine
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO memberships (cohort_id, user_id, role, created_at) VALUES (999, 999, 'participant', '2026-01-01')"
            )
        )
    engine.dispose()


def test_plugin_tables_come_and_go_with_the_plugin(empty_database, tmp_path):
    if "benchmarking" not in discover():
        pytest.skip("the benchmarking plugin is not installed")
    bare = create_app(app_config(empty_database, tmp_path, PLUGINS=[]))
    cli.upgrade(bare)
    tables = set(inspect(bare.extensions["lms.db"].engine).get_table_names())
    assert "cohorts" in tables and not {t for t in tables if t.startswith("benchmarking_")}
    assert schema_diff(bare) == []
    bare.extensions["lms.db"].dispose()

    full = create_app(app_config(empty_database, tmp_path, PLUGINS=["benchmarking"]))
    cli.upgrade(full)
    tables = set(inspect(full.extensions["lms.db"].engine).get_table_names())
    assert {"benchmarking_hosts", "benchmarking_visits", "benchmarking_groups", "benchmarking_group_members"} <= tables
    assert schema_diff(full) == []
    from alembic import command

    command.downgrade(cli.alembic_config(full), "benchmarking@base")
    tables = set(inspect(full.extensions["lms.db"].engine).get_table_names())
    assert "cohorts" in tables and not {t for t in tables if t.startswith("benchmarking_")}
    full.extensions["lms.db"].dispose()


def _revisions(app):
    with app.extensions["lms.db"].engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _tables(app):
    return set(inspect(app.extensions["lms.db"].engine).get_table_names())


def test_switching_a_plugin_off_after_its_migrations_keeps_every_db_command_working(empty_database, tmp_path):
    """Alembic knows an installed plugin's revisions whether it is enabled or not; only its
    blueprints and hooks go away, and upgrading with it off neither creates nor drops its tables."""
    if "benchmarking" not in discover():
        pytest.skip("the benchmarking plugin is not installed")
    full = create_app(app_config(empty_database, tmp_path, PLUGINS=["benchmarking"]))
    result = full.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    applied = _revisions(full)
    assert len(applied) >= 2  # the core's head and the plugin's
    full.extensions["lms.db"].dispose()

    bare = create_app(app_config(empty_database, tmp_path, PLUGINS=[]))
    assert not any(name.startswith("benchmarking") for name in bare.blueprints)
    runner = bare.test_cli_runner()
    for args in (["db", "current"], ["db", "heads"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert _revisions(bare) == applied
    assert "benchmarking_practices" in _tables(bare) and "cohorts" in _tables(bare)

    result = runner.invoke(args=["db", "downgrade", "benchmarking@base"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "cohorts" in _tables(bare) and not {t for t in _tables(bare) if t.startswith("benchmarking_")}
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert not {t for t in _tables(bare) if t.startswith("benchmarking_")}, "a disabled plugin's tables stay away"
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert _revisions(bare) == set()
    bare.extensions["lms.db"].dispose()


def test_the_catalogue_search_index_is_made_and_kept(empty_database, tmp_path):
    """The migration makes the full-text index (PostgreSQL GIN indexes, SQLite FTS5 table with
    triggers), and the catalogue finds a practice by a word's beginning after an update."""
    if "benchmarking" not in discover():
        pytest.skip("the benchmarking plugin is not installed")
    app = create_app(app_config(empty_database, tmp_path, PLUGINS=["benchmarking"]))
    cli.upgrade(app)
    engine = app.extensions["lms.db"].engine
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = set(
                conn.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'benchmarking_practices'"
                ).scalars()
            )
            assert {"ix_benchmarking_practices_search_live", "ix_benchmarking_practices_search_copy"} <= names
        else:
            objects = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
            assert {
                "benchmarking_practice_search",
                "benchmarking_practice_search_insert",
                "benchmarking_practice_search_update",
                "benchmarking_practice_search_delete",
            } <= objects
    app.extensions["lms.db"].dispose()


# The benchmarking revision before group reports referred to practices through a table.
BEFORE_REPORT_PRACTICES = "3c9e7b21d4a8"
# The core revision before submissions.awaiting_grade.
BEFORE_AWAITING_GRADE = "7b3e9f1a2c48"


def test_group_report_practices_move_between_the_comma_list_and_the_association_table(empty_database, tmp_path):
    """The references of existing reports survive the upgrade and the downgrade; an id in an old
    list that names no practice any more is dropped on the way up (a foreign key now holds)."""
    if "benchmarking" not in discover():
        pytest.skip("the benchmarking plugin is not installed")
    from lms.demo import load_demo
    from plugins.benchmarking import reports
    from plugins.benchmarking.models import GroupReport, Practice

    app = create_app(app_config(empty_database, tmp_path, PLUGINS=["benchmarking"]))
    cli.upgrade(app)
    session = app.extensions["lms.db"].session
    with app.app_context():
        demo = load_demo(session, app, participants=12)
        group = next(g for g in demo["benchmarking_visit"].groups if g.leader is not None)
        members = {m.user_id for m in group.members}
        chosen = sorted(
            session.scalars(
                select(Practice.id).where(Practice.visit_id == group.visit_id, Practice.participant_id.in_(members))
            )
        )[:2]
        assert len(chosen) == 2, "the demo gives the group's members practices to refer to"
        # Written a few days after the visit: before its due time, as the demo's own practices are.
        written = datetime.combine(group.visit.end_date + timedelta(days=3), time(12), tzinfo=UTC)
        report = reports.write(session, group, group.leader, "Laporan kelompok.", chosen, 0, written)
        session.commit()
        report_id = report.id
        session.remove()
    engine = app.extensions["lms.db"].engine

    command.downgrade(cli.alembic_config(app), BEFORE_REPORT_PRACTICES)
    with engine.begin() as conn:
        listed = conn.execute(
            text("SELECT practice_ids FROM benchmarking_group_reports WHERE id = :id"), {"id": report_id}
        ).scalar_one()
        assert listed == ",".join(str(i) for i in chosen)
        assert "benchmarking_report_practices" not in inspect(conn).get_table_names()
        conn.execute(
            text("UPDATE benchmarking_group_reports SET practice_ids = :ids WHERE id = :id"),
            {"ids": f"{listed},999999", "id": report_id},
        )

    cli.upgrade(app)
    with app.app_context():
        assert [p.id for p in session.get(GroupReport, report_id).practices] == chosen
        session.remove()
    try:
        assert schema_diff(app) == []
    finally:
        engine.dispose()  # a connection left open makes the next test's DROP DATABASE wait and warn


def test_awaiting_grade_is_backfilled_like_the_listener_keeps_it(empty_database, tmp_path):
    """The migration that adds ``submissions.awaiting_grade`` marks exactly the submitted work
    without a final grade, as the flush listener marked the demo's work."""
    from lms.demo import load_demo

    app = create_app(app_config(empty_database, tmp_path))
    cli.upgrade(app)
    session = app.extensions["lms.db"].session
    with app.app_context():
        load_demo(session, app, participants=12)
        session.commit()
        session.remove()
    engine = app.extensions["lms.db"].engine
    flagged = "SELECT id FROM submissions WHERE awaiting_grade ORDER BY id"
    truth = """SELECT s.id FROM submissions s WHERE s.state = 'submitted' AND NOT EXISTS
        (SELECT 1 FROM grades g WHERE g.submission_id = s.id AND g.status <> 'draft') ORDER BY s.id"""
    with engine.connect() as conn:
        kept = conn.execute(text(flagged)).scalars().all()
        assert kept == conn.execute(text(truth)).scalars().all() and kept, "the demo has work waiting"
    command.downgrade(cli.alembic_config(app), BEFORE_AWAITING_GRADE)
    cli.upgrade(app)
    try:
        with engine.connect() as conn:
            assert conn.execute(text(flagged)).scalars().all() == kept
        assert schema_diff(app) == []
    finally:
        engine.dispose()


def test_setup_brings_an_empty_database_up_and_loads_the_demo_once(tmp_path):
    """`make run`'s one setup process: schema, demo data into an empty database only, the mail line."""
    app = create_app(app_config(f"sqlite:///{tmp_path / 'setup.sqlite3'}", tmp_path))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "setup", "--demo"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output and "e-mail" in first.output
    assert schema_diff(app) == []
    again = runner.invoke(args=["lms", "setup", "--demo"])
    assert again.exit_code == 0 and "not loaded" in again.output
    app.extensions["lms.db"].engine.dispose()


def test_serve_sets_up_then_serves_the_same_app(tmp_path, monkeypatch):
    """`make run`'s web process: the setup steps, then the development server with the app it built."""
    import werkzeug.serving

    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, app, **kw: served.update(app=app, port=port))
    app = create_app(app_config(f"sqlite:///{tmp_path / 'serve.sqlite3'}", tmp_path))
    result = app.test_cli_runner().invoke(args=["lms", "serve", "--demo", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "demo data loaded" in result.output and served == {"app": app, "port": 5099}
    app.extensions["lms.db"].engine.dispose()
