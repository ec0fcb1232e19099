"""Reads of assessments and submissions that pages share (no rules, no writes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, Subquery, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.assessments.models import Assessment, Extension, Submission, SubmissionState


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


def due_rows(participant: BindParameter[Any], now: BindParameter[Any], cohort_ids: Select[Any]) -> Subquery:
    """A participant's open assessments not handed in, in the cohorts ``cohort_ids`` selects, as a
    subquery of plain rows: ``id``, ``title``, ``due_at``, ``state`` of their latest attempt or
    None, ``extended`` their own cut-off or None, and ``pos``, their place soonest due first. Open:
    no cut-off, a cut-off still ahead, or an extension still running. For a page's statement (the
    dashboard reads it with the released grades in one round trip: :func:`lms.grading.queries.work_of`)."""
    latest_state = (
        select(Submission.state)
        .where(Submission.assessment_id == Assessment.id, Submission.participant_id == participant)
        .order_by(Submission.attempt.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = (
        select(
            Assessment.id,
            Assessment.title,
            Assessment.due_at,
            latest_state.label("state"),
            Extension.cutoff_at.label("extended"),
        )
        .outerjoin(Extension, (Extension.assessment_id == Assessment.id) & (Extension.participant_id == participant))
        .where(
            Assessment.cohort_id.in_(cohort_ids),
            Assessment.due_at.is_not(None),
            or_(Assessment.cutoff_at.is_(None), Assessment.cutoff_at > now, Extension.cutoff_at > now),
        )
        .subquery()
    )
    return (
        select(rows, func.row_number().over(order_by=(rows.c.due_at, rows.c.id)).label("pos"))
        .where(or_(rows.c.state.is_(None), rows.c.state != SubmissionState.SUBMITTED))
        .subquery()
    )
