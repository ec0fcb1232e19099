"""Certificates (STTPP / sertifikat): a program's template, a cohort's number counter, each
certificate issued to a peserta who passed, and the audit of issuing and revoking."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Cohort, Program
from lms.db import Base, UTCDateTime, utcnow

DEFAULT_PATTERN = "{seq}/{program}-{angkatan}/{year}"


class CertificateTemplate(Base):
    """What a program's certificates say besides the peserta: letterhead, numbering, signatory."""

    __tablename__ = "certificate_templates"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    # One line of the letterhead per line ("LEMBAGA ADMINISTRASI NEGARA", an address…).
    letterhead: Mapped[str] = mapped_column(Text, default="")
    number_pattern: Mapped[str] = mapped_column(String(100), default=DEFAULT_PATTERN)
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_nip: Mapped[str] = mapped_column(String(18), default="")
    signer_position: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    program: Mapped[Program] = relationship()


class CertificateCounter(Base):
    """The last sequence number given in a cohort; its row is locked while numbers are given out,
    so that two issuers never give the same number nor skip one."""

    __tablename__ = "certificate_counters"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(Base):
    """One peserta's certificate. What it states is copied when issued: a later change of name or
    of the program does not change a certificate already handed out."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120), unique=True)
    # The short code printed beside the QR code; the public verification page is found by it.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(18), default="")
    instansi: Mapped[str] = mapped_column(String(200), default="")
    predikat: Mapped[str] = mapped_column(String(100), default="")
    jp: Mapped[int] = mapped_column(Integer, default=0)
    program_name: Mapped[str] = mapped_column(String(200))
    angkatan: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    cohort: Mapped[Cohort] = relationship()

    __table_args__ = (UniqueConstraint("cohort_id", "participant_id"), UniqueConstraint("cohort_id", "seq"))

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class CertificateEvent(Base):
    """Append-only audit: who issued or revoked a certificate, when and why."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # "issued" or "revoked"
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = ["Certificate", "CertificateCounter", "CertificateEvent", "CertificateTemplate", "DEFAULT_PATTERN"]
