"""Every setting Tolok reads, with its default and why it exists.

Settings come from ``LMS_<KEY>`` environment variables; ``create_app(config)`` may override any of
them (tests do). Values are parsed by the type of their default: bools accept 1/0/true/false/yes/no,
ints and floats are parsed as numbers, lists and dicts as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

ENV_PREFIX = "LMS_"

DEFAULTS: dict[str, Any] = {
    # "production", "development" or "testing"; development and testing relax the secret-key and
    # secure-cookie rules so that `make run` and the test suite work without a secret.
    "ENV": "production",
    # Signs sessions and CSRF tokens. Required outside development and testing.
    "SECRET_KEY": None,
    # SQLAlchemy URL; empty means an SQLite file `lms.sqlite3` in the instance folder.
    "DATABASE_URL": "",
    # Log every SQL statement (debugging only).
    "DATABASE_ECHO": False,
    # A pooled PostgreSQL connection idle for longer than this many seconds is tested before use
    # (a restarted or failed-over database left it dead); one used more recently is not, which saves
    # a round trip on every request under load. 0 tests every connection before every use.
    "DATABASE_PING_AFTER_IDLE": 5.0,
    # Enabled plugins, by entry-point name in the `lms.plugins` group (a JSON list in the env).
    "PLUGINS": ["benchmarking"],
    # Largest request body in bytes; roster files and evidence attachments are the big ones.
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Werkzeug's default (500 kB) is too small for long reflections typed in a form field.
    "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,
    # Largest roster file accepted for import, in bytes.
    "ROSTER_MAX_BYTES": 10 * 1024 * 1024,
    # Most rows one roster import takes.
    "ROSTER_MAX_ROWS": 20000,
    # A roster with more rows than this is imported by the job queue (with a progress bar).
    "ROSTER_INLINE_ROWS": 500,
    # Interface language when a user has not chosen one; "id" (Bahasa Indonesia) or "en".
    "DEFAULT_LOCALE": "id",
    # Time zone dates and times are shown in; everything is stored in UTC.
    "DEFAULT_TIMEZONE": "Asia/Jakarta",
    # Hour of the day (0-23, in DEFAULT_TIMEZONE) at which the daily notification digest is e-mailed.
    "DIGEST_HOUR": 7,
    # Werkzeug password-hash method; tests use cheaper scrypt parameters.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Shortest password a user may choose.
    "PASSWORD_MIN_LENGTH": 8,
    # How long "remember me" keeps a user logged in, in days.
    "REMEMBER_DAYS": 14,
    # Send cookies over HTTPS only; forced off in development and testing.
    "SECURE_COOKIES": True,
    # Strict-Transport-Security max-age, sent on requests that came over HTTPS; 0 sends none.
    "HSTS_MAX_AGE": 31536000,
    # Level of the JSON log lines written to stderr (requests and security events are INFO).
    "LOG_LEVEL": "INFO",
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "PROXY_COUNT": 0,
    # Storage for rate limits: empty means LMS_REDIS_URL when that is set, else "memory://" (per
    # worker process: limits are not shared between workers or nodes); or any limits storage URL.
    "RATELIMIT_STORAGE_URI": "",
    # Failed login attempts allowed per client address (successful logins do not count).
    "LOGIN_RATE_LIMIT": "20 per minute",
    # Failed login attempts allowed per account, from any address.
    "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 5 minutes",
    # Switch rate limiting off (tests that log in many times).
    "RATELIMIT_ENABLED": True,
    # Rows per page on long lists.
    "PAGE_SIZE": 50,
    # Bytes of rendered results pages each process keeps, by the cohort's results generation
    # (lms/results/page_cache.py; a page of 50 rows is ~0.35 MB); 0 switches it off.
    "RESULTS_PAGE_CACHE_BYTES": 16 * 1024 * 1024,
    # CSRF protection on every POST; only a few unit tests switch it off.
    "CSRF_ENABLED": True,
    # Largest evidence file a participant may attach to a benchmarking practice, in bytes.
    "EVIDENCE_MAX_FILE_BYTES": 10 * 1024 * 1024,
    # Most evidence one benchmarking practice may hold, in bytes.
    "EVIDENCE_MAX_PRACTICE_BYTES": 50 * 1024 * 1024,
    # Where uploaded files (roster previews, evidence) are kept; empty means instance/uploads.
    "UPLOAD_DIR": "",
    # Redis shared by every node ("redis://host:6379/0"): rate limits, and the job queue when it
    # uses Redis. Empty: no Redis, every store stays inside one machine.
    "REDIS_URL": "",
    # How many web nodes serve this site. Above 1, `flask lms check` (and gunicorn's start) refuse
    # per-process stores: memory rate limits, SQLite, an embedded job queue, an unshared upload dir.
    "NODES": 1,
    # Set true once LMS_UPLOAD_DIR is one shared mount (NFS, CephFS...) seen by every node.
    "UPLOAD_DIR_SHARED": False,
    # Bearer token that lets a scraper read /metrics from another machine; empty: loopback only.
    "METRICS_TOKEN": "",
    # Seconds /readyz waits for its checks (database, Redis, queue, storage) before saying "timeout".
    "READY_TIMEOUT": 1.5,
    # The embedded queue's SQLite file; empty means instance/jobs.sqlite3.
    "JOBS_SQLITE_PATH": "",
    # Run each background task at once inside the caller (unit tests only; a consumer refuses it).
    "JOBS_IMMEDIATE": False,
    # Worker threads of one `flask lms worker` consumer.
    "JOBS_WORKERS": 2,
    # Processes that lay out a large results PDF at once (one per core the consumer may use; each
    # spawned for the export and ended after it); 0 lays it out in the job's own process.
    "PDF_PROCESSES": 2,
    # How long the person who started a job may download its file, in hours.
    "JOB_RESULT_HOURS": 24,
    # A running job whose worker has not reported for this many seconds is marked failed (killed).
    "JOB_STALE_SECONDS": 120,
    # Outgoing mail server; empty means no e-mail leaves the machine: each message is logged and
    # written as an .eml file to MAIL_OUTBOX_DIR (the development default).
    "SMTP_HOST": "",
    # 587 for starttls, 465 for ssl, 25 for none.
    "SMTP_PORT": 587,
    # Login on the mail server; empty means no AUTH.
    "SMTP_USER": "",
    # Password for SMTP_USER (from the environment only).
    "SMTP_PASSWORD": "",
    # "starttls" (upgrade a plain connection), "ssl" (TLS from the first byte) or "none".
    "SMTP_SECURITY": "starttls",
    # Seconds to wait for the mail server before the attempt counts as failed.
    "SMTP_TIMEOUT": 20,
    # The From: of every message.
    "MAIL_FROM": "Tolok <no-reply@localhost>",
    # Where .eml files go when SMTP_HOST is empty; empty means instance/outbox.
    "MAIL_OUTBOX_DIR": "",
    # Attempts to deliver one message before it is marked failed ("not sent").
    "MAIL_MAX_ATTEMPTS": 6,
    # Wait before the first retry, in seconds; each further retry waits twice as long.
    "MAIL_RETRY_SECONDS": 30,
    # The site's address as people reach it, for links in e-mail ("https://lms.example.go.id");
    # empty means http://127.0.0.1:5000 (development).
    "BASE_URL": "",
    # How long an invitation link stays valid, in days.
    "INVITATION_DAYS": 7,
    # How long a "forgot password" link stays valid, in hours.
    "PASSWORD_RESET_HOURS": 24,
    # "Forgot password" requests allowed per client address.
    "PASSWORD_RESET_RATE_LIMIT": "5 per 15 minutes",
    # Public certificate verification pages (/verify/<code>) allowed per client address.
    "VERIFY_RATE_LIMIT": "30 per minute",
}


def _parse(key: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list | dict):
            value = json.loads(raw)
            if not isinstance(value, type(default)):
                raise ValueError(raw)
            return value
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{key}={raw!r} is not a valid {type(default).__name__}") from exc
    return raw


class ConfigError(RuntimeError):
    """The configuration cannot start the app; raised at start-up, never at request time."""


def load(overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``LMS_*`` environment variables, then ``overrides``; validated."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = env.get(ENV_PREFIX + key)
        if raw is not None:
            values[key] = _parse(key, raw, default)
    if overrides:
        unknown = set(overrides) - set(DEFAULTS) - set(_FLASK_PASSTHROUGH)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values.update(overrides)
    _validate(values)
    return values


# Flask's own keys that tests may set directly.
_FLASK_PASSTHROUGH = {"TESTING", "SERVER_NAME", "PREFERRED_URL_SCHEME"}


def _validate(values: dict[str, Any]) -> None:
    env = values["ENV"]
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"LMS_ENV must be production, development or testing, not {env!r}")
    if env == "production" and not values["SECRET_KEY"]:
        raise ConfigError(
            "LMS_SECRET_KEY is required in production: set it to a long random string, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if str(values["LOG_LEVEL"]).upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("LMS_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    values["LOG_LEVEL"] = str(values["LOG_LEVEL"]).upper()
    if values["DEFAULT_LOCALE"] not in {"id", "en"}:
        raise ConfigError("LMS_DEFAULT_LOCALE must be 'id' or 'en'")
    if values["SMTP_SECURITY"] not in {"none", "starttls", "ssl"}:
        raise ConfigError("LMS_SMTP_SECURITY must be none, starttls or ssl")
    if env == "production" and values["SMTP_HOST"] and not values["BASE_URL"]:
        raise ConfigError("LMS_BASE_URL is required when LMS_SMTP_HOST is set: links in e-mail need the site's address")
    if not isinstance(values["DIGEST_HOUR"], int) or not 0 <= values["DIGEST_HOUR"] <= 23:
        raise ConfigError("LMS_DIGEST_HOUR must be an hour of the day, 0 to 23 (in LMS_DEFAULT_TIMEZONE)")
    if not isinstance(values["PLUGINS"], list) or not all(isinstance(p, str) for p in values["PLUGINS"]):
        raise ConfigError("LMS_PLUGINS must be a JSON list of plugin names, e.g. '[\"benchmarking\"]'")


def ratelimit_storage(values: dict[str, Any]) -> str:
    """The rate-limit storage URL: the explicit one, else the shared Redis, else this process's memory."""
    return values["RATELIMIT_STORAGE_URI"] or values["REDIS_URL"] or "memory://"


