"""Rubrics: criteria with weights, levels with points. A rubric is frozen once a grade uses it;
editing a frozen rubric makes a new version in the same family, and old grades keep theirs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow


class Rubric(Base):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    # All versions of one rubric share a family id (the id of the first version).
    family_id: Mapped[int | None] = mapped_column(ForeignKey("rubrics.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # A template lives in the library shared across cohorts; other rubrics belong to one cohort.
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    # Set when a grade first uses this version; from then on it is never edited in place.
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    # A newer version replaced this one (kept for the grades that used it).
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="Criterion.position", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("family_id", "version"),)

    @property
    def total_weight(self) -> Decimal:
        return sum((c.weight for c in self.criteria), Decimal(0))


class Criterion(Base):
    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[Level]] = relationship(
        back_populates="criterion", cascade="all, delete-orphan", order_by="Level.position", lazy="selectin"
    )

    @property
    def max_points(self) -> Decimal:
        return max((level.points for level in self.levels), default=Decimal(0))


class Level(Base):
    __tablename__ = "rubric_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(100))
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    descriptor: Mapped[str] = mapped_column(Text, default="")

    criterion: Mapped[Criterion] = relationship(back_populates="levels")
