"""Creating notifications, reading them, and each person's delivery choices.

Services flush, never commit. ``notify`` decides per person, from their preference, whether the
notification is e-mailed now, in tomorrow's digest or not at all; the immediate e-mails are handed
to the job queue only after the caller's transaction commits (a rolled-back event sends nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.core.errors import DomainError
from lms.db import changed_rows
from lms.jobs.queue import enqueue
from lms.notifications.kinds import all_kinds
from lms.notifications.models import Delivery, MailState, Notification, NotificationPreference
from lms.users.models import User

# The task that e-mails notifications waiting for an immediate e-mail (lms.notifications.tasks runs it).
MAIL_TASK = "notifications.mail"

PENDING = "lms.notifications.pending"  # session.info key: the mail task is queued for this transaction


def preferences_of(session: Session, user_ids: Iterable[int], kind: str) -> dict[int, Delivery]:
    """Each person's choice for ``kind`` (the kind's default when they made none), in one query."""
    ids = list(user_ids)
    default = Delivery(all_kinds()[kind].default)
    chosen = (
        dict(
            session.execute(
                select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                    NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    return {user_id: Delivery(chosen.get(user_id, default)) for user_id in ids}


def notify(
    session: Session,
    recipients: Iterable[User | int],
    kind: str,
    payload: Mapping[str, Any],
    *,
    link: str = "",
    key: str | None = None,
    now: datetime,
    personal: Mapping[int, Mapping[str, Any]] | None = None,
) -> int:
    """Tell each recipient about an event: a row in their inbox, and an e-mail as they chose.

    ``payload`` holds what the kind's message needs (plain JSON values), ``personal`` what differs
    per recipient id (their score); ``link`` is a path inside the app. A whole cohort is told in a
    fixed number of queries. With ``key`` the event reaches each person once: recipients who already
    have a notification with that key are skipped, also when two jobs run at the same moment.
    Returns how many notifications were created.
    """
    kinds = all_kinds()
    if kind not in kinds:
        raise LookupError(f"unknown notification kind {kind!r}")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notification links inside the app, not to {link!r}")
    ids = list(dict.fromkeys(r if isinstance(r, int) else r.id for r in recipients))
    if key is not None and ids:
        done = set(
            session.scalars(
                select(Notification.recipient_id).where(Notification.key == key, Notification.recipient_id.in_(ids))
            )
        )
        ids = [i for i in ids if i not in done]
    if not ids:
        return 0
    choices = preferences_of(session, ids, kind)
    state = {Delivery.IMMEDIATE: MailState.QUEUED, Delivery.DIGEST: MailState.DIGEST, Delivery.OFF: MailState.NONE}
    rows = [
        {
            "recipient_id": user_id,
            "kind": kind,
            "payload": {**payload, **(personal or {}).get(user_id, {})},
            "link": link,
            "key": key,
            "created_at": now,
            "read_at": None,
            "mail_state": state[choices[user_id]],
            "emailed_at": None,
        }
        for user_id in ids
    ]
    created = _insert(session, rows, keyed=key is not None)
    if any(row["mail_state"] == MailState.QUEUED for row in created):
        mail_after_commit(session)
    return len(created)


def _insert(session: Session, rows: list[dict[str, Any]], keyed: bool) -> list[dict[str, Any]]:
    """One multi-row INSERT; for keyed rows a clash with a concurrent run falls back to one row at a
    time, keeping those that are new."""
    try:
        with session.begin_nested():
            session.execute(insert(Notification), rows)
        return rows
    except IntegrityError:
        if not keyed:
            raise
    created = []
    for row in rows:
        try:
            with session.begin_nested():
                session.execute(insert(Notification), [row])
            created.append(row)
        except IntegrityError:
            pass
    return created


def mail_after_commit(session: Session) -> None:
    """Send the waiting immediate e-mails once this transaction commits (nothing on rollback); one
    task per transaction, however many notifications it created."""

    if not session.info.get(PENDING):
        session.info[PENDING] = True
        enqueue(session, MAIL_TASK)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


# -- the inbox -----------------------------------------------------------------------------------


@functools.cache
def _unread_statement() -> Any:
    """Built once; read on the session's connection (the bell is on every page: none of the ORM's
    per-statement work)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == bindparam("user_id"), Notification.read_at.is_(None))
    )


