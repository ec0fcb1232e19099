"""Attendance: the sessions of a cohort (date, time, JP, topic, widyaiswara) and who was there."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Cohort
from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.users.models import User


class Presence(enum.StrEnum):
    """How a peserta attended one session; only ``hadir`` counts towards the attended JP."""

    HADIR = "hadir"
    IZIN = "izin"
    SAKIT = "sakit"
    ALPA = "alpa"


class ClassSession(Base):
    """One session of the timetable: a lesson of ``jp`` jam pelajaran taught by a widyaiswara."""

    __tablename__ = "attendance_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    jp: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Whether the widyaiswara taught the session (their teaching hours count only then).
    instructor_present: Mapped[bool] = mapped_column(Boolean, default=True)
    # Optimistic locking of the attendance sheet: every save moves it on by one.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # None until attendance is first recorded; only recorded sessions count in the totals.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    instructor: Mapped[User | None] = relationship(foreign_keys=[instructor_id], lazy="joined")


class AttendanceRecord(Base):
    """How one peserta attended one session; one row per (session, peserta)."""

    __tablename__ = "attendance_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("attendance_sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[Presence] = mapped_column(
        enum_type(Presence, "presence", 8),
        default=Presence.HADIR,
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)


__all__ = ["AttendanceRecord", "ClassSession", "Presence"]
