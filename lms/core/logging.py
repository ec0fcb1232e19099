"""Structured logs: one JSON line per request and per security event, to stderr.

Records go through the stdlib ``logging`` tree under the app's logger ``lms`` (so Flask's own
"Exception on /path" records come out as JSON too): ``lms.request`` has one record per request,
``lms.security`` one per security event. Every record made during a request carries its request id,
which the response returns in ``X-Request-ID`` and the error page shows for people to quote.

Never pass a password, token, NIP or e-mail as a field: :func:`security` drops fields whose names
say they hold one, as a second line of defence.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

REQUEST = logging.getLogger("lms.request")
SECURITY = logging.getLogger("lms.security")

# An incoming X-Request-ID (from the proxy) is kept when it looks like an id; anything else is replaced.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_SECRET_FIELD = re.compile(r"password|secret|token$|^token|nip|email|cookie", re.I)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_PENDING = "lms_pending_events"


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: time, level, logger, event, request id, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            data["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.lms_json = True

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def current_request_id() -> str | None:
    """This request's id (taken from a sane ``X-Request-ID`` or made up), or None outside a request."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get("X-Request-ID", "")
        rid = g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
    return rid


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k in {"tokens_revoked", "token_id"} or not _SECRET_FIELD.search(k)}


def security(name: str, **fields: Any) -> None:
    """Log a security event now; during a request with the acting user, address and path."""
    extra = _clean(fields)
    if has_request_context():
        extra.setdefault("request_id", current_request_id())
        extra.setdefault("user_id", _user_id())
        extra.setdefault("ip", request.remote_addr)
        extra.setdefault("path", request.path)
    SECURITY.info(name, extra=extra)


def security_on_commit(session: Session, name: str, **fields: Any) -> None:
    """Log a security event when ``session`` commits (never for work that is rolled back).

    Services use this: they flush, the caller commits, and only what was saved is logged.
    """
    session.info.setdefault(_PENDING, []).append((name, fields))


@event.listens_for(Session, "after_commit")
def _emit_pending(session: Session) -> None:
    for name, fields in session.info.pop(_PENDING, []):
        security(name, **fields)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _user_id() -> int | None:
    # Only a user already loaded for this request: logging must not cost a query (static files).
    user = g.get("_login_user")
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def init_app(app: Flask) -> None:
    """JSON lines to stderr on the ``lms`` logger, a request id and a record for every request."""
    logger = logging.getLogger("lms")
    if not any(getattr(h, "lms_json", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])

    def start() -> None:
        g.request_started = time.perf_counter()
        current_request_id()

    # First of all before-request functions, so that a request another one answers early (a rate
    # limit) still has its start time and id.
    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def _log_request(response: Any) -> Any:
        rid = current_request_id()
        response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        if response.status_code == 403:
            security("access.refused", endpoint=request.endpoint)
        REQUEST.info(
            "request",
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": _user_id(),
                "ip": request.remote_addr,
            },
        )
        return response

    app.jinja_env.globals["request_id"] = current_request_id
