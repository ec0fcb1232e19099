"""Domain errors: a service refuses with a message in the user's language; the view shows it."""

from __future__ import annotations

from typing import Any


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
