"""Probes for the proxy and the orchestrator, and metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from lms.core.access import require
from lms.core.context import real_app
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
    checks = health.run(real_app())
    ok = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ok else "fail", checks=checks), 200 if ok else 503


@bp.route("/metrics")
@require("ops.metrics")
def prometheus_metrics():
    g.no_store = True
    body = metrics.render(real_app())
    return Response(body, content_type=metrics.CONTENT_TYPE)
