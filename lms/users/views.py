"""Accounts: the admin's user list, one's own account page and a person's profile."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms import db
from lms.cohorts.models import Membership
from lms.core.access import require
from lms.core.errors import DomainError, attach
from lms.core.pagination import page_arg, paginate
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


@bp.route("/users/<int:user_id>")
@require("user.view", load=User)
def show(user: User):
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).options(selectinload(Membership.cohort))
    ).all()
    return render_template("users/show.html", user=user, memberships=memberships)


@bp.route("/account")
@require("authenticated")
def me():
    return redirect(url_for("users.show", user_id=current_user.id))
