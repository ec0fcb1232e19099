"""The inbox (with the bell in the header), marking read, and each person's delivery choices."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.cohorts.models import Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import now_utc
from lms.core.views import act, on_refusal
from lms.notifications import (
    services,
    tasks,  # noqa: F401  (registers the mail, digest and reminder tasks)
)
from lms.notifications.delivery import show
from lms.notifications.kinds import all_kinds
from lms.notifications.models import Delivery, Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")


def unread_count() -> int:
    """The bell's number for the current user: one query per page, none for visitors."""
    if not current_user.is_authenticated:
        return 0
    if "_lms_unread" not in g:
        g._lms_unread = services.unread_count(db.session, current_user.id)
    return g._lms_unread


@bp.route("/")
@require("authenticated")
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = paginate(
        db.session,
        services.inbox(current_user.id, unread_only),
        page_arg(request.args),
        current_app.config["PAGE_SIZE"],
    )
    kinds = all_kinds()
    items = [show(n, kinds) for n in page.items]
    return render_template("notifications/inbox.html", page=page, items=items, unread_only=unread_only)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@require("notification.own", load=Notification)
def open_(notification: Notification):
    """Mark read and go where it points (a path inside the app, checked when it was created)."""
    target = (
        notification.link
        if notification.link.startswith("/") and not notification.link.startswith("//")
        else url_for("notifications.inbox")
    )
    return act(
        lambda: services.mark_read(db.session, notification, current_user, now_utc()),
        back=url_for("notifications.inbox"),
        done=target,
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
@require("notification.own", load=Notification)
def read(notification: Notification):
    return act(lambda: services.mark_read(db.session, notification, current_user, now_utc()), back=_back())


@bp.route("/read-all", methods=["POST"])
@require("authenticated")
def read_all():
    return act(
        lambda: services.mark_all_read(db.session, current_user, now_utc()),
        back=_back(),
        message=_("All notifications are marked read."),
    )


def _back() -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/notifications") else url_for("notifications.inbox")


def _is_staff() -> bool:
    return bool(
        current_user.is_admin
        or current_user.is_manager
        or cohort_ids_with(current_user, Role.INSTRUCTOR, Role.COORDINATOR)
    )


@bp.route("/preferences", methods=["GET", "POST"])
@require("authenticated")
def preferences():
    kinds = services.kinds_for(current_user, _is_staff())
    chosen = services.choices_of(db.session, current_user)

    def page(status: int = 200) -> Any:
        return render_template(
            "notifications/preferences.html",
            kinds=kinds,
            chosen=chosen,
            form=Form(),
            deliveries=[
                (Delivery.IMMEDIATE, _("Immediately")),
                (Delivery.DIGEST, _("Daily digest")),
                (Delivery.OFF, _("Off (inbox only)")),
            ],
        ), status

    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)
        submitted = {kind.key: request.form[f"kind-{kind.key}"] for kind in kinds if f"kind-{kind.key}" in request.form}

        def refused(error: DomainError) -> Any:
            flash(error.message, "danger")
            chosen.update({k: v for k, v in submitted.items() if v in {d.value for d in Delivery}})
            return page(error.status)

        on_refusal(refused)
        services.set_preferences(db.session, current_user, submitted)
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return page()
