"""API tokens: create (the secret is shown once), list, revoke, and authenticate a bearer token.

A token is ``tolok_`` followed by 32 random bytes (URL-safe base64); only its SHA-256 is stored, so
the secret cannot be shown again, and looking a token up by its hash leaks nothing useful.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.api.models import ApiToken
from lms.core.errors import Conflict, DomainError
from lms.core.logging import security_on_commit
from lms.db import changed_rows
from lms.users.models import User

PREFIX = "tolok_"
# last_used_at is written at most this often, so that a busy script does not write on every GET.
USE_RESOLUTION = timedelta(minutes=5)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Give the token a name, e.g. what it is for."), field="name")
    if len(name) > 100:
        raise DomainError(_l("The name is too long (100 characters at most)."), field="name")
    if not user.active:
        raise DomainError(_l("A deactivated account cannot have API tokens."))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[: len(PREFIX) + 4], created_at=now
    )
    session.add(token)
    session.flush()
    security_on_commit(session, "token.created", token_id=token.id, owner_id=user.id)
    return token, secret


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, active first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(session: Session, token: ApiToken, now: datetime) -> None:
    """Stop a token working from now on; revoking twice is refused."""
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    token.revoked_at = now
    session.flush()
    security_on_commit(session, "token.revoked", token_id=token.id, owner_id=token.user_id)


def revoke_all(session: Session, user: User, now: datetime) -> int:
    """Revoke every active token of ``user`` (password change, reset); returns how many."""
    revoked = changed_rows(
        session,
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch"),
    )
    if revoked:
        security_on_commit(session, "token.revoked", owner_id=user.id, tokens_revoked=revoked)
    return revoked


def authenticate(session: Session, secret: str | None, now: datetime) -> User | None:
    """The active user owning this unrevoked token, or None (missing, unknown, revoked, deactivated)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token, user = row
    if not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return user
