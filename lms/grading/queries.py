"""Reads of grades that pages share (no rules, no writes)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.grading.models import Grade, GradeStatus


def awaiting_final_grade(session: Session, cohort_ids: Iterable[int]) -> int:
    """Submitted work without a final grade in these cohorts."""
    ids = list(cohort_ids)
    if not ids:
        return 0
    # NOT EXISTS: an anti-join over the (assessment_id, state) index, where "LEFT JOIN … IS NULL OR
    # draft" made PostgreSQL fetch every submission of the cohort with its grade.
    final = select(Grade.id).where(Grade.submission_id == Submission.id, Grade.status != GradeStatus.DRAFT)
    return (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .join(Assessment, Assessment.id == Submission.assessment_id)
            .where(Assessment.cohort_id.in_(ids), Submission.state == SubmissionState.SUBMITTED, ~final.exists())
        )
        or 0
    )
