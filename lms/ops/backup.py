"""One archive with the database and the uploads; restored into an empty database and folder.

The database goes in as JSON lines, one file per table in dependency order, values tagged by
type (decimals, dates, enums...). That is dialect-independent on purpose: the same archive restores
into SQLite or PostgreSQL (a pilot on one laptop can move to a server), and it needs no pg_dump of
the server's exact major version on the machine that runs the command. A national database of a
few million rows takes minutes this way; beyond that, use PostgreSQL's own tools (docs/deploy.md).

Archive layout (tar.gz)::
    manifest.json                 format, version, migration revisions, row counts, file hashes
    database/000-users.jsonl      one JSON object per row, tables parents first
    uploads/<path>                the upload folder as it was

Consistency: the tables are read in one snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), then the files; a file written meanwhile is at worst an unreferenced extra.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from alembic import command
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Connection, Table, func, inspect, select, text

from lms.cli import alembic_config
from lms.db import Base

FORMAT = "tolok-backup"
VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The archive or the target cannot be used; the message says why and what to do."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": value.name}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict | list):
        return {"$json": value}
    raise BackupError(f"cannot archive a value of type {type(value).__name__}")


def _decoder(table: Table) -> dict[str, Any]:
    enums = {}
    for column in table.columns:
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None:
            enums[column.name] = enum_class
    return enums


def _decode(value: Any, enum_class: Any = None) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    if tag == "$enum":
        return enum_class[raw] if enum_class is not None else raw
    if tag == "$decimal":
        return Decimal(raw)
    if tag == "$datetime":
        parsed = datetime.fromisoformat(raw)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if tag == "$date":
        return date.fromisoformat(raw)
    if tag == "$time":
        return time.fromisoformat(raw)
    if tag == "$bytes":
        return base64.b64decode(raw)
    if tag == "$json":
        return raw
    raise BackupError(f"unknown value tag {tag!r} in the archive")


def tables_in(conn: Connection) -> list[Table]:
    """The model tables this database has, parents before children."""
    present = set(inspect(conn).get_table_names())
    return [t for t in Base.metadata.sorted_tables if t.name in present]


def _current_revisions(conn: Connection) -> list[str]:
    return sorted(MigrationContext.configure(conn).get_current_heads())


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {key: _encode(value) for key, value in row.items()}


def _snapshot(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for SELECTs by itself


def _files(folder: str) -> Iterator[tuple[str, str]]:
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                yield full, os.path.relpath(full, folder).replace(os.sep, "/")


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup(app: Flask, output: str) -> dict[str, Any]:
    """Write the archive to ``output`` (through a temporary name: a crash leaves no half archive)."""
    engine = app.extensions["lms.db"].engine
    folder = app.config["UPLOAD_DIR"]
    partial = f"{output}.partial-{uuid.uuid4().hex[:8]}"
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "dialect": engine.dialect.name,
        "plugins": list(app.config.get("PLUGINS_ENABLED", ())),
        "tables": {},
        "files": {},
    }
    try:
        with tempfile.TemporaryDirectory(prefix="lms-backup-") as work, tarfile.open(partial, "w:gz") as archive:
            with engine.connect() as conn:
                _snapshot(conn)
                manifest["revisions"] = _current_revisions(conn)
                if not manifest["revisions"]:
                    raise BackupError("the database has no migration revision: run `flask db upgrade` first")
                for index, table in enumerate(tables_in(conn)):
                    member = f"database/{index:03d}-{table.name}.jsonl"
                    path = os.path.join(work, f"{index:03d}.jsonl")
                    count = 0
                    with open(path, "w", encoding="utf-8") as handle:
                        for row in _rows(conn, table):
                            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
                            count += 1
                    archive.add(path, arcname=member)
                    os.remove(path)
                    manifest["tables"][table.name] = {"member": member, "rows": count}
                conn.rollback()
            if os.path.isdir(folder):
                for full, rel in _files(folder):
                    if os.path.basename(rel).startswith("."):
                        continue  # a file still being written (".name.part-…") or a /readyz probe
                    manifest["files"][rel] = sha256(full)
                    archive.add(full, arcname=f"uploads/{rel}", recursive=False)
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            archive.addfile(info, io.BytesIO(data))
        os.replace(partial, output)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return manifest


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember("manifest.json")
        manifest = json.load(archive.extractfile(member))  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError) as exc:
        raise BackupError("this is not a Tolok backup (no readable manifest.json)") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"unsupported archive: {manifest.get('format')} version {manifest.get('version')}")
    return manifest


def _prepare_schema(app: Flask, revisions: list[str]) -> None:
    """An empty database is migrated to the archive's revisions; a migrated one must match them."""

    engine = app.extensions["lms.db"].engine
    with engine.connect() as conn:
        current = _current_revisions(conn)
        existing = set(inspect(conn).get_table_names())
    if not current:
        if existing - {"alembic_version"}:
            raise BackupError("the database has tables but no migration revision: restore into an empty database")
        cfg = alembic_config(app)
        for revision in revisions:
            command.upgrade(cfg, revision)
        with engine.connect() as conn:
            current = _current_revisions(conn)
    if current != sorted(revisions):
        raise BackupError(
            f"the database is at {', '.join(current)} but the archive at {', '.join(revisions)}: restore into an "
            "empty database (it is migrated to the archive's revisions), then run `flask db upgrade`"
        )


