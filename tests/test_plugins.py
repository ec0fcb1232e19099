"""The plugin system: discovery through entry points, validation at start-up, hooks per app."""

from importlib.metadata import EntryPoint

import pytest

from lms.app import create_app
from lms.plugins import manager
from lms.plugins.manager import PluginError, get_plugin_manager
from tests.fixtures import app_config
from tests.support import login


def with_entry_points(monkeypatch, **extra):
    real = manager.discover

    def discover():
        found = real()
        for name, value in extra.items():
            found[name] = EntryPoint(name=name, value=value, group=manager.GROUP)
        return found

    monkeypatch.setattr(manager, "discover", discover)


def build(tmp_path, plugins):
    return create_app(app_config(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, PLUGINS=plugins))


def test_enabled_but_missing_plugin_fails_at_start_up(tmp_path):
    with pytest.raises(PluginError, match="'nonexistent' is enabled in LMS_PLUGINS but not installed"):
        build(tmp_path, ["nonexistent"])


def test_blueprint_not_named_after_its_plugin_fails(tmp_path, monkeypatch):
    with_entry_points(monkeypatch, badbp="tests.bad_plugins:wrong_blueprint_name")
    with pytest.raises(PluginError, match="blueprint named 'somebody_else'"):
        build(tmp_path, ["badbp"])


def test_hook_without_a_spec_fails(tmp_path, monkeypatch):
    with_entry_points(monkeypatch, unknown="tests.bad_plugins:unknown_hook")
    with pytest.raises(PluginError, match="lms_no_such_hook"):
        build(tmp_path, ["unknown"])


def test_tiny_plugin_loads_through_entry_points(app_factory, monkeypatch, make_user):
    with_entry_points(monkeypatch, tiny="tests.tiny_plugin")
    app = app_factory(PLUGINS=["tiny"])
    assert "tiny.index" in app.view_functions
    client = app.test_client()
    login(client, make_user())
    assert client.get("/tiny/").get_data(as_text=True) == "tiny plugin page"
    assert 'href="/tiny/"' in client.get("/").get_data(as_text=True)


def test_plugin_managers_are_per_app(tmp_path, monkeypatch):
    with_entry_points(monkeypatch, tiny="tests.tiny_plugin")
    with_tiny = build(tmp_path, ["tiny"])
    bare = create_app(app_config(f"sqlite:///{tmp_path / 'q.sqlite3'}", tmp_path, PLUGINS=[]))
    assert get_plugin_manager(with_tiny).get_plugin("tiny") is not None
    assert get_plugin_manager(bare).get_plugin("tiny") is None
    assert "tiny.index" not in bare.view_functions
    for app in (with_tiny, bare):
        app.extensions["lms.db"].dispose()


def test_core_runs_without_any_plugin(app_factory, make_user):
    app = app_factory(PLUGINS=[])
    assert not [e for e in app.view_functions if e.startswith("benchmarking")]
    client = app.test_client()
    login(client, make_user(is_manager=True))
    page = client.get("/").get_data(as_text=True)
    assert "/benchmarking/" not in page
