"""Probes for the proxy and the orchestrator, and metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify

from lms.core.access import require
from lms.ops import health, metrics

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@require("public")
def healthz():
    """The process answers; nothing else is asked (a restart would not cure a dead database)."""
    g.no_store = True
    return jsonify(status="ok", checks={})


@bp.route("/readyz")
@require("public")
def readyz():
    """May this node take traffic: database, migrations, storage, Redis and queue when configured."""
    g.no_store = True
    checks = health.run(current_app._get_current_object())  # type: ignore[attr-defined]
    ok = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ok else "fail", checks=checks), 200 if ok else 503


@bp.route("/metrics")
@require("ops.metrics")
def prometheus_metrics():
    g.no_store = True
    body = metrics.render(current_app._get_current_object())  # type: ignore[attr-defined]
    return Response(body, content_type=metrics.CONTENT_TYPE)
