"""Grades against rubric versions, and their append-only audit trail."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.assessments.models import Submission
from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.rubrics.models import Criterion, Level, Rubric
from lms.users.models import User


class GradeStatus(enum.StrEnum):
    DRAFT = "draft"  # saved by the grader, not final
    FINAL = "final"  # complete; not yet shown to the participant
    RELEASED = "released"  # the participant sees score, levels and comments


class Grade(Base):
    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubrics.id", ondelete="RESTRICT"), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    feedback: Mapped[str] = mapped_column(Text, default="")  # Markdown
    status: Mapped[GradeStatus] = mapped_column(
        enum_type(GradeStatus, "grade_status", 16),
        default=GradeStatus.DRAFT,
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The rubric changed after this grade was given; an instructor should look again.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock: two graders saving the same grade never overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, default=1)

    submission: Mapped[Submission] = relationship()
    grader: Mapped[User | None] = relationship()
    rubric: Mapped[Rubric | None] = relationship()
    criteria: Mapped[list[GradeCriterion]] = relationship(
        back_populates="grade", cascade="all, delete-orphan", lazy="selectin"
    )

    # The service sets the next version itself; SQLAlchemy adds "WHERE version = <old>" to every
    # UPDATE, so a save based on a stale read fails (StaleDataError) instead of overwriting.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class GradeCriterion(Base):
    """The level chosen for one criterion, with its points and an optional comment."""

    __tablename__ = "grade_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="RESTRICT"), index=True)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_levels.id", ondelete="RESTRICT"), index=True)
    points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    comment: Mapped[str] = mapped_column(Text, default="")

    grade: Mapped[Grade] = relationship(back_populates="criteria")
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[Level | None] = relationship()

    __table_args__ = (UniqueConstraint("grade_id", "criterion_id"),)


class GradeEvent(Base):
    """Append-only: who changed a grade, when, from what to what, and why."""

    __tablename__ = "grade_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # save | finalize | release | unrelease | return | adjust
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()
