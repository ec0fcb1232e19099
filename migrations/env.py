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
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them against a database")
run_migrations_online()
