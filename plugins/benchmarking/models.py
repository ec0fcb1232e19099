"""Host organisations (lokus), field visits and their groups (kelompok)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Cohort
from lms.db import Base, UTCDateTime, utcnow
from lms.users.models import User


class HostKind(enum.StrEnum):
    CITY = "city"
    REGENCY = "regency"
    PROVINCE = "province"
    MINISTRY = "ministry"
    AGENCY = "agency"
    STATE_ENTERPRISE = "state_enterprise"
    OTHER = "other"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=24,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Host(Base):
    """An organisation known for a best practice, visited by cohorts; shared across cohorts."""

    __tablename__ = "benchmarking_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[HostKind] = mapped_column(_enum(HostKind, "benchmarking_host_kind"), default=HostKind.CITY)
    region: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    recognition: Mapped[str] = mapped_column(Text, default="")  # Markdown: award, year, score
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FieldVisit(Base):
    """A cohort's visit to a host: when, what to look into, and who goes in which group."""

    __tablename__ = "benchmarking_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_hosts.id", ondelete="RESTRICT"), index=True)
    theme: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(300), default="")
    briefing: Mapped[str] = mapped_column(Text, default="")  # Markdown
    guiding_questions: Mapped[str] = mapped_column(Text, default="")  # one question per line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    host: Mapped[Host] = relationship(lazy="joined")
    groups: Mapped[list[VisitGroup]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitGroup.position"
    )

    @property
    def questions(self) -> list[str]:
        return [line.strip() for line in self.guiding_questions.splitlines() if line.strip()]


class VisitGroup(Base):
    """A kelompok of one visit; its leader must be one of its members."""

    __tablename__ = "benchmarking_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    visit: Mapped[FieldVisit] = relationship(back_populates="groups")
    leader: Mapped[User | None] = relationship()
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("visit_id", "name"),)


class GroupMember(Base):
    """A participant in a group; ``visit_id`` is repeated so that the database itself refuses
    one participant in two groups of the same visit."""

    __tablename__ = "benchmarking_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    group: Mapped[VisitGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)
