"""The request owns the transaction, and one handler answers every refusal.

- A view never commits. When it returns a response below 400 (a page, a redirect after a flash, a
  file), :func:`_commit` commits before the response leaves; an error status, an exception, or a
  refusal rolls back. The teardown removes the session, so nothing uncommitted survives a request.
- A streamed body runs after the commit: it may read, never write.
- Work that must wait for the commit (discarding files, e-mail) is registered with
  :func:`after_commit`; background tasks use :func:`lms.jobs.queue.enqueue`, which waits by itself.
- A service refuses by raising :class:`~lms.core.errors.DomainError`; the database refuses with an
  ``IntegrityError`` (two creates of one unique name), a ``StaleDataError`` (a versioned row saved
  twice at once) or a ``DataError`` (a value out of range). :func:`answer_refusal` turns each, after
  the rollback, into what the view declared (:func:`form_page`, :func:`refuse_to`, :func:`on_refusal`),
  else the API's problem JSON under /api/v1, a JSON answer to a JSON request, or the error page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, flash, g, redirect, render_template, request, session
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from lms import db
from lms.core.errors import DomainError, attach, is_api_request, problem

Answer = Callable[[int, Any, str], Any]
_REFUSAL = "_lms_on_refusal"
_READS_ONLY = "lms_reads_only"
_AFTER_COMMIT = "_lms_after_commit"


class DatabaseRefused(DomainError):
    """A refusal that came from the database rather than from a service's rule."""

    def __init__(self, message: Any, status: int, code: str) -> None:
        super().__init__(message, status=status)
        self.code = code


def _as_refusal(exc: Exception) -> DomainError:
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DataError):
        return DatabaseRefused(
            _("A value is too long or out of range. Check the numbers, dates and lengths you entered and try again."),
            400,
            "bad_value",
        )
    return DatabaseRefused(
        _(
            "This was saved at the same moment by someone else, or something with the same "
            "name already exists. Reload the page to see what is stored, then try again."
        ),
        409,
        "conflict",
    )


# -- what a view declares ------------------------------------------------------------------------


def on_refusal(answer: Callable[[DomainError], Any]) -> None:
    """Declare how this request answers a refusal: ``answer(error)`` runs after the rollback."""
    setattr(g, _REFUSAL, answer)


def refuse_to(back: str, category: str = "danger") -> None:
    """A refusal in this request flashes its message and goes back to ``back`` (303)."""

    def answer(error: DomainError) -> Any:
        flash(error.message, category)
        return redirect(back, code=303)

    on_refusal(answer)


class FormPage:
    """A form's page: rendered with 422 while the form has errors, and re-rendered with a refusal's
    message under its field (or flashed) and the refusal's status, keeping what was typed."""

    def __init__(self, form: Any, template: str, context: dict[str, Any]) -> None:
        self.form = form
        self.template = template
        self.context = context

    def __call__(self, status: int | None = None, **extra: Any) -> tuple[str, int]:
        if status is None:
            status = 422 if self.form.errors else 200
        return render_template(self.template, form=self.form, **{**self.context, **extra}), status

    def refused(self, error: DomainError) -> tuple[str, int]:
        if not attach(self.form, error):
            flash(error.message, "danger")
        return self(error.status)


def form_page(form: Any, template: str, **context: Any) -> FormPage:
    """Declare the form page of this request (see :class:`FormPage`); ``return page()`` renders it."""
    page = FormPage(form, template, context)
    on_refusal(page.refused)
    return page


def reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a view that only reads: its GET runs without a transaction (:meth:`Database.read_only`:
    no BEGIN and COMMIT round trips), and a write in it fails loudly instead of committing half-way.
    For the pages everyone opens all day (the dashboard); a page that refreshes stored rows on the
    way (the results page) is not one."""
    setattr(view, _READS_ONLY, True)
    return view


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once this request's transaction is committed; never when it rolls back."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


# -- the handler and the commit ------------------------------------------------------------------


def _drop_success_flashes() -> None:
    flashes = session.get("_flashes")
    if flashes:
        session["_flashes"] = [(category, text) for category, text in flashes if category != "success"]


def answer_refusal(exc: Exception, answer: Answer) -> Any:
    """Roll back and answer ``exc`` (a domain or database refusal) the way the request declared."""
    db.session.rollback()
    g.pop(_AFTER_COMMIT, None)
    error = _as_refusal(exc)
    if is_api_request():
        return problem(error.status, getattr(error, "code", "refused"), error.message)
    declared = g.pop(_REFUSAL, None)
    if declared is not None:
        return declared(error)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return problem(error.status, "refused", error.message)
    return answer(error.status, str(error.message), getattr(error, "code", "refused"))


def init_app(app: Flask, answer: Answer) -> None:
    """Install the one refusal handler and the per-request commit.

    ``answer(code, message, error)`` renders the app's error page (the API's problem JSON under
    /api/v1). Register after every other ``after_request`` function, so that it runs first: the
    logging and security headers then see the answer a failed commit turned into.
    """
    for exc_type in (DomainError, IntegrityError, StaleDataError, DataError):
        app.register_error_handler(exc_type, lambda exc: answer_refusal(exc, answer))

    def _begin() -> None:
        if request.method in {"GET", "HEAD"}:
            view = app.view_functions.get(request.endpoint or "")
            if view is not None and getattr(view, _READS_ONLY, False):
                app.extensions["lms.db"].read_only()

    # First of the before_request functions: the session is new, nothing has read through it yet.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)

    @app.after_request
    def _commit(response: Any) -> Any:
        database = app.extensions["lms.db"]
        if not database.session.registry.has():
            return response
        if database.session().info.get(db.READ_ONLY) and _AFTER_COMMIT not in g:
            # Nothing to commit (a write would have raised): the teardown hands the connection back.
            return response
        if response.status_code >= 400:
            database.session.rollback()
            return response
        try:
            database.session.commit()
        except (IntegrityError, StaleDataError, DataError) as exc:
            _drop_success_flashes()
            return app.make_response(answer_refusal(exc, answer))
        for callback in g.pop(_AFTER_COMMIT, []):
            callback()
        return response
