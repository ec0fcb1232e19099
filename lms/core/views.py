"""Helpers that views share: answering a refused form, gathering plugin contributions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template

from lms import db
from lms.core.errors import DomainError, attach


def refuse(form: Any, error: DomainError, template: str, **context: Any) -> tuple[str, int]:
    """Roll back, show the service's message under its field (or as a flash), keep what was typed."""
    db.session.rollback()
    if not attach(form, error):
        flash(error.message, "danger")
    return render_template(template, form=form, **context), error.status


def cohort_tabs(cohort: Any, user: Any) -> list[Any]:
    """The tabs enabled plugins add to a cohort's page, in order."""
    from lms.plugins.manager import get_plugin_manager

    tabs: list[Any] = []
    for contributed in get_plugin_manager(current_app).hook.lms_cohort_tabs(cohort=cohort, user=user):
        tabs.extend(contributed or [])
    return sorted(tabs, key=lambda t: (t.order, t.key))


def act(action: Callable[[], Any], *, back: str, done: str | None = None, message: Any = None,
        after_commit: Callable[[Any], None] | None = None) -> Any:
    """A button's POST: run one service call, commit, say so and go on; or roll back, say why and
    go back (303). CSRF is checked app-wide before any view runs."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(back, code=303)
    db.session.commit()
    if after_commit is not None:
        after_commit(result)
    if message:
        flash(message(result) if callable(message) else message, "success")
    return redirect(done or back)
