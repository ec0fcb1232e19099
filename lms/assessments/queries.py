"""Reads of assessments and submissions that pages share (no rules, no writes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.assessments.models import Assessment, Submission


def assessments_of_cohorts(session: Session, cohort_ids: Iterable[int]) -> list[Assessment]:
    """Every assessment of these cohorts with its cohort, soonest due first (none due last)."""
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.cohort_id.in_(list(cohort_ids)))
            .options(selectinload(Assessment.cohort))
            .order_by(Assessment.due_at.is_(None), Assessment.due_at, Assessment.id)
        )
    )


def assessments_by_title(session: Session, cohort_ids: Iterable[int]) -> list[Assessment]:
    return list(
        session.scalars(select(Assessment).where(Assessment.cohort_id.in_(list(cohort_ids))).order_by(Assessment.title))
    )


def open_and_due(session: Session, cohort_ids: Iterable[int], now: datetime, limit: int) -> list[Assessment]:
    """Assessments of these cohorts with a due time that still take work at ``now``, soonest first."""
    return list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.cohort_id.in_(list(cohort_ids)),
                Assessment.due_at.is_not(None),
                (Assessment.cutoff_at.is_(None)) | (Assessment.cutoff_at > now),
            )
            .order_by(Assessment.due_at)
            .limit(limit)
        )
    )


def submission_for_grading(session: Session, submission_id: int) -> Submission:
    """The submission with its assessment and participant (the grading page's one query for them)."""
    return session.scalars(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(joinedload(Submission.assessment), joinedload(Submission.participant))
    ).one()


def submissions_by_id(session: Session, assessment_id: int) -> dict[int, Submission]:
    """Every submission of the assessment, with its participant, by id."""
    return {
        s.id: s
        for s in session.scalars(
            select(Submission)
            .where(Submission.assessment_id == assessment_id)
            .options(joinedload(Submission.participant))
        )
    }
