"""Accounts and participant profiles. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lms.auth.services import change_password, set_password, temporary_password
from lms.core.civil_service import GOLONGAN, NipError, validate_nip
from lms.core.emails import clean_email, email_key
from lms.core.errors import Conflict, DomainError
from lms.db import utcnow
from lms.users.models import ParticipantProfile, User, new_session_token


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email_key(email)))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None = None,
    hash_method: str = "scrypt",
    is_admin: bool = False,
    is_manager: bool = False,
    temporary: bool = False,
) -> User:
    """A new account; an email already in use is refused (emails are compared lower-cased)."""
    email = clean_email(email)
    name = name.strip()
    if not name:
        raise DomainError(_l("Enter the person's name."), field="name")
    if find_by_email(session, email) is not None:
        raise Conflict(_l("An account with this email already exists."), field="email")
    user = User(email=email, name=name, is_admin=is_admin, is_manager=is_manager, active=True)
    if password:
        set_password(user, password, hash_method, temporary=temporary)
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session, user: User, actor: User, *, email: str, name: str, is_admin: bool, is_manager: bool
) -> User:
    email = clean_email(email)
    if not name.strip():
        raise DomainError(_l("Enter the person's name."), field="name")
    other = find_by_email(session, email)
    if other is not None and other.id != user.id:
        raise Conflict(_l("An account with this email already exists."), field="email")
    if user.id == actor.id and user.is_admin and not is_admin:
        raise DomainError(_l("You cannot take away your own administrator rights."), field="is_admin")
    user.email, user.name = email, name.strip()
    user.is_admin, user.is_manager = is_admin, is_manager
    session.flush()
    return user


def set_active(session: Session, user: User, actor: User, active: bool) -> None:
    """Deactivate (logs the user out everywhere) or reactivate an account; never one's own."""
    if user.id == actor.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.session_token = new_session_token()
    session.flush()


def reset_password(session: Session, user: User, hash_method: str) -> str:
    """Give the user a one-time temporary password, to be changed at the next login; returns it.

    Like any password change it ends the user's sessions and revokes their API tokens."""
    password = temporary_password()
    change_password(session, user, password, hash_method, utcnow(), temporary=True)
    return password


def search_users(query: str = "", role: str = "") -> Select[User]:
    stmt = select(User).outerjoin(ParticipantProfile)
    if query:
        like = f"%{query.strip().lower()}%"
        digits = "".join(ch for ch in query if ch.isdigit())
        conditions = [func.lower(User.name).like(like), func.lower(User.email).like(like)]
        if len(digits) >= 4:
            conditions.append(ParticipantProfile.nip.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conditions))
    if role == "admin":
        stmt = stmt.where(User.is_admin.is_(True))
    elif role == "manager":
        stmt = stmt.where(User.is_manager.is_(True))
    elif role == "inactive":
        stmt = stmt.where(User.active.is_(False))
    return stmt.order_by(func.lower(User.name), User.id)


def save_profile(
    session: Session,
    user: User,
    *,
    nip: str,
    instansi: str = "",
    unit: str = "",
    jabatan: str = "",
    golongan: str | None = None,
) -> ParticipantProfile:
    """Create or update the participant profile; the NIP must be valid and belong to no one else."""
    try:
        nip = validate_nip(nip)
    except NipError as exc:
        raise DomainError(exc.args[0], field="nip") from None
    if golongan and golongan not in GOLONGAN:
        raise DomainError(_l("Unknown golongan."), field="golongan")
    owner = session.scalar(select(ParticipantProfile).where(ParticipantProfile.nip == nip))
    if owner is not None and owner.user_id != user.id:
        raise Conflict(_l("This NIP already belongs to another person."), field="nip")
    profile = user.profile
    if profile is None:
        profile = ParticipantProfile(user=user, nip=nip)
        session.add(profile)
    profile.nip = nip
    profile.instansi, profile.unit, profile.jabatan = instansi.strip(), unit.strip(), jabatan.strip()
    profile.golongan = golongan or None
    session.flush()
    return profile
