"""Paths to endpoints without a request: jobs, e-mail and notifications build links too."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for


def path_for(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` inside the app (``/assessments/7``), with or without a request."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def fixed_url(endpoint: str, filename: str | None = None) -> str:
    """``url_for(endpoint)`` (or a static file's) for an address that never changes while the app
    runs — the menu's, the footer's, the stylesheets' — built once per app and script root instead
    of on every page (a dozen on each; Werkzeug's builder costs more than the rest of the menu)."""
    kept: dict[tuple[str, str, str | None], str] = current_app.extensions.setdefault("lms.fixed_urls", {})
    key = (request.script_root, endpoint, filename)
    found = kept.get(key)
    if found is None:
        found = kept[key] = url_for(endpoint, filename=filename) if filename is not None else url_for(endpoint)
    return found


# Longest address a page hands back to itself (a form's "next", the login's return): a query of
# 200,000 characters must not be echoed into every page or a Location header.
HERE_LIMIT = 2000


def here() -> str:
    """The current page's path with its query, to come back to after a form or a login; only the
    path when the whole is longer than :data:`HERE_LIMIT`."""
    if request.query_string and len(request.query_string) < HERE_LIMIT - len(request.path):
        return request.full_path
    return request.path
