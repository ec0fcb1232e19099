"""Accounts: the admin's user list, one's own account page and a person's profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.api import services as api_services
from lms.api.forms import TokenForm
from lms.api.models import ApiToken
from lms.cohorts import queries as cohort_queries
from lms.core.access import require
from lms.core.errors import DomainError, attach
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import now_utc
from lms.core.views import act, form_page, on_refusal, refuse_to
from lms.users import services
from lms.users.forms import UserForm
from lms.users.models import User

bp = Blueprint("users", __name__, template_folder="templates")


@bp.route("/admin/users")
@require("admin")
def index():
    query = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    page = paginate(
        db.session, services.search_users(query, role), page_arg(request.args), current_app.config["PAGE_SIZE"]
    )
    return render_template("users/index.html", page=page, q=query, role=role)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("admin")
def create():
    form = UserForm()
    page = form_page(form, "users/form.html", user=None)
    if form.validate_on_submit():
        user = services.create_user(
            db.session,
            email=form.email.data,
            name=form.name.data,
            is_admin=form.is_admin.data,
            is_manager=form.is_manager.data,
        )
        password = services.reset_password(db.session, user, current_app.config["PASSWORD_HASH_METHOD"])
        g.no_store = True
        return render_template("users/temporary_password.html", user=user, password=password, created=True)
    return page()


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("admin", load=User)
def edit(user: User):
    form = UserForm(obj=user)
    page = form_page(form, "users/form.html", user=user)
    if form.validate_on_submit():
        services.update_user(
            db.session,
            user,
            current_user,
            email=form.email.data,
            name=form.name.data,
            is_admin=form.is_admin.data,
            is_manager=form.is_manager.data,
        )
        flash(_("Saved."), "success")
        return redirect(url_for("users.show", user_id=user.id))
    return page()


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@require("admin", load=User)
def set_active(user: User):
    active = request.form.get("active") == "1"
    return act(
        lambda: services.set_active(db.session, user, current_user, active),
        back=url_for("users.show", user_id=user.id),
        message=_("The account is active again.")
        if active
        else _("The account is deactivated; its sessions are ended."),
    )


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@require("user.reset_password", load=User)
def reset_password(user: User):
    password = services.reset_password(db.session, user, current_app.config["PASSWORD_HASH_METHOD"])
    g.no_store = True
    return render_template("users/temporary_password.html", user=user, password=password, created=False)


def _show(user: User, status: int = 200, **extra):
    memberships = cohort_queries.memberships_of(db.session, user.id)
    own = user.id == current_user.id
    tokens = api_services.tokens_of(db.session, user) if own else None
    extra.setdefault("token_form", TokenForm() if own else None)
    return render_template("users/show.html", user=user, memberships=memberships, tokens=tokens, **extra), status


@bp.route("/users/<int:user_id>")
@require("user.view", load=User)
def show(user: User):
    return _show(user)


@bp.route("/account/tokens", methods=["POST"])
@require("authenticated")
def create_token():
    """A new API token, shown on the profile page this once (never stored in clear, never cached)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _show(current_user, 422, token_form=form)

    def refused(error: DomainError) -> Any:
        if not attach(form, error):
            flash(error.message, "danger")
        return _show(current_user, error.status, token_form=form)

    on_refusal(refused)
    _token, secret = api_services.create_token(db.session, current_user, form.name.data, now_utc())
    g.no_store = True
    return _show(current_user, new_token=secret, token_form=TokenForm(formdata=None))


@bp.route("/account/tokens/<int:api_token_id>/revoke", methods=["POST"])
@require("api.token.own", load=ApiToken)
def revoke_token(api_token: ApiToken):
    refuse_to(url_for("users.show", user_id=api_token.user_id), "warning")
    api_services.revoke(db.session, api_token, now_utc())
    flash(_("The token “%(name)s” is revoked; it no longer works.", name=api_token.name), "success")
    return redirect(url_for("users.show", user_id=api_token.user_id))


@bp.route("/account")
@require("authenticated")
def me():
    return redirect(url_for("users.show", user_id=current_user.id))
