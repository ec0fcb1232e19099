"""Passwords and logging in. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from lms.db import utcnow
from lms.users.models import User, email_key, new_session_token

# Checked against when the email is unknown, so that a wrong email takes as long as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def authenticate(session: Session, email: str, password: str, method: str) -> User | None:
    """The active user with this email and password, or None; one answer for every failure."""
    user = session.scalar(select(User).where(func.lower(User.email) == email_key(email)))
    if user is None or user.password_hash is None:
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("dummy", method=method))
        check_password_hash(dummy, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str, method: str, temporary: bool = False) -> None:
    """Replace the password; every other login of this user ends (the session token changes)."""
    user.password_hash = hash_password(password, method)
    user.must_change_password = temporary
    user.session_token = new_session_token()


def temporary_password() -> str:
    """A one-time password that is easy to read out: four groups of four characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
