"""Helpers that views share: answering a refused form, gathering plugin contributions."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template

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
