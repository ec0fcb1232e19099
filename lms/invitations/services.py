"""Getting people in: invitation and reset links, activation codes, and who is in already.

Links are signed (itsdangerous, the app's secret key), expire, and carry a fingerprint of the
account's login state: setting a password changes it, so a link works once, and every older link
of that account stops working too. Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms.auth.services import change_password
from lms.cohorts.models import Cohort, Membership, Role
from lms.cohorts.services import add_member, role_label
from lms.core.emails import email_key
from lms.core.errors import DomainError
from lms.core.numbers import format_datetime
from lms.db import changed_rows, utcnow
from lms.invitations.models import ActivationCode
from lms.mail.models import MailStatus
from lms.mail.services import absolute_url, latest_status, queue_mail
from lms.users.models import User
from lms.users.services import create_user, find_by_email

INVITATION, RESET = "invitation", "password_reset"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


# -- links ---------------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"lms.{purpose}")


def _fingerprint(user: User) -> str:
    state = f"{user.session_token}:{user.password_hash or ''}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def _max_age(purpose: str) -> timedelta:
    config = current_app.config
    return (
        timedelta(days=config["INVITATION_DAYS"])
        if purpose == INVITATION
        else timedelta(hours=config["PASSWORD_RESET_HOURS"])
    )


def sign(purpose: str, data: dict[str, Any]) -> str:
    """A signed, timestamped link token for ``purpose`` (the salt: a token for one purpose is
    worthless for another). Used here and by plugins with links of their own (mentor links)."""
    return _serializer(purpose).dumps(data)


def make_token(user: User, purpose: str) -> str:
    return sign(purpose, {"u": user.id, "f": _fingerprint(user)})


class LinkRefused(DomainError):
    """The link is expired, used or forged; ``expired`` tells the page what to offer."""

    status = 410

    def __init__(self, message: Any, expired: bool) -> None:
        super().__init__(message)
        self.expired = expired


def unsign(purpose: str, token: str, max_age: timedelta, *, expired: Any, invalid: Any) -> dict[str, Any]:
    """What :func:`sign` put in ``token``; :class:`LinkRefused` with the message ``expired`` when it
    is older than ``max_age``, ``invalid`` when it is forged, altered or for another purpose."""
    try:
        data = _serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise LinkRefused(expired, expired=True) from None
    except BadSignature:
        raise LinkRefused(invalid, expired=False) from None
    if not isinstance(data, dict):
        raise LinkRefused(invalid, expired=False)
    return data


def user_for_token(session: Session, token: str, purpose: str) -> User:
    """The account a valid, unused, unexpired link is for; :class:`LinkRefused` otherwise."""
    data = unsign(
        purpose,
        token,
        _max_age(purpose),
        expired=_("This link has expired. Ask for a new one below."),
        invalid=_("This link is not valid. Ask for a new one below."),
    )
    user = session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise LinkRefused(_("This link has been used already. Log in, or ask for a new link below."), expired=False)
    return user


def choose_password(session: Session, token: str, purpose: str, password: str) -> User:
    """Set the password through a link; the link (and every older one) stops working."""
    user = user_for_token(session, token, purpose)
    # A reset is a password change: every session and API token of the old password ends.
    change_password(session, user, password, current_app.config["PASSWORD_HASH_METHOD"], utcnow())
    session.execute(
        update(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    user.last_login_at = utcnow()
    session.flush()
    return user


def _expiry_text(purpose: str, locale: str) -> str:
    with force_locale(locale):
        return format_datetime(utcnow() + _max_age(purpose), "medium")


def _locale(user: User) -> str:
    return user.locale or current_app.config["DEFAULT_LOCALE"]


# -- invitations ----------------------------------------------------------------------------------


def invitable(session: Session, cohort: Cohort, user_ids: Iterable[int] | None) -> list[User]:
    """The cohort's participants among ``user_ids`` (all when None) who have no password yet.

    Ids of people outside the cohort are ignored, so a form cannot invite anyone else."""
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.cohort_id == cohort.id,
            Membership.role == Role.PARTICIPANT,
            User.password_hash.is_(None),
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    if user_ids is not None:
        ids = [i for i in user_ids if isinstance(i, int)]
        stmt = stmt.where(User.id.in_(ids))
    return list(session.scalars(stmt))


def _mail_invitation(session: Session, cohort: Cohort, user: User, **extra: str) -> None:
    """Queue ``user``'s invitation to set a password (``extra``: ``role`` and ``actor`` for staff)."""
    locale = _locale(user)
    program = cohort.program.name
    queue_mail(
        session,
        to=user.email,
        template="invitation",
        locale=locale,
        user_id=user.id,
        purpose=INVITATION,
        subject=_l("Your access to %(program)s on Tolok", program=program),
        context={
            "name": user.name,
            "email": user.email,
            "program": program,
            "cohort": cohort.title,
            "link": absolute_url("invitations.activate", token=make_token(user, INVITATION)),
            "expires": _expiry_text(INVITATION, locale),
            **extra,
        },
    )


def invite(session: Session, cohort: Cohort, users: Sequence[User]) -> int:
    """Queue an invitation e-mail to each of ``users`` (sent after the commit); returns how many."""
    if not users:
        raise DomainError(_("Nobody to invite: everyone chosen has set a password already."))
    for user in users:
        _mail_invitation(session, cohort, user)
    return len(users)


