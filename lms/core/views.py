"""Helpers that views share: a button's POST, gathering plugin contributions.

The request owns the transaction and one handler answers refusals (:mod:`lms.core.transaction`):
a view declares where a refusal goes (``form_page``, ``refuse_to``, ``act``) and never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect

from lms.core import transaction
from lms.core.transaction import after_commit, form_page, on_refusal, reads_only, refuse_to
from lms.plugins.manager import get_plugin_manager

__all__ = ["act", "after_commit", "cohort_tabs", "form_page", "on_refusal", "reads_only", "refuse_to"]


def cohort_tabs(cohort: Any, user: Any) -> list[Any]:
    """The tabs enabled plugins add to a cohort's page, in order."""

    tabs: list[Any] = []
    for contributed in get_plugin_manager(current_app).hook.lms_cohort_tabs(cohort=cohort, user=user):
        tabs.extend(contributed or [])
    return sorted(tabs, key=lambda t: (t.order, t.key))


def act(
    action: Callable[[], Any],
    *,
    back: str,
    done: str | None = None,
    message: Any = None,
    after_commit: Callable[[Any], None] | None = None,
) -> Any:
    """A button's POST: run one service call, say so and go on to ``done``; a refusal rolls back,
    says why and goes ``back`` (303). CSRF is checked app-wide before any view runs; the request
    commits once the redirect is returned, then ``after_commit(result)`` runs."""
    refuse_to(back)
    result = action()
    if after_commit is not None:
        transaction.after_commit(lambda: after_commit(result))
    if message:
        flash(message(result) if callable(message) else message, "success")
    return redirect(done or back)
