"""Assessments of a cohort and the submissions participants make to them.

A submission is the one generic unit of gradable work; a reflection is the core's kind and a
plugin's kind (a benchmarking practice log) keeps its own table pointing 1:1 to a submission.
Every save of a submission's body is a revision, so nothing typed is lost.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Cohort
from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.rubrics.models import Rubric
from lms.users.models import User


class Aggregation(enum.StrEnum):
    MEAN = "mean"  # the mean of every graded submission
    BEST = "best"  # the mean of the best N


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"  # being written; only the participant sees it
    SUBMITTED = "submitted"  # handed in; instructors grade it
    RETURNED = "returned"  # sent back for revision; the participant edits and resubmits


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60), default="reflection")
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After the cut-off nothing is accepted, unless the participant has an extension.
    cutoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubrics.id", ondelete="RESTRICT"), index=True)
    max_submissions: Mapped[int] = mapped_column(Integer, default=1)
    aggregation: Mapped[Aggregation] = mapped_column(
        enum_type(Aggregation, "assessment_aggregation", 16), default=Aggregation.MEAN
    )
    best_n: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    rubric: Mapped[Rubric | None] = relationship()


class Extension(Base):
    """A later cut-off for one participant, granted by a coordinator."""

    __tablename__ = "assessment_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("assessment_id", "participant_id"),)


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[SubmissionState] = mapped_column(
        enum_type(SubmissionState, "submission_state", 16), default=SubmissionState.DRAFT
    )
    body: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock: a save based on an older version is refused as a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Submitted and without a final grade (none yet, or a draft): the work the staff dashboard counts.
    # Derived, never set by hand: lms.grading.services keeps it after every flush that changes a
    # submission's state or a grade (refresh_awaiting_grade), so the count reads a partial index of
    # the waiting work only instead of an anti-join over every submission of the cohort (issue 13).
    awaiting_grade: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    assessment: Mapped[Assessment] = relationship()
    participant: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("assessment_id", "participant_id", "attempt"),
        # An assessment's submitted work (progress, results, the dashboard's count) without reading
        # the drafts; the grading queue walks the submitted work oldest first and stops at a page.
        Index("ix_submissions_assessment_id_state", "assessment_id", "state"),
        Index("ix_submissions_state_submitted_at", "state", "submitted_at", "id"),
        Index(
            "ix_submissions_awaiting_grade",
            "assessment_id",
            postgresql_where=text("awaiting_grade"),
            sqlite_where=text("awaiting_grade"),
        ),
    )
    # Versioned UPDATEs: a write based on a stale read fails instead of overwriting (see Grade).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Revision(Base):
    """One saved state of a submission's body; the history a participant can go back to."""

    __tablename__ = "submission_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the submission's version this revision produced
    body: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(20), default="save")  # autosave | save | submit | restore | conflict
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
