"""Loading enabled plugins into one app: discovery, validation and registration.

The plugin manager is kept in ``app.extensions["lms.plugins"]``, never as a module global, so two
apps with different plugins (the test suite builds both) never see each other's hooks.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import cast

import pluggy
from flask import Blueprint, Flask

from lms.plugins import hookspecs

GROUP = "lms.plugins"


class PluginError(RuntimeError):
    """A plugin configuration that cannot start; raised while the app is built."""


def discover() -> dict[str, EntryPoint]:
    """Installed plugins by name, from the ``lms.plugins`` entry-point group."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def init_plugins(app: Flask) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("lms")
    pm.add_hookspecs(hookspecs)
    installed = discover()
    enabled: list[str] = list(app.config["PLUGINS"])
    for name in enabled:
        if name not in installed:
            known = ", ".join(sorted(installed)) or "none"
            raise PluginError(
                f"plugin {name!r} is enabled in LMS_PLUGINS but not installed "
                f"(installed plugins: {known}); install it or remove it from LMS_PLUGINS"
            )
        try:
            module = installed[name].load()
        except ImportError as exc:
            raise PluginError(f"plugin {name!r} failed to import: {exc}") from exc
        if isinstance(module, str):  # an entry point naming a module path
            module = import_module(module)
        pm.register(module, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = pm.get_name(exc.plugin) if getattr(exc, "plugin", None) is not None else "?"
        raise PluginError(f"plugin {culprit!r} implements a hook that does not exist: {exc}") from exc
    app.extensions["lms.plugins"] = pm
    app.config["PLUGINS_ENABLED"] = tuple(enabled)

    # Through pluggy's own record of who implements the hook, so each blueprint is checked against
    # the name of the plugin that returned it.
    for impl in pm.hook.lms_blueprints.get_hookimpls():  # in registration order: as enabled
        blueprints = cast("list[Blueprint] | None", impl.function()) or []
        for bp in blueprints:
            _check_blueprint(impl.plugin_name, bp)
            app.register_blueprint(bp)
    return pm


def _check_blueprint(plugin: str, bp: Blueprint) -> None:
    if not isinstance(bp, Blueprint):
        raise PluginError(f"plugin {plugin!r} returned {bp!r} from lms_blueprints, not a Blueprint")
    if bp.name != plugin and not bp.name.startswith(plugin + "_"):
        raise PluginError(
            f"plugin {plugin!r} returned a blueprint named {bp.name!r}: a plugin's blueprints "
            f"must be named {plugin!r} or start with '{plugin}_'"
        )


def get_plugin_manager(app: Flask) -> pluggy.PluginManager:
    return app.extensions["lms.plugins"]


def enabled_plugins(app: Flask) -> tuple[str, ...]:
    return app.config.get("PLUGINS_ENABLED", ())


def migration_dirs(app: Flask) -> list[str]:
    """The Alembic version folders of every *installed* plugin, enabled or not.

    A plugin switched off after its migrations ran leaves its revisions in the database; Alembic
    must still know them or every ``flask db`` command fails with "Can't locate revision". Only
    its blueprints and hooks go away (see :func:`disabled_migration_dirs` for what upgrade skips).
    """
    dirs: list[str] = []
    for contributed in get_plugin_manager(app).hook.lms_migration_dirs():
        dirs.extend(contributed or [])
    return dirs + disabled_migration_dirs(app)


def disabled_migration_dirs(app: Flask) -> list[str]:
    """Version folders of installed plugins that this app has not enabled.

    Read from the plugin module's ``lms_migration_dirs`` without registering it: none of its hooks
    runs. A disabled plugin that no longer imports contributes nothing.
    """
    enabled = set(enabled_plugins(app))
    dirs: list[str] = []
    for name, entry in sorted(discover().items()):
        if name in enabled:
            continue
        try:
            module = entry.load()
        except ImportError:
            continue
        if isinstance(module, str):
            module = import_module(module)
        impl = getattr(module, "lms_migration_dirs", None)
        dirs.extend((impl() if impl else None) or [])
    return dirs
