"""Readiness checks: can this node serve? Database, migrations, storage, Redis, the job queue.

Each check is ``fn(app) -> None`` that raises when its part is unusable. They run in threads with
one deadline (``LMS_READY_TIMEOUT``) so that a dead PostgreSQL or Redis makes /readyz answer
"timeout" in about a second instead of hanging the probe.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import redis
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import text

from lms.cli import alembic_config, enabled_heads
from lms.config import ratelimit_storage
from lms.core.storage import atomic_write

Check = Callable[[Flask], None]
log = logging.getLogger(__name__)


class NotReady(Exception):
    """A check's own finding (not a crash): its message is the reason shown."""


def database(app: Flask) -> None:
    with app.extensions["lms.db"].engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def expected_heads(app: Flask) -> tuple[Any, set[str]]:
    """The migration scripts of this code and the heads this app needs: the core's and the enabled
    plugins' (a disabled plugin's branch stays where it is, as `flask db upgrade` leaves it). Cached:
    they do not change while the process runs."""
    cached = app.extensions.get("lms.script_heads")
    if cached is None:
        config = alembic_config(app)
        script = ScriptDirectory.from_config(config)
        cached = app.extensions["lms.script_heads"] = (script, set(enabled_heads(app, config)))
    return cached


def migrations(app: Flask) -> None:
    """The database is at this code's heads (or ahead of them: during a rolling upgrade the new
    migrations run first, and the old nodes keep serving until they are replaced)."""

    script, heads = expected_heads(app)
    with app.extensions["lms.db"].engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        raise NotReady("no migrations applied: run `flask db upgrade`")
    unknown = set()
    for rev in current:
        try:
            script.get_revision(rev)
        except CommandError:
            unknown.add(rev)
    missing = heads - current
    if missing and not unknown:
        raise NotReady(f"behind: run `flask db upgrade` (at {', '.join(sorted(current))})")


def storage(app: Flask) -> None:
    """The upload folder takes a file (a stale or read-only shared mount fails here)."""

    folder = app.config["UPLOAD_DIR"]
    os.makedirs(folder, exist_ok=True)
    probe = os.path.join(folder, f".readyz-{uuid.uuid4().hex}")
    with atomic_write(probe) as handle:  # the uploads' own write path: temporary name, fsync, rename
        handle.write(b"ok")
    os.remove(probe)


def queue(app: Flask) -> None:
    """The job queue's store (the SQLite file, or Redis) answers."""
    app.extensions["lms.jobs"].huey.pending_count()


def redis_client(app: Flask, url: str) -> Any:
    """One client per app and URL, with short timeouts: a probe must not hang on a dead Redis."""

    clients = app.extensions.setdefault("lms.redis_probes", {})
    if url not in clients:
        timeout = app.config["READY_TIMEOUT"]
        clients[url] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return clients[url]


def redis_ping(url: str) -> Check:
    def check(app: Flask) -> None:
        redis_client(app, url).ping()

    return check


def checks_for(app: Flask) -> dict[str, Check]:
    found: dict[str, Check] = {"database": database, "migrations": migrations, "storage": storage}
    if app.config["REDIS_URL"]:
        found["redis"] = redis_ping(app.config["REDIS_URL"])
    limits = ratelimit_storage(app.config)
    if limits.startswith("redis") and limits != app.config["REDIS_URL"]:
        found["ratelimit"] = redis_ping(limits)
    if "lms.jobs" in app.extensions:
        found["queue"] = queue
    return found


def _reason(exc: BaseException) -> str:
    # The reason is public (load balancers read it): the kind of failure, never hostnames or
    # credentials from a driver's message; the full error goes to the log.
    if isinstance(exc, NotReady):
        return str(exc)
    return f"unavailable ({type(exc).__name__})"


def run(app: Flask, timeout: float | None = None) -> dict[str, str]:
    """Every check's answer, "ok" or a short reason, within ``timeout`` seconds."""
    timeout = app.config["READY_TIMEOUT"] if timeout is None else timeout
    expected_heads(app)  # read the scripts once, outside the deadline
    checks = checks_for(app)
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: pool.submit(check, app) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = f"timeout after {timeout:g} s"
            log.warning("readiness check %s timed out", name)
        elif future.exception() is not None:
            exc = future.exception()
            results[name] = _reason(exc)  # type: ignore[arg-type]
            log.warning("readiness check %s failed: %r", name, exc)
        else:
            results[name] = "ok"
    return results
