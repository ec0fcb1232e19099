"""Input refused before any view runs, and the database's own refusals turned into clear answers.

One place for what every endpoint would otherwise get wrong on its own:

- a NUL character in the path, a query or form value (or name), a JSON string or an upload's file
  name: PostgreSQL cannot store it in text and answered 500; it is a 400 with a message now;
- ids in URLs: ``<int:...>`` matches only what fits the database's 32-bit integer columns, so
  ``/cohorts/2147483648`` is a 404 instead of an out-of-range error on PostgreSQL;
- the database's own refusals (``IntegrityError``, ``DataError``) are answered by
  :mod:`lms.core.transaction`, with every other refusal;
- nothing under ``/api/v1`` sets a session cookie: the API authenticates by bearer token only.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from lms.core.errors import is_api_request

# The largest id an INTEGER primary key holds on PostgreSQL (and what SQLite is asked to hold too).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only numbers an INTEGER column can hold; a larger one is a 404."""

    def __init__(
        self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Refused(BadRequest):
    """A 400 whose description is a message for people, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class _NoCookiesForTheApi(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if is_api_request():
            return
        super().save_session(app, session, response)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul() -> None:
    if "\x00" in request.path or _has_nul(list(request.args.items(multi=True))):
        raise Refused(_("The address contains a NUL character (\\0), which is not allowed."))
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if _has_nul(list(request.form.items(multi=True))) or any(
        _has_nul(f.filename or "") for f in request.files.values()
    ):
        raise Refused(
            _("The form contains a NUL character (\\0), which is not allowed in text. Remove it and try again.")
        )
    if request.is_json and _has_nul(request.get_json(silent=True)):
        raise Refused(_("The request contains a NUL character (\\0), which is not allowed in text."))


def init_app(app: Flask) -> None:
    """Install the converter, the NUL check and the API cookie rule.

    Call before any blueprint is registered (rules pick their converters when added).
    """
    app.url_map.converters["int"] = BoundedIntConverter
    app.session_interface = _NoCookiesForTheApi()
    app.before_request(_refuse_nul)


def user_message(exc: HTTPException) -> str | None:
    return getattr(exc, "user_message", None)
