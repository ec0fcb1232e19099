"""Accounts: the admin's user list, one's own account page and a person's profile."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms import db
from lms.api import services as api_services
from lms.api.forms import TokenForm
from lms.api.models import ApiToken
from lms.cohorts.models import Membership
from lms.core.access import require
from lms.core.errors import DomainError, attach
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import now_utc
from lms.users import services
from lms.users.forms import UserForm
from lms.users.models import User

bp = Blueprint("users", __name__, template_folder="templates")


@bp.route("/admin/users")
@require("admin")
def index():
    query = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    page = paginate(db.session, services.search_users(query, role), page_arg(request.args),
                    current_app.config["PAGE_SIZE"])
    return render_template("users/index.html", page=page, q=query, role=role)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("admin")
def create():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, email=form.email.data, name=form.name.data,
                is_admin=form.is_admin.data, is_manager=form.is_manager.data,
            )
            password = services.reset_password(db.session, user, current_app.config["PASSWORD_HASH_METHOD"])
        except DomainError as exc:
            db.session.rollback()
            attach(form, exc) or flash(exc.message, "danger")
            return render_template("users/form.html", form=form, user=None), exc.status
        db.session.commit()
        g.no_store = True
        return render_template("users/temporary_password.html", user=user, password=password, created=True)
    return render_template("users/form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("admin", load=User)
def edit(user: User):
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(db.session, user, current_user, email=form.email.data, name=form.name.data,
                                 is_admin=form.is_admin.data, is_manager=form.is_manager.data)
        except DomainError as exc:
            db.session.rollback()
            attach(form, exc) or flash(exc.message, "danger")
            return render_template("users/form.html", form=form, user=user), exc.status
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/form.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@require("admin", load=User)
def set_active(user: User):
    active = request.form.get("active") == "1"
    try:
        services.set_active(db.session, user, current_user, active)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("users.show", user_id=user.id))
    db.session.commit()
    flash(_("The account is active again.") if active else _("The account is deactivated; its sessions are ended."), "success")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@require("user.reset_password", load=User)
def reset_password(user: User):
    password = services.reset_password(db.session, user, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    g.no_store = True
    return render_template("users/temporary_password.html", user=user, password=password, created=False)


def _show(user: User, status: int = 200, **extra):
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).options(selectinload(Membership.cohort))
    ).all()
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
    try:
        _token, secret = api_services.create_token(db.session, current_user, form.name.data, now_utc())
    except DomainError as exc:
        db.session.rollback()
        attach(form, exc) or flash(exc.message, "danger")
        return _show(current_user, exc.status, token_form=form)
    db.session.commit()
    g.no_store = True
    return _show(current_user, new_token=secret, token_form=TokenForm(formdata=None))


@bp.route("/account/tokens/<int:api_token_id>/revoke", methods=["POST"])
@require("api.token.own", load=ApiToken)
def revoke_token(api_token: ApiToken):
    try:
        api_services.revoke(db.session, api_token, now_utc())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("users.show", user_id=api_token.user_id))
    db.session.commit()
    flash(_("The token “%(name)s” is revoked; it no longer works.", name=api_token.name), "success")
    return redirect(url_for("users.show", user_id=api_token.user_id))


@bp.route("/account")
@require("authenticated")
def me():
    return redirect(url_for("users.show", user_id=current_user.id))
