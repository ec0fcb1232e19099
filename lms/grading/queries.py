"""Reads of grades that pages share (no rules, no writes)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Executable, Row, bindparam, func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission
from lms.grading.models import Grade, GradeStatus


def awaiting_final_grade(session: Session, cohort_ids: Iterable[int]) -> int:
    """Submitted work without a final grade in these cohorts.

    Reads the partial index of the waiting work (``Submission.awaiting_grade``, kept by
    lms.grading.services): the same few milliseconds for a cohort of 150 or 3,000, where the
    anti-join of every submitted piece against the grades grew with the cohort (issue 13).
    """
    ids = list(cohort_ids)
    if not ids:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .join(Assessment, Assessment.id == Submission.assessment_id)
            .where(Assessment.cohort_id.in_(ids), Submission.awaiting_grade)
        )
        or 0
    )


@functools.cache
def _released_statement() -> Executable:
    """Built once (constructing it costs more than running it); read on the session's connection:
    plain values, none of the ORM's per-statement work."""
    return (
        select(Assessment.id, Assessment.title, Grade.score)
        .join(Submission, Submission.assessment_id == Assessment.id)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Assessment.cohort_id.in_(bindparam("cohort_ids", expanding=True)),
            Submission.participant_id == bindparam("participant_id"),
            Grade.status == GradeStatus.RELEASED,
        )
        .order_by(Grade.released_at.desc(), Grade.id.desc())
        .limit(bindparam("limit"))
    )


def released_for(session: Session, participant_id: int, cohort_ids: Iterable[int], limit: int = 10) -> list[Row[Any]]:
    """A participant's released grades, newest first (one query of plain rows: ``id`` and ``title``
    of the assessment, ``score``)."""
    ids = list(cohort_ids)
    if not ids:
        return []
    params = {"participant_id": participant_id, "cohort_ids": ids, "limit": limit}
    return list(session.connection().execute(_released_statement(), params))
