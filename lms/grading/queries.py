"""Reads of grades that pages share (no rules, no writes)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Executable, Row, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission
from lms.assessments.queries import due_rows
from lms.cohorts.models import Membership, Role
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


_DUE, _RELEASED = 1, 2  # the work statement's kinds of row, in the order they come


@functools.cache
def _work_statement() -> Executable:
    """Built once (constructing it costs more than running it); read on the session's connection:
    plain values, none of the ORM's per-statement work."""
    participant: BindParameter[Any] = bindparam("participant_id")
    # Their cohorts as a subquery, not a list of ids: an expanding list is rendered again for each call.
    cohort_ids = select(Membership.cohort_id).where(
        Membership.user_id == participant, Membership.role == Role.PARTICIPANT
    )
    due = due_rows(participant, bindparam("now"), cohort_ids)
    released = (
        select(
            Assessment.id,
            Assessment.title,
            Grade.score,
            func.row_number().over(order_by=(Grade.released_at.desc(), Grade.id.desc())).label("pos"),
        )
        .join(Submission, Submission.assessment_id == Assessment.id)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Assessment.cohort_id.in_(cohort_ids),
            Submission.participant_id == participant,
            Grade.status == GradeStatus.RELEASED,
        )
        .subquery()
    )
    # The first select gives the result's column types: the due rows' dates and the grades' scores.
    no_score = cast(null(), Grade.score.type)
    both = union_all(
        select(literal(_DUE).label("kind"), due.c.id, due.c.title, due.c.due_at, due.c.state, due.c.extended)
        .add_columns(no_score.label("score"), due.c.pos)
        .where(due.c.pos <= bindparam("due_limit")),
        select(literal(_RELEASED), released.c.id, released.c.title, null(), null(), null())
        .add_columns(released.c.score, released.c.pos)
        .where(released.c.pos <= bindparam("released_limit")),
    ).subquery()
    return select(both).order_by(both.c.kind, both.c.pos)


def work_of(
    session: Session, participant_id: int, now: datetime, due_limit: int = 5, released_limit: int = 10
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """A participant's work for their dashboard, in every cohort they are a peserta of, in one round
    trip: their open assessments not handed in, soonest due first
    (:func:`lms.assessments.queries.due_rows`: ``id``, ``title``, ``due_at``, ``state``,
    ``extended``), and their released grades, newest first (``id`` and ``title`` of the assessment,
    ``score``)."""
    params = {
        "participant_id": participant_id,
        "now": now,
        "due_limit": due_limit,
        "released_limit": released_limit,
    }
    rows = session.connection().execute(_work_statement(), params).all()
    return [r for r in rows if r.kind == _DUE], [r for r in rows if r.kind == _RELEASED]
