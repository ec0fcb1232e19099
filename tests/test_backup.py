"""`flask lms backup` then `flask lms restore` into an empty database and folder gives the same
tables, row by row, and the same files, byte by byte; a bad archive or a used target changes nothing."""

from __future__ import annotations

import io
import os
import tarfile

import pytest
from sqlalchemy import inspect, select

from lms import cli
from lms.app import create_app
from lms.db import Base
from lms.ops.backup import sha256
from tests.fixtures import BACKENDS, app_config
from tests.support import PG_URL

FILES = {
    "roster/preview-1.csv": b"nip;nama\n198001012005011001;Budi Santoso\n",
    "benchmarking/ab/cd/bukti kunjungan.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 64,
    "benchmarking/foto-lokus.jpg": os.urandom(50_000),
}


_BUILT: list = []


@pytest.fixture(autouse=True)
def _dispose_apps():
    yield
    while _BUILT:
        _BUILT.pop().extensions["lms.db"].dispose()


def _app(url, folder, tmp_path):
    app = create_app(app_config(url, tmp_path, UPLOAD_DIR=str(folder)))
    _BUILT.append(app)
    return app


def _source(new_database, backend, tmp_path):
    """A migrated database with the demo cohort, grades included, and a folder of uploads."""
    folder = tmp_path / "source-uploads"
    app = _app(new_database(backend), folder, tmp_path)
    cli.upgrade(app)
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    for rel, data in FILES.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return app


def _tables(app):
    engine = app.extensions["lms.db"].engine
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        out = {}
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
    return out


def _files(app):
    folder = app.config["UPLOAD_DIR"]
    return {
        os.path.relpath(os.path.join(root, n), folder): sha256(os.path.join(root, n))
        for root, _dirs, names in os.walk(folder)
        for n in names
    }


def _round_trip(source, target_url, tmp_path):
    archive = tmp_path / "tolok.tar.gz"
    made = source.test_cli_runner().invoke(args=["lms", "backup", "-o", str(archive)])
    assert made.exit_code == 0, made.output
    target = _app(target_url, tmp_path / "restored-uploads", tmp_path)
    restored = target.test_cli_runner().invoke(args=["lms", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    return archive, target


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_gives_identical_tables_and_files(new_database, backend, tmp_path):
    source = _source(new_database, backend, tmp_path)
    half = tmp_path / "source-uploads" / "roster" / ".preview-2.csv.part-1a2b"  # an upload being written
    half.write_bytes(b"nip;na")
    _archive, target = _round_trip(source, new_database(backend), tmp_path)
    half.unlink()
    before, after = _tables(source), _tables(target)
    assert set(before) == set(after)
    assert sum(len(rows) for rows in before.values()) > 100  # the demo cohort, not an empty shell
    for name in before:
        assert after[name] == before[name], name
    assert _files(target) == _files(source) and len(_files(source)) == len(FILES)
    # The restored site goes on: new rows get fresh ids (PostgreSQL's sequences were moved on).
    created = target.test_cli_runner().invoke(
        args=["lms", "create-user", "--email", "baru@example.go.id", "--name", "Baru", "--password-stdin"],
        input="kata-sandi-baru\n",
    )
    assert created.exit_code == 0, created.output
    assert target.test_client().get("/readyz").status_code == 200


@pytest.mark.skipif(not PG_URL, reason="needs LMS_TEST_DATABASE_URL (PostgreSQL)")
def test_a_pilot_on_sqlite_moves_to_postgresql(new_database, tmp_path):
    source = _source(new_database, "sqlite", tmp_path)
    _archive, target = _round_trip(source, new_database("postgresql"), tmp_path)
    assert _tables(target) == _tables(source)
    assert _files(target) == _files(source)


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_refuses_a_database_or_folder_in_use(new_database, backend, tmp_path):
    source = _source(new_database, backend, tmp_path)
    archive = tmp_path / "tolok.tar.gz"
    assert source.test_cli_runner().invoke(args=["lms", "backup", "-o", str(archive)]).exit_code == 0
    before = _tables(source)

    # Into the live site itself: its upload folder is in use, then its tables.
    over = source.test_cli_runner().invoke(args=["lms", "restore", str(archive)])
    assert over.exit_code == 1 and "not empty" in over.output
    elsewhere = _app(source.config["DATABASE_URL"], tmp_path / "empty-uploads", tmp_path)
    over = elsewhere.test_cli_runner().invoke(args=["lms", "restore", str(archive)])
    assert over.exit_code == 1 and "not empty" in over.output and "table" in over.output
    assert _tables(source) == before
    assert not (tmp_path / "empty-uploads").exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".restore-")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_damaged_archive_restores_nothing(new_database, backend, tmp_path):
    source = _source(new_database, backend, tmp_path)
    archive = tmp_path / "tolok.tar.gz"
    assert source.test_cli_runner().invoke(args=["lms", "backup", "-o", str(archive)]).exit_code == 0
    # Same members, one upload's bytes changed: the manifest's hash catches it.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "uploads/roster/preview-1.csv":
                data = data.replace(b"Budi", b"Joko")
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    target = _app(new_database(backend), tmp_path / "restored", tmp_path)
    result = target.test_cli_runner().invoke(args=["lms", "restore", str(damaged)])
    assert result.exit_code == 1 and "damaged" in result.output
    assert all(not rows for rows in _tables(target).values())
    assert not (tmp_path / "restored").exists()

    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    result = target.test_cli_runner().invoke(args=["lms", "restore", str(junk)])
    assert result.exit_code == 1 and "cannot read" in result.output


@pytest.mark.real_database
def test_backup_leaves_no_half_archive(app, tmp_path):
    # The fixtures' database was never migrated: refused before anything is written.
    out = tmp_path / "never.tar.gz"
    result = app.test_cli_runner().invoke(args=["lms", "backup", "-o", str(out)])
    assert result.exit_code == 1 and "flask db upgrade" in result.output
    assert not list(tmp_path.glob("never.tar.gz*"))
