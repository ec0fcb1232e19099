"""Notifications: one row per person and event, read in the inbox and e-mailed as each person chose."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.users.models import User


class Delivery(enum.StrEnum):
    """How a person wants one kind of notification e-mailed (it is always in the inbox)."""

    IMMEDIATE = "immediate"  # one e-mail per notification, right after the event
    DIGEST = "digest"  # collected into one e-mail a day
    OFF = "off"  # inbox only


class MailState(enum.StrEnum):
    NONE = "none"  # not e-mailed (the person switched this kind off)
    QUEUED = "queued"  # an immediate e-mail is on its way
    DIGEST = "digest"  # waits for the next daily digest
    SENT = "sent"  # e-mailed at emailed_at


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")  # a path inside the app
    # Idempotency: an event (a reminder for one deadline) reaches one person once, whatever runs twice.
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_state: Mapped[MailState] = mapped_column(
        enum_type(MailState, "notification_mail_state", 16), default=MailState.NONE
    )
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("recipient_id", "key"),
        # The bell counts unread per person on every page; the inbox lists per person, newest first.
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at"),
        # The digest and the mail job look for what still waits to be e-mailed.
        Index("ix_notifications_mail_state", "mail_state"),
    )


class NotificationPreference(Base):
    """A person's choice for one kind; without a row the kind's default applies."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    delivery: Mapped[Delivery] = mapped_column(enum_type(Delivery, "notification_delivery", 16))

    __table_args__ = (UniqueConstraint("user_id", "kind"),)
