"""Alembic environment: runs on the engine of the app that ``flask db`` built."""

from __future__ import annotations

from alembic import context

import lms.models  # noqa: F401  (registers every core table on the metadata)
from lms.db import Base

config = context.config
engine = config.attributes.get("engine")
plugins: tuple[str, ...] = config.attributes.get("plugins", ())


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    """Leave alone the tables of plugins that are not enabled (their models may still be imported)."""
    if type_ == "table" and name and "_" in name:
        prefix = name.split("_", 1)[0]
        if prefix in _plugin_prefixes() and prefix not in plugins:
            return False
    return True


def _plugin_prefixes() -> set[str]:
    from lms.plugins.manager import discover

    return set(discover())


def run_migrations_online() -> None:
    if engine is None:
        raise RuntimeError("run migrations through `flask --app wsgi db ...`, which passes the app's engine")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations rebuild a table (create, copy, drop, rename); with foreign keys on, the
            # drop deletes the rows of every table that references it with ON DELETE CASCADE. SQLite
            # ignores this pragma inside a transaction, so it is set (and committed) before one begins.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,
                compare_type=True,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows that break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.rollback()  # nothing is open after a commit; after a failure, undo it first
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them against a database")
run_migrations_online()
