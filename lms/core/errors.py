"""Domain errors: a service refuses with a message in the user's language; the view shows it."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, jsonify, request


class DomainError(Exception):
    """A rule of the domain refused the action; nothing was changed.

    ``field`` names the form field the message belongs to, when there is one; ``status`` is the
    HTTP status a view answers with (422 for invalid input, 409 for a conflict with the stored state).
    """

    status = 422

    def __init__(self, message: Any, field: str | None = None, status: int | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class Conflict(DomainError):
    status = 409


def attach(form: Any, error: DomainError) -> bool:
    """Put the error under its field in ``form``; False when the form has no such field."""
    if error.field and hasattr(form, error.field):
        field = getattr(form, error.field)
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
        return True
    return False


API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    """True for a request under the JSON API, whose every answer, errors included, is JSON."""

    return has_request_context() and (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"))


def problem(status: int, error: str, message: Any) -> Any:
    """The API's problem document: ``{"error": <code>, "message": <text for people>}``."""

    response = jsonify(error=error, message=str(message))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tolok"' + (
            ', error="invalid_token"' if error == "invalid_token" else ""
        )
    return response
