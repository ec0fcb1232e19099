"""Outgoing e-mail: one row per message, so that its fate (sent, bounced, not sent) is on record."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, enum_type, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for (another) attempt; last_error says why an earlier one failed
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # every attempt failed (server down, refused login): not sent
    BOUNCED = "bounced"  # the server refused the address for good


class MailMessage(Base):
    """A message as rendered for its recipient (their language, absolute links), sent by a job."""

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    # The account it is for, when there is one (the participants list reads statuses by user).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # What it is: "invitation", "password_reset", "notification"...
    purpose: Mapped[str] = mapped_column(String(40), default="")
    # The language it is written in (sent as Content-Language).
    locale: Mapped[str] = mapped_column(String(5), default="id")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MailStatus] = mapped_column(
        enum_type(MailStatus, "mail_status", 10),
        default=MailStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.purpose} {self.status}>"
