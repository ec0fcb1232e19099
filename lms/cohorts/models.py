"""Programs, their cohorts (angkatan) and who takes part in them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.predicates import DEFAULT_BANDS, Band
from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.users.models import User


class CohortStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"  # past its end date; unlike CLOSED still open to late grading and changes
    CLOSED = "closed"  # read-only, and only ever set by hand


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    predicate_bands: Mapped[list[Band]] = mapped_column(JSON, default=lambda: list(DEFAULT_BANDS))
    # The least attendance (percent of the recorded JP) a peserta needs to pass; None: no minimum.
    attendance_minimum: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # Whether peserta are ranked on the results page, their own results and the exports. Off by
    # default: the regulation reports a predikat and lulus / tidak lulus, not a place in the angkatan.
    show_rank: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who created it: they may edit it until a cohort uses it (lms.core.access.may_edit_program).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohorts: Mapped[list[Cohort]] = relationship(back_populates="program", order_by="Cohort.year.desc(), Cohort.name")


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[CohortStatus] = mapped_column(
        enum_type(CohortStatus, "cohort_status", 16),
        default=CohortStatus.PLANNED,
    )
    # False: the status follows the dates (planned before the start, running, finished after the
    # end), kept up to date by lms.cohorts.services.follow_dates; True: a coordinator set it.
    status_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship(back_populates="cohorts", lazy="joined")
    memberships: Mapped[list[Membership]] = relationship(back_populates="cohort", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("program_id", "name", "year"),)

    @property
    def is_closed(self) -> bool:
        return self.status == CohortStatus.CLOSED

    @property
    def title(self) -> str:
        return f"{self.program.code} {self.name} {self.year}"


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "membership_role", 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("cohort_id", "user_id", "role"),)
