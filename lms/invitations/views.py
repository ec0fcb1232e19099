"""Getting in: invitation and reset links, "forgot password", activation codes and their sheet."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_user

from lms import db
from lms.auth.forms import CodeForm, ForgotPasswordForm, NewPasswordForm
from lms.cohorts.models import Cohort
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import int_or_none
from lms.core.views import act, form_page, on_refusal, refuse_to
from lms.extensions import limiter
from lms.invitations import services
from lms.invitations.sheet import render_codes_pdf
from lms.users.models import User

bp = Blueprint("invitations", __name__, template_folder="templates")


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _participants(cohort: Cohort) -> str:
    return url_for("cohorts.participants", cohort_id=cohort.id)


# -- staff: inviting, codes ------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/invitations", methods=["POST"])
@require("cohort.edit", load=Cohort)
def invite(cohort: Cohort):
    """Invite the ticked participants, or (scope=all) everyone of the cohort not yet active."""
    ids = (
        None
        if request.form.get("scope") == "all"
        else [i for i in (int_or_none(v) for v in request.form.getlist("user_ids")) if i is not None]
    )
    return act(
        lambda: services.invite(db.session, cohort, services.invitable(db.session, cohort, ids)),
        back=_participants(cohort),
        message=lambda n: ngettext("%(num)s invitation is being sent.", "%(num)s invitations are being sent.", n),
    )


@bp.route("/cohorts/<int:cohort_id>/activation-codes", methods=["POST"])
@require("cohort.edit", load=Cohort)
def activation_codes(cohort: Cohort):
    """A printable sheet with a new one-time code for each participant not yet active."""
    refuse_to(_participants(cohort))
    issued = services.issue_codes(db.session, cohort)
    pdf = render_codes_pdf(cohort, issued)  # the codes are committed only once their sheet is made
    g.no_store = True  # the codes are as good as passwords until used
    name = f"{cohort.program.code}_{cohort.name}_{cohort.year}_activation_codes.pdf".replace(" ", "_")
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)


@bp.route("/users/<int:user_id>/require-password-change", methods=["POST"])
@require("admin", load=User)
def require_password_change(user: User):
    back = url_for("users.show", user_id=user.id)
    return act(
        lambda: services.require_password_change(user),
        back=back,
        message=_("%(name)s must choose a new password at the next login.", name=user.name),
    )


# -- people: links, codes, forgot password -------------------------------------------------------------


def _choose(token: str, purpose: str, title: str):
    g.no_store = True
    try:
        user = services.user_for_token(db.session, token, purpose)
    except services.LinkRefused as refused:
        return render_template(
            "invitations/link_refused.html", message=refused.message, expired=refused.expired, form=ForgotPasswordForm()
        ), refused.status
    form = NewPasswordForm(min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=user.email, name=user.name)
    page = form_page(form, "invitations/choose.html", user=user, title=title)
    if form.validate_on_submit():
        user = services.choose_password(db.session, token, purpose, form.new.data)
        login_user(user, remember=False)
        flash(_("Your password is set. Welcome to Tolok!"), "success")
        return redirect(url_for("home.dashboard"))
    return page()


@bp.route("/activate/<token>", methods=["GET", "POST"])
@require("public")
@limiter.limit(_reset_limit, methods=["POST"])
def activate(token: str):
    return _choose(token, services.INVITATION, _("Set your password"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@require("public")
@limiter.limit(_reset_limit, methods=["POST"])
def reset(token: str):
    return _choose(token, services.RESET, _("Choose a new password"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@require("public")
@limiter.limit(_reset_limit, methods=["POST"])
def forgot():
    form = ForgotPasswordForm()
    page = form_page(form, "invitations/forgot.html")
    if form.validate_on_submit():
        services.request_reset(db.session, form.email.data)
        # The same words whether or not the address has an account.
        flash(
            _(
                "If an account uses this address, a link to choose a new password is on its way. "
                "Check your inbox (and spam folder) in a few minutes."
            ),
            "info",
        )
        return redirect(url_for("auth.login"), code=303)
    return page()


@bp.route("/activate", methods=["GET", "POST"])
@require("public")
@limiter.limit(_reset_limit, methods=["POST"])
def code():
    g.no_store = True
    form = CodeForm(min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    page = form_page(form, "invitations/code.html")

    def refused(error: DomainError) -> tuple[str, int]:
        form.new.data = form.confirm.data = ""  # a refused code never echoes the new password back
        return page.refused(error)

    on_refusal(refused)
    if form.validate_on_submit():
        user = services.redeem_code(db.session, form.code.data, form.new.data)
        login_user(user, remember=False)
        flash(_("Your password is set. Welcome to Tolok!"), "success")
        return redirect(url_for("home.dashboard"))
    return page()
