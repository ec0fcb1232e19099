"""The objects behind Flask's context proxies, for work that outlives or leaves the request."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy


def real_app() -> Flask:
    """The app itself rather than the ``current_app`` proxy: threads, jobs and checks that run
    outside this context need the object (the proxy would look for a context they do not have)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
