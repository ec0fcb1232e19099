import pytest

from lms import config
from lms.app import create_app


def test_every_setting_has_a_comment():
    with open(config.__file__, encoding="utf-8") as fh:
        source = fh.read()
    for key in config.DEFAULTS:
        line = source.index(f'    "{key}":')
        previous = source[:line].rstrip().splitlines()[-1].strip()
        assert previous.startswith("#"), f"{key} has no comment above it"


def test_secret_key_is_required_in_production():
    with pytest.raises(config.ConfigError, match="LMS_SECRET_KEY"):
        config.load(environ={"LMS_ENV": "production"})


def test_production_with_secret_builds_secure_cookies(tmp_path):
    values = config.load(environ={"LMS_ENV": "production", "LMS_SECRET_KEY": "x" * 40})
    flask = config.flask_settings(values)
    assert flask["SESSION_COOKIE_SECURE"] and flask["SESSION_COOKIE_HTTPONLY"]
    assert flask["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_env_values_are_parsed_by_type():
    values = config.load(
        environ={"LMS_ENV": "testing", "LMS_PAGE_SIZE": "25", "LMS_PLUGINS": "[]", "LMS_RATELIMIT_ENABLED": "no"}
    )
    assert values["PAGE_SIZE"] == 25 and values["PLUGINS"] == [] and values["RATELIMIT_ENABLED"] is False


@pytest.mark.parametrize(
    "key,raw", [("PAGE_SIZE", "many"), ("PLUGINS", "benchmarking"), ("RATELIMIT_ENABLED", "maybe")]
)
def test_bad_env_values_fail_at_start_up(key, raw):
    with pytest.raises(config.ConfigError, match=f"LMS_{key}"):
        config.load(environ={"LMS_ENV": "testing", f"LMS_{key}": raw})


def test_unknown_override_is_refused():
    with pytest.raises(config.ConfigError, match="unknown"):
        config.load({"NOT_A_SETTING": 1}, environ={"LMS_ENV": "testing"})


def test_form_memory_is_raised_on_purpose(tmp_path):
    app = create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "PLUGINS": []})
    assert app.config["MAX_FORM_MEMORY_SIZE"] >= 1024 * 1024
    app.extensions["lms.db"].dispose()
