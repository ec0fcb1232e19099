"""The application factory: config -> extensions -> core blueprints -> plugins -> CLI."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import config as config_module
from lms import db
from lms.core import access, i18n
from lms.core.urls import fixed_url, here
from lms.extensions import babel, csrf, limiter, login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Tolok app; ``config`` overrides settings read from ``LMS_*`` variables."""
    import lms.models  # noqa: F401  (every core table on the metadata before anything queries)

    values = config_module.load(config)
    app = Flask("lms", instance_relative_config=True)
    app.config.update(values)
    app.config.update(config_module.flask_settings(values))
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "lms.sqlite3")
    if not app.config["UPLOAD_DIR"]:
        app.config["UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]

    db.init_app(app, app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])
    from lms.ops import metrics

    metrics.init_app(app)  # first, so that its clock starts before any other before_request
    _init_extensions(app)
    _register_input_guards(app)
    _register_blueprints(app)
    from lms.plugins.manager import init_plugins

    pm = init_plugins(app)
    _register_access_rules(app, pm)
    _register_pdf(app)
    from lms.notifications.kinds import all_kinds

    all_kinds(app)  # a plugin kind clashing with another fails here, at start-up
    _register_errors(app)
    _register_template_helpers(app)
    _register_security(app)
    _register_logging(app)
    _register_transaction(app)
    import lms.mail.services  # noqa: F401  (registers the task mail.send)
    from lms import cli
    from lms.jobs import queue

    cli.init_app(app)
    queue.init_app(app)  # last: every module that registers a background task is imported by now
    access.check_endpoints(app)
    return app


def _register_pdf(app: Flask) -> None:
    from lms.core import pdf

    pdf.init_app(app, load_weasyprint)  # after the plugins: their static folders are the fetcher's too


def load_weasyprint() -> ModuleType:
    """WeasyPrint for :mod:`lms.core.pdf`, imported when the first PDF is made, not at start-up:
    its import would add about a second to every web worker, CLI command and test run (docs/pdf.md).
    Module-level, so that a renderer in another process (the results PDF's pool) can name it."""
    import weasyprint
    import weasyprint.text.fonts
    import weasyprint.urls

    return weasyprint


def _register_access_rules(app: Flask, pm: Any) -> None:
    """Each core package's rules.py joins the app's plugin manager, like a plugin, and the app's
    rules are what the enabled packages and plugins answer to ``lms_access_rules``."""
    from lms.api import rules as api_rules
    from lms.assessments import rules as assessments_rules
    from lms.attendance import rules as attendance_rules
    from lms.certificates import rules as certificates_rules
    from lms.cohorts import rules as cohorts_rules
    from lms.grading import rules as grading_rules
    from lms.jobs import rules as jobs_rules
    from lms.notifications import rules as notifications_rules
    from lms.ops import rules as ops_rules
    from lms.results import rules as results_rules
    from lms.rubrics import rules as rubrics_rules
    from lms.scoresheets import rules as scoresheets_rules
    from lms.users import rules as users_rules

    for module in (
        cohorts_rules,
        users_rules,
        rubrics_rules,
        assessments_rules,
        grading_rules,
        results_rules,
        api_rules,
        jobs_rules,
        notifications_rules,
        ops_rules,
        attendance_rules,
        scoresheets_rules,
        certificates_rules,
    ):
        pm.register(module, name=module.__name__)
    access.init_app(app, pm.hook.lms_access_rules())


