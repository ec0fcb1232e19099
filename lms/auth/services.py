"""Passwords and logging in. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from lms.api.services import revoke_all
from lms.core.emails import email_key
from lms.core.logging import security_on_commit
from lms.db import utcnow
from lms.users.models import User, new_session_token

# Checked against when the email is unknown, so that a wrong email takes as long as a wrong password.
# Computed once per hash method: computing it per call made an unknown email twice as slow.
_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash(method: str) -> str:
    dummy = _DUMMY_HASH.get(method)
    if dummy is None:
        dummy = _DUMMY_HASH[method] = generate_password_hash(secrets.token_urlsafe(12), method=method)
    return dummy


def hash_password(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def authenticate(session: Session, email: str, password: str, method: str) -> User | None:
    """The active user with this email and password, or None; one answer for every failure."""
    user = session.scalar(select(User).where(func.lower(User.email) == email_key(email)))
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(method), password)
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


def change_password(
    session: Session, user: User, password: str, method: str, now: datetime, temporary: bool = False
) -> int:
    """A new password ends every other login of the user and revokes all their API tokens (whoever
    knew the old password may have made one); returns how many tokens were revoked."""
    set_password(user, password, method, temporary=temporary)
    revoked = revoke_all(session, user, now)
    session.flush()
    security_on_commit(session, "password.changed", subject_id=user.id, temporary=temporary)
    return revoked


def end_sessions(session: Session, user: User) -> None:
    """Log the user out server-side: a replayed session or remember-me cookie no longer works.

    The session token is per user, so this ends the user's logins on every device.
    """
    user.session_token = new_session_token()
    session.flush()


def temporary_password() -> str:
    """A one-time password that is easy to read out: four groups of four characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
