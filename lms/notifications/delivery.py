"""What a notification says, in the recipient's language, and the e-mails that carry it.

The job functions here take a session of their own (the queue's) and a time: immediate e-mails
after the event's commit, one digest per person per day, and the reminders that fall due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from lms.core.numbers import format_datetime, format_score
from lms.core.urls import path_for
from lms.db import changed_rows
from lms.mail.services import DEV_BASE_URL, queue_message
from lms.notifications.kinds import all_kinds
from lms.notifications.models import MailState, Notification
from lms.plugins.types import NotificationKind
from lms.users.models import User


class _Blank(dict):
    """Fills a missing payload value with nothing rather than failing a whole digest."""

    def __missing__(self, key: str) -> str:
        return ""


def _formatted(kind: NotificationKind, payload: dict[str, Any]) -> dict[str, Any]:
    values = _Blank(payload)
    for key in kind.numbers:
        try:
            values[key] = format_score(str(payload[key])) if payload.get(key) is not None else "—"
        except (InvalidOperation, TypeError, ValueError):
            values[key] = "—"
    for key in kind.times:
        try:
            values[key] = format_datetime(datetime.fromisoformat(payload[key]), "medium")
        except (KeyError, ValueError, TypeError):
            values[key] = "—"
    return values


@dataclass(frozen=True)
class Shown:
    """A notification as its recipient reads it (in the current locale)."""

    notification: Notification
    label: str
    text: str
    detail: str


def show(notification: Notification, kinds: dict[str, NotificationKind] | None = None) -> Shown:
    kinds = kinds or all_kinds()
    kind = kinds.get(notification.kind)
    if kind is None:  # a plugin that sent it is switched off: say what we still know
        return Shown(notification, notification.kind, notification.kind, "")
    payload = notification.payload or {}
    text = str(kind.message) % _formatted(kind, payload)
    detail = str(payload.get(kind.detail) or "") if kind.detail else ""
    return Shown(notification, str(kind.label), text, detail)


def absolute(link: str) -> str:
    """A path inside the app as the link an e-mail needs (``LMS_BASE_URL`` in front)."""

    return (current_app.config["BASE_URL"] or DEV_BASE_URL).rstrip("/") + (link or "/")


def locale_of(user: User) -> str:
    return user.locale or current_app.config["DEFAULT_LOCALE"]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    locale: str
    user_id: int
    purpose: str


def render_single(user: User, notification: Notification) -> Mail:
    """One notification's e-mail: who it is for, what happened, where to click."""
    with force_locale(locale_of(user)):
        shown = show(notification)
        context = {
            "user": user,
            "items": [shown],
            "link": absolute(notification.link),
            "base_url": absolute("/"),
            "settings": absolute(_settings_path()),
            "program": (notification.payload or {}).get("cohort"),
        }
        subject = _("[Tolok] %(what)s", what=shown.label)
        return Mail(
            user.email,
            subject,
            render_template("notifications/email/single.txt", **context),
            render_template("notifications/email/single.html", **context),
            locale_of(user),
            user.id,
            "notification",
        )


def render_digest(user: User, notifications: list[Notification]) -> Mail:
    """All of a person's waiting notifications in one e-mail."""
    with force_locale(locale_of(user)):
        kinds = all_kinds()
        items = [(show(n, kinds), absolute(n.link)) for n in notifications]
        context = {
            "user": user,
            "items": items,
            "inbox": absolute(_inbox_path()),
            "settings": absolute(_settings_path()),
            "base_url": absolute("/"),
            "program": None,
        }
        subject = _("[Tolok] Your daily summary: %(count)s notifications", count=len(items))
        return Mail(
            user.email,
            subject,
            render_template("notifications/email/digest.txt", **context),
            render_template("notifications/email/digest.html", **context),
            locale_of(user),
            user.id,
            "notification-digest",
        )


def _inbox_path() -> str:
    return path_for("notifications.inbox")


def _settings_path() -> str:
    return path_for("notifications.preferences")


def deliver(session: Session, mail: Mail) -> None:
    """Hand one message to the mail service: recorded now, sent by its own job after the commit
    (with retries, and "not sent" on record when the server keeps refusing)."""

    queue_message(
        session,
        to=mail.to,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        locale=mail.locale,
        user_id=mail.user_id,
        purpose=mail.purpose,
    )


# -- the jobs ------------------------------------------------------------------------------------


def send_immediate(session: Session, now: datetime) -> int:
    """E-mail every notification waiting for an immediate e-mail; returns how many were sent.

    Each row is claimed with a conditional UPDATE before its e-mail is handed on, so two runs at
    once (two consumers, a retry) never send one twice.
    """
    rows = session.scalars(
        select(Notification)
        .where(Notification.mail_state == MailState.QUEUED)
        .order_by(Notification.id)
        .options(joinedload(Notification.recipient))
    ).all()
    sent = 0
    for row in rows:
        claimed = changed_rows(
            session,
            update(Notification)
            .where(Notification.id == row.id, Notification.mail_state == MailState.QUEUED)
            .values(mail_state=MailState.SENT, emailed_at=now)
            .execution_options(synchronize_session=False),
        )
        if claimed == 1 and row.recipient.active:
            deliver(session, render_single(row.recipient, row))
            sent += 1
    session.flush()
    return sent


def send_digests(session: Session, now: datetime) -> int:
    """One e-mail per person with everything waiting for the digest; returns how many were sent.

    The rows are locked and marked sent in the same transaction, so a second run (or a second
    consumer) finds nothing left and sends nothing twice.
    """
    rows = session.scalars(
        select(Notification)
        .where(Notification.mail_state == MailState.DIGEST)
        .order_by(Notification.recipient_id, Notification.created_at, Notification.id)
        .with_for_update(skip_locked=True)
    ).all()
    by_person: dict[int, list[Notification]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_id, []).append(row)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(by_person))))} if by_person else {}
    sent = 0
    for user_id, items in by_person.items():
        user = people[user_id]
        if user.active:
            deliver(session, render_digest(user, items))
            sent += 1
        for row in items:
            row.mail_state, row.emailed_at = MailState.SENT, now
    session.flush()
    return sent