def _init_extensions(app: Flask) -> None:
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import lazyload

    from lms.notifications.services import remember_unread, unread_of
    from lms.users.models import User

    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: app.config["DEFAULT_TIMEZONE"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        # Autosave and other background calls get JSON, so the page can say "log in again"
        # instead of swallowing a login page; people get the login page with a way back.
        from flask import flash, jsonify
        from flask_babel import gettext

        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(
                error="login",
                message=gettext(
                    "Your session has ended. Log in again in another tab; your text is kept on this device."
                ),
            ), 401
        flash(gettext("Please log in to open this page."), "info")
        return redirect(url_for("auth.login", next=here()))

    # Every request loads its user: without the profile, which few pages show (they load it on
    # first use; a list of users still loads theirs in one query), and with the bell's count of
    # unread notifications, which every page shows. One statement, built once.
    load_user = select(User, unread_of(User.id)).where(User.id == bindparam("user_id")).options(lazyload(User.profile))

    @login_manager.user_loader
    def _load_user(token: str) -> User | None:
        user_id, _, session_token = token.partition(":")
        if not (user_id.isascii() and user_id.isdigit()):
            return None
        row = db.session.execute(load_user, {"user_id": int(user_id)}).one_or_none()
        if row is None or row[0].session_token != session_token:
            return None
        remember_unread(db.session, row[0].id, row[1])
        return row[0]


def _select_locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI commands and background work speak the default language
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in {"id", "en"}:
        return chosen
    return current_app.config["DEFAULT_LOCALE"]


def _register_blueprints(app: Flask) -> None:
    from lms.api.views import bp as api_bp
    from lms.assessments.views import bp as assessments_bp
    from lms.attendance.views import bp as attendance_bp
    from lms.auth.views import bp as auth_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.grading.views import bp as grading_bp
    from lms.home.views import bp as home_bp
    from lms.invitations.views import bp as invitations_bp
    from lms.jobs.views import bp as jobs_bp
    from lms.notifications.views import bp as notifications_bp
    from lms.ops.views import bp as ops_bp
    from lms.results.definition_views import bp as results_definitions_bp
    from lms.results.views import bp as results_bp
    from lms.rubrics.views import bp as rubrics_bp
    from lms.scoresheets.views import bp as scoresheets_bp
    from lms.users.views import bp as users_bp

    for bp in (
        auth_bp,
        home_bp,
        users_bp,
        cohorts_bp,
        assessments_bp,
        grading_bp,
        rubrics_bp,
        results_bp,
        jobs_bp,
        invitations_bp,
        api_bp,
        ops_bp,
        notifications_bp,
        attendance_bp,
        results_definitions_bp,
        scoresheets_bp,
        certificates_bp,
    ):
        app.register_blueprint(bp)


def _register_errors(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    for code in (400, 403, 404, 405, 409, 413, 422, 429):
        app.register_error_handler(code, lambda e, code=code: _answer_http(code, e))

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> Any:
        return _answer(400, "csrf", "csrf_failed")

    @app.errorhandler(500)
    def _server_error(e: Exception) -> Any:
        db.session.rollback()
        return _answer(500, None, "internal_server_error")


def _answer_http(code: int, exc: Any) -> Any:
    from lms.core.bad_input import user_message

    headers = [(k, v) for k, v in exc.get_headers() if k.lower() == "allow"] if hasattr(exc, "get_headers") else []
    return _answer(
        code,
        user_message(exc),
        (getattr(exc, "name", "") or "error").lower().replace(" ", "_"),
        headers,
        api_message=getattr(exc, "description", None),
    )


def _answer(
    code: int,
    message: str | None,
    error: str,
    headers: list[tuple[str, str]] | None = None,
    api_message: str | None = None,
) -> Any:
    """One refusal, two forms: the error page, or under /api/v1 the API's problem JSON (never HTML)."""
    from flask import make_response, render_template

    from lms.core.errors import is_api_request, problem

    if is_api_request():
        response = problem(code, error, message if message and message != "csrf" else (api_message or error))
    else:
        response = make_response(render_template("errors/error.html", code=code, description=message), code)
    for key, value in headers or []:
        response.headers[key] = value
    return response


def _register_input_guards(app: Flask) -> None:
    from lms.core import bad_input

    bad_input.init_app(app)


def _register_transaction(app: Flask) -> None:
    from lms.core import transaction

    # Last of the after_request functions, so it runs first: the others see what a failed commit answers.
    transaction.init_app(app, lambda code, message, error: _answer(code, message, error))


def _register_template_helpers(app: Flask) -> None:
    from lms.cohorts.services import role_label, status_label
    from lms.core import markdown, nav, numbers
    from lms.core.civil_service import GOLONGAN, format_nip
    from lms.notifications.views import unread_count

    app.jinja_env.filters["nip"] = format_nip
    app.jinja_env.filters["pangkat"] = lambda code: GOLONGAN.get(code or "", "")
    app.jinja_env.filters["datetime"] = numbers.format_datetime
    app.jinja_env.filters["from_now"] = numbers.format_from_now
    # One formatter per locale and pattern per request: Babel's format_decimal per cell was half of a big table's time.
    app.jinja_env.filters["number"] = numbers.format_number
    app.jinja_env.filters["score"] = numbers.format_score
    app.jinja_env.filters["date_id"] = numbers.format_date
    app.jinja_env.filters["markdown"] = markdown.render
    app.jinja_env.globals["nav_items"] = nav.items_for
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["here"] = here
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["can"] = lambda rule, obj=None: _can(rule, obj)
    app.jinja_env.globals["unread_notifications"] = unread_count
    # Templates call _() some sixty times a page: the catalogue is looked up once per request, and
    # _() is one template call instead of three (lms/core/i18n.py).
    i18n.install(app, babel)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale())}


def _can(rule: str, obj: Any) -> bool:
    from lms.core.access import can

    return can(current_user, rule, obj)


def _register_security(app: Flask) -> None:
    exempt = {"auth.logout", "auth.change_password", "static"}

    @app.before_request
    def _force_password_change() -> Any:
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in exempt
            and not (request.endpoint or "").endswith(".static")
        ):
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if getattr(g, "no_store", False) or _private(response):
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure and app.config["HSTS_MAX_AGE"]:
            # is_secure reads X-Forwarded-Proto through ProxyFix when PROXY_COUNT is set.
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains"
            )
        return response


def _private(response: Any) -> bool:
    """A response for a logged-in user (never a static file): browsers and proxies keep no copy,
    so the back button on a shared computer shows nothing after logout."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False
    return bool(current_user and current_user.is_authenticated)


def _register_logging(app: Flask) -> None:
    from lms.core import logging as logs

    logs.init_app(app)