def _check_empty(conn: Connection, names: list[str]) -> None:
    for name in names:
        table = Base.metadata.tables[name]
        count = conn.scalar(select(func.count()).select_from(table))
        if count:
            raise BackupError(
                f"the database is not empty (table {name} has {count} rows): restore into an empty database"
            )


def _extract_uploads(archive: tarfile.TarFile, manifest: dict[str, Any], target: str) -> None:
    expected = manifest["files"]
    for member in archive.getmembers():
        if not member.name.startswith("uploads/"):
            continue
        rel = member.name[len("uploads/") :]
        if rel not in expected or not member.isfile():
            raise BackupError(f"unexpected entry {member.name!r} in the archive")
        member = member.replace(name=rel)
        archive.extract(member, target, filter="data")
        if sha256(os.path.join(target, rel)) != expected[rel]:
            raise BackupError(f"{rel} in the archive is damaged (its hash differs)")
    missing = [rel for rel in expected if not os.path.isfile(os.path.join(target, rel))]
    if missing:
        raise BackupError(f"{len(missing)} file(s) listed in the manifest are missing from the archive")


def _insert(conn: Connection, archive: tarfile.TarFile, table: Table, member: str) -> int:
    enums = _decoder(table)
    handle = archive.extractfile(member)
    if handle is None:
        raise BackupError(f"{member} is missing from the archive")
    batch: list[dict[str, Any]] = []
    count = 0
    for line in io.TextIOWrapper(handle, encoding="utf-8"):
        row = json.loads(line)
        batch.append({key: _decode(value, enums.get(key)) for key, value in row.items()})
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL's id sequences continue after the restored ids (inserts with ids do not move them)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto"
                and len(table.primary_key.columns) == 1
                and column.type.python_type is int
            ):
                conn.execute(
                    text(
                        f'SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX("{column.name}"), 1), '
                        f'MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                    ),
                    {"table": table.name, "column": column.name},
                )


def restore(app: Flask, source: str) -> dict[str, Any]:
    """Fill an empty database and an empty upload folder from ``source``; all or nothing."""
    engine = app.extensions["lms.db"].engine
    folder = os.path.abspath(app.config["UPLOAD_DIR"])
    if os.path.isdir(folder) and any(not n.startswith(".") for n in os.listdir(folder)):
        raise BackupError(f"the upload folder {folder} is not empty: restore into an empty folder")
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115  (the with below closes it)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read {source}: {exc}") from exc
    with archive:
        manifest = _read_manifest(archive)
        unknown = [name for name in manifest["tables"] if name not in Base.metadata.tables]
        if unknown:
            raise BackupError(
                f"the archive has tables this installation does not know: {', '.join(unknown)} "
                "(enable the same plugins as where the backup was made)"
            )
        _prepare_schema(app, manifest["revisions"])
        parent = os.path.dirname(folder)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".restore-", dir=parent)
        try:
            _extract_uploads(archive, manifest, staging)
            tables = [Base.metadata.tables[name] for name in manifest["tables"]]
            with engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                _check_empty(conn, list(manifest["tables"]))
                for table in tables:
                    entry = manifest["tables"][table.name]
                    count = _insert(conn, archive, table, entry["member"])
                    if count != entry["rows"]:
                        raise BackupError(
                            f"{table.name}: the archive holds {count} rows, its manifest says {entry['rows']}"
                        )
                _reset_sequences(conn, tables)
            if os.path.isdir(folder):
                shutil.rmtree(folder)  # empty (checked above) apart from probe and partial files
            os.replace(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return manifest
