"""Logging in and out, changing one's own password and language."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms import db
from lms.auth import services
from lms.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from lms.core import logging as events
from lms.core.access import require
from lms.core.emails import email_key
from lms.core.timezones import now_utc
from lms.extensions import limiter

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an absolute URL in ?next= would be an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.dashboard")


def _login_failed(response: Any) -> bool:
    """Only failed attempts count toward the login limits: a class of 40 behind one office address
    logs in freely, while guessing is slowed per address and per account."""
    return bool(g.get("login_failed"))


def _account_key() -> str:
    # Hashed so that the limiter's storage (Redis) holds no e-mail addresses.
    email = email_key(request.form.get("email", ""))
    return "login-account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def _locked_out(limit: Any) -> None:
    events.security("login.locked", scope="account" if limit.key.find("login-account:") >= 0 else "address")


@bp.route("/login", methods=["GET", "POST"])
@require("public")
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_login_failed, on_breach=_locked_out
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_login_failed,
    on_breach=_locked_out,
)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(
            db.session, form.email.data, form.password.data, current_app.config["PASSWORD_HASH_METHOD"]
        )
        if user is None:
            g.login_failed = True
            events.security("login.failed")
            flash(_("Email or password is wrong, or the account is not active."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)
            if user.must_change_password:
                flash(_("Please choose a new password before you go on."), "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        form.password.data = ""
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@require("authenticated")
def logout():
    # Server-side: the session token in every cookie of this user is replaced, so a copied session
    # or remember-me cookie replayed after logout is refused by the user loader.
    services.end_sessions(db.session, current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    response = redirect(url_for("auth.login"))
    # On a shared computer, nothing typed (kept drafts) stays behind for the next person.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@require("authenticated")
def change_password():
    form = ChangePasswordForm(min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if form.validate_on_submit():
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if not services.authenticate(db.session, current_user.email, form.current.data, method):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            services.change_password(db.session, user, form.new.data, method, now_utc())
            login_user(user, remember=False)  # the token changed: renew this login only
            flash(
                _("Your password is changed. Other devices are logged out and your API tokens are revoked."), "success"
            )
            return redirect(url_for("home.dashboard"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/language", methods=["POST"])
@require("public")
def language():
    """Switch the interface language: stored on the account, or in the session before login."""
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
        else:
            session["locale"] = form.locale.data
    return redirect(_safe_next(request.form.get("next")))