def multinode_problems(values: dict[str, Any]) -> list[str]:
    """What keeps state inside one process or machine although LMS_NODES says several serve the site.

    Each line names the setting to change; empty when LMS_NODES is 1 or everything is shared.
    """
    if values["NODES"] <= 1:
        return []
    problems = []
    if ratelimit_storage(values).startswith("memory"):
        problems.append(
            "login rate limits are counted per process: set LMS_REDIS_URL (or LMS_RATELIMIT_STORAGE_URI) to a Redis every node reaches"
        )
    if not values["DATABASE_URL"] or values["DATABASE_URL"].startswith("sqlite"):
        problems.append(
            "the database is an SQLite file on one machine: set LMS_DATABASE_URL to PostgreSQL (postgresql+psycopg://...)"
        )
    if not values["REDIS_URL"]:
        problems.append(
            "the job queue is embedded (SQLite on this machine): set LMS_REDIS_URL so that every node and consumer shares it"
        )
    if not values["UPLOAD_DIR_SHARED"]:
        problems.append(
            "uploads and exports are kept in a local folder: mount one shared folder on every node as LMS_UPLOAD_DIR, then set LMS_UPLOAD_DIR_SHARED=true"
        )
    return problems


def flask_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Translate Tolok settings into the keys Flask and its extensions read."""
    relaxed = values["ENV"] in {"development", "testing"}
    secret = values["SECRET_KEY"] or ("dev-only-not-secret" if relaxed else None)
    secure = values["SECURE_COOKIES"] and not relaxed
    return {
        "SECRET_KEY": secret,
        "TESTING": values.get("TESTING", values["ENV"] == "testing"),
        "MAX_CONTENT_LENGTH": values["MAX_CONTENT_LENGTH"],
        "MAX_FORM_MEMORY_SIZE": values["MAX_FORM_MEMORY_SIZE"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": timedelta(days=values["REMEMBER_DAYS"]),
        "WTF_CSRF_ENABLED": values["CSRF_ENABLED"],
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": values["DEFAULT_LOCALE"],
        "BABEL_DEFAULT_TIMEZONE": values["DEFAULT_TIMEZONE"],
        "RATELIMIT_STORAGE_URI": ratelimit_storage(values),
        "RATELIMIT_ENABLED": values["RATELIMIT_ENABLED"],
        # Redis gone: count in this process for a while rather than answer 500 on every login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if ratelimit_storage(values).startswith("redis") else {}
        ),
    }
