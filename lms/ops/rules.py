"""Who may read the operational endpoints."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import current_app, request

from lms.core.access import Rule, Rules
from lms.plugins import hookimpl

rules = Rules()


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def from_loopback() -> bool:
    """The caller is on this machine: both the TCP peer and, behind trusted proxies, the client
    they forwarded for.

    Behind nginx (LMS_PROXY_COUNT=1) the peer is always the proxy's 127.0.0.1; ProxyFix replaces
    ``remote_addr`` with the forwarded client, so a visitor from outside is not loopback while a
    scraper on the node itself, talking to gunicorn directly or through the local nginx, is.
    Requiring the peer too means a spoofed ``X-Forwarded-For: 127.0.0.1`` sent straight to an
    exposed gunicorn port never counts.
    """
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    return _is_loopback(request.remote_addr) and _is_loopback(original)


def bearer_token_matches(expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return (
        bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


@rules.rule("ops.metrics", anonymous=True)
def _read_metrics(user: Any, obj: Any) -> bool:
    """Prometheus scrapers: a caller on this machine, or ``Authorization: Bearer $LMS_METRICS_TOKEN``."""
    return from_loopback() or bearer_token_matches(current_app.config["METRICS_TOKEN"])


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