# session.info key: (user id, unread count) read with the user at the start of the request.
UNREAD_AT_LOAD = "lms.notifications.unread_at_load"


def unread_of(user_id: Any) -> Any:
    """The number of unread notifications of ``user_id`` (a column), as a column of its own: the
    request's user is loaded with it, so the bell on every page costs no round trip of its own."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread(session: Session, user_id: int, count: int) -> None:
    """Keep the count read with the user; any write to notifications in this session drops it."""
    session.info[UNREAD_AT_LOAD] = (user_id, count)


def unread_count(session: Session, user_id: int) -> int:
    if session.new or session.dirty or session.deleted:
        session.flush()  # what the ORM's autoflush would do: count what this request created
    kept = session.info.get(UNREAD_AT_LOAD)
    if kept is not None and kept[0] == user_id:
        return int(kept[1])
    return session.connection().execute(_unread_statement(), {"user_id": user_id}).scalar() or 0


@event.listens_for(Session, "before_flush")
def _notifications_flushed(session: Session, _context: Any, _instances: Any) -> None:
    if UNREAD_AT_LOAD in session.info and any(
        isinstance(row, Notification) for group in (session.new, session.dirty, session.deleted) for row in group
    ):
        del session.info[UNREAD_AT_LOAD]


@event.listens_for(Session, "do_orm_execute")
def _notifications_written(state: Any) -> None:
    """INSERT, UPDATE and DELETE statements (``mark_all_read``, ``notify``'s multi-row insert)
    bypass the flush: the count read at load is dropped before any of them."""
    # The statement's table is an annotated copy of the model's: compare names.
    if (
        UNREAD_AT_LOAD in state.session.info
        and (state.is_insert or state.is_update or state.is_delete)
        and getattr(getattr(state.statement, "table", None), "name", None) == Notification.__tablename__
    ):
        del state.session.info[UNREAD_AT_LOAD]


def inbox(user_id: int, unread_only: bool = False) -> Select[Notification]:
    """A person's notifications, newest first (paginate it)."""
    stmt = select(Notification).where(Notification.recipient_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(session: Session, notification: Notification, user: User, now: datetime) -> Notification:
    if notification.recipient_id != user.id:
        raise DomainError(_l("This notification is not yours."), status=403)
    if notification.read_at is None:
        notification.read_at = now
        session.flush()
    return notification


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    return changed_rows(
        session,
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False),
    )


# -- preferences ---------------------------------------------------------------------------------


def kinds_for(user: User, is_staff: bool) -> list[Any]:
    """The kinds a person's preference page lists: participant kinds, and staff kinds for staff."""
    kinds = all_kinds().values()
    return sorted(
        (k for k in kinds if k.audience != "staff" or is_staff),
        key=lambda k: (k.audience != "participant", k.order, k.key),
    )


def choices_of(session: Session, user: User) -> dict[str, Delivery]:
    """The person's delivery for every kind, their choice or the kind's default."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {key: Delivery(chosen.get(key, kind.default)) for key, kind in all_kinds().items()}


def set_preferences(session: Session, user: User, choices: Mapping[str, str]) -> None:
    """Save a person's choices; an unknown kind or delivery is refused and nothing is saved."""
    kinds = all_kinds()
    parsed: dict[str, Delivery] = {}
    for key, value in choices.items():
        if key not in kinds:
            raise DomainError(_l("Unknown kind of notification."))
        try:
            parsed[key] = Delivery(value)
        except ValueError:
            raise DomainError(_l("Choose immediately, daily digest or off.")) from None
    existing = {
        p.kind: p
        for p in session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    for key, delivery in parsed.items():
        row = existing.get(key)
        if row is None:
            session.add(NotificationPreference(user_id=user.id, kind=key, delivery=delivery))
        else:
            row.delivery = delivery
    session.flush()