def add_staff(session: Session, cohort: Cohort, *, email: str, name: str, role: Role, actor: User) -> Membership:
    """Make the person with ``email`` an instructor or program manager of the cohort, and tell them.

    The answer is the same whether or not an account had this e-mail, so the form cannot be used to
    find out who has an account: a new address gets an account named ``name`` and an invitation to
    set a password; an existing one keeps its own name and gets an e-mail saying who added them, to
    which cohort and where to log in. A deactivated account is added too (it cannot log in until an
    administrator reactivates it), and is not written to."""
    role = Role(role)
    if role == Role.PARTICIPANT:
        raise DomainError(_l("Add participants through enrolment or a roster import."), field="role")
    user = find_by_email(session, email)
    if user is None:
        user = create_user(session, email=email, name=name)
    membership = add_member(session, cohort, user, role)
    if not user.active:
        return membership
    if user.password_hash is None:
        _mail_invitation(session, cohort, user, role=role_label(role), actor=actor.name)
        return membership
    queue_mail(
        session,
        to=user.email,
        template="staff_added",
        locale=_locale(user),
        user_id=user.id,
        purpose="staff_added",
        subject=_l("You were added to %(cohort)s on Tolok", cohort=cohort.title),
        context={
            "name": user.name,
            "email": user.email,
            "program": cohort.program.name,
            "cohort": cohort.title,
            "role": role_label(role),
            "actor": actor.name,
            "link": absolute_url("cohorts.show", cohort_id=cohort.id),
        },
    )
    return membership


def request_reset(session: Session, email: str) -> None:
    """Queue a reset link when an active account has this address; silent otherwise (the page
    says the same either way, so it cannot tell who has an account)."""
    user = session.scalar(select(User).where(func.lower(User.email) == email_key(email)))
    if user is None or not user.active:
        return
    locale = _locale(user)
    queue_mail(
        session,
        to=user.email,
        template="password_reset",
        locale=locale,
        user_id=user.id,
        purpose=RESET,
        subject=_l("Choose a new Tolok password"),
        context={
            "name": user.name,
            "link": absolute_url("invitations.reset", token=make_token(user, RESET)),
            "expires": _expiry_text(RESET, locale),
        },
    )


# -- who is in ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    state: str  # active, invited, sending, not_sent, bounced, not_invited
    detail: str = ""


ACCESS_LABELS = {
    "active": _l("active"),
    "invited": _l("invited"),
    "sending": _l("invitation queued"),
    "not_sent": _l("not sent"),
    "bounced": _l("bounced"),
    "not_invited": _l("not invited"),
}


def access_states(session: Session, users: Sequence[User]) -> dict[int, Access]:
    """Each person's way in, for the participants list: one query whatever the page size."""
    waiting = [u.id for u in users if u.password_hash is None]
    latest = latest_status(session, waiting, [INVITATION, RESET])
    states: dict[int, Access] = {}
    for user in users:
        if user.password_hash is not None:
            states[user.id] = Access("active")
            continue
        message = latest.get(user.id)
        if message is None:
            states[user.id] = Access("not_invited")
        elif message.status == MailStatus.SENT:
            states[user.id] = Access("invited")
        elif message.status == MailStatus.BOUNCED:
            states[user.id] = Access("bounced", message.last_error or "")
        elif message.status == MailStatus.FAILED or message.last_error:
            states[user.id] = Access("not_sent", message.last_error or "")
        else:
            states[user.id] = Access("sending")
    return states


# -- activation codes -------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)


def _hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def issue_codes(session: Session, cohort: Cohort) -> list[tuple[User, str]]:
    """A fresh code for each participant who has no password yet; their older codes stop working."""
    users = invitable(session, cohort, None)
    if not users:
        raise DomainError(_("Every participant of this cohort has set a password already: no codes are needed."))
    now = utcnow()
    session.execute(
        update(ActivationCode)
        .where(ActivationCode.user_id.in_([u.id for u in users]), ActivationCode.used_at.is_(None))
        .values(used_at=now)
    )
    expires = now + timedelta(days=current_app.config["INVITATION_DAYS"])
    issued = []
    for user in users:
        code = new_code()
        session.add(ActivationCode(user_id=user.id, code_hash=_hash_code(code), created_at=now, expires_at=expires))
        issued.append((user, code))
    session.flush()
    return issued


def redeem_code(session: Session, code: str, password: str) -> User:
    """Set the first password with a printed code; the code works once."""
    refused = DomainError(
        _("This code is not valid, used already or expired. Ask your coordinator for a new one."), field="code"
    )
    if len(normalise_code(code)) != 12:
        raise refused
    now = utcnow()
    row = session.scalar(select(ActivationCode).where(ActivationCode.code_hash == _hash_code(code)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise refused
    claimed = changed_rows(
        session,
        update(ActivationCode).where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None)).values(used_at=now),
    )
    user = session.get(User, row.user_id)
    if claimed != 1 or user is None or not user.active:
        raise refused
    change_password(session, user, password, current_app.config["PASSWORD_HASH_METHOD"], now)
    user.last_login_at = now
    session.flush()
    return user


def code_owner(session: Session, code: str) -> User | None:
    row = session.scalar(select(ActivationCode).where(ActivationCode.code_hash == _hash_code(code)))
    return session.get(User, row.user_id) if row is not None else None


def require_password_change(user: User) -> None:
    """At the next request or login the user must choose a new password before anything else."""
    user.must_change_password = True
