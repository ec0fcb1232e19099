"""Paths to endpoints without a request: jobs, e-mail and notifications build links too."""

from __future__ import annotations

from typing import Any

from flask import current_app


def path_for(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` inside the app (``/assessments/7``), with or without a request."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)
