"""Scores that no submission carries: conduct (*sikap perilaku*) observed across the training, oral
exams, seminar scores. Staff enter them per criterion in a grid; several observers may score the
same peserta, and the sheet's rule combines them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Cohort
from lms.db import Base, UTCDateTime, enum_type, utcnow


class Combination(enum.StrEnum):
    """How the observers' scores of one criterion become one."""

    MEAN = "mean"
    MEDIAN = "median"
    LOWEST = "lowest"
    HIGHEST = "highest"


class ObserverRole(enum.StrEnum):
    WIDYAISWARA = "widyaiswara"
    COACH = "coach"
    PENYELENGGARA = "penyelenggara"


class ScoreSheet(Base):
    """A staff-entered assessment of a cohort: criteria scored 0–100 per peserta by observers."""

    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The result component it counts towards (see lms.results.models.WorkComponent); "" for none.
    component_key: Mapped[str] = mapped_column(String(40), default="")
    # Its weight among the component's other work.
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    combination: Mapped[Combination] = mapped_column(
        enum_type(Combination, "sheet_combination", 16), default=Combination.MEAN
    )
    # A peserta's score is pending until this many observers scored every criterion.
    observers_required: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    criteria: Mapped[list[SheetCriterion]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", order_by="SheetCriterion.position", lazy="selectin"
    )


class SheetCriterion(Base):
    __tablename__ = "score_sheet_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="criteria")


class SheetEntry(Base):
    """One observer's score of one criterion for one peserta."""

    __tablename__ = "score_sheet_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("score_sheet_criteria.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    observer_role: Mapped[ObserverRole] = mapped_column(enum_type(ObserverRole, "observer_role", 16))
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock, as grades: a save based on an older version is refused with a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("criterion_id", "participant_id", "observer_id"),)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class SheetEvent(Base):
    """Append-only: who changed which scores of a sheet, when, from what to what, and why."""

    __tablename__ = "score_sheet_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    observer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # grid | import
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
