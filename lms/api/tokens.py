"""Bearer-token access for /api/v1: the decorator every API endpoint declares its rule with, and
the blueprint the core and plugins build their API endpoints on (no cookies, no CSRF, JSON errors).

Plugins reach these through :mod:`lms.plugins.api`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from lms import db
from lms.api import services
from lms.core import access
from lms.core.errors import problem
from lms.core.timezones import now_utc
from lms.extensions import csrf

PREFIX = "/api/v1"

F = TypeVar("F", bound=Callable[..., Any])


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_required(rule: str, load: type | None = None, arg: str | None = None) -> Callable[[F], F]:
    """The API's :func:`lms.core.access.require`: the user comes from the bearer token.

    The user is set for this request only (Flask-Login's ``g._login_user``): no session, no cookie.
    With ``load=Model`` the view argument ``<arg>`` is replaced by the object (404 when unknown).
    """
    # Both are read only when ``load`` is given.
    param = arg or (f"{access.snake(load.__name__)}_id" if load else "")
    target = param[:-3] if param.endswith("_id") else ""

    def deco(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            secret = _bearer()
            if secret is None:
                return problem(401, "missing_token", _("Send an API token: Authorization: Bearer <token>."))
            user = services.authenticate(db.session, secret, now_utc())
            if user is None:
                db.session.rollback()
                return problem(401, "invalid_token", _("The API token is unknown or revoked."))
            # last_used_at (written at most every few minutes) is kept even when the answer is a 403 or
            # 404, which the request's own commit would roll back.
            db.session.commit()
            g._login_user = user
            obj = None
            if load is not None:
                obj = db.session.get(load, kwargs.pop(param))
                if obj is None:
                    return problem(404, "not_found", _("Nothing with this id exists."))
                kwargs[target] = obj
            if not access.can(user, rule, obj):
                return problem(403, "forbidden", _("Your account may not see this."))
            g.no_store = True
            return view(*args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def _http_error(exc: HTTPException) -> Any:
    return problem(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")


def _vary(response: Any) -> Any:
    response.headers.add("Vary", "Authorization")
    return response


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1: exempt from CSRF (a browser's cookies never authenticate a call
    here: every endpoint takes :func:`token_required`), HTTP errors as JSON problems, ``Vary:
    Authorization`` on every answer."""
    bp = Blueprint(name, import_name, url_prefix=PREFIX)
    csrf.exempt(bp)
    bp.register_error_handler(HTTPException, _http_error)
    bp.after_request(_vary)
    return bp
