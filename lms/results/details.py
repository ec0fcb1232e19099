"""Detail rows for the exports: each released grade's criteria (the criteria sheet) and feedback
(the participants' results sheets), streamed or in one query."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Float, Select, select, type_coerce
from sqlalchemy.orm import Session, aliased

from lms.assessments import kinds
from lms.assessments.models import Assessment, Submission
from lms.grading.models import Grade, GradeCriterion, GradeStatus
from lms.results.table import ResultTable
from lms.rubrics.models import Criterion, Level, Rubric
from lms.users.models import ParticipantProfile, User


class CriterionRow(NamedTuple):
    """A tuple, not a dataclass: a large export makes ~100,000 of them, and tuples are made in C."""

    participant_id: int
    assessment_id: int
    grade_id: int
    attempt: int
    criterion: str
    level: str | None
    points: float | None
    max_points: float | None
    comment: str
    grader: str | None
    graded_at: datetime | None  # the same object for every row of one grade


_PARTICIPANT = aliased(User)


def _released_criteria(assessment_ids: list[int], *columns: Any) -> Select[Any]:
    """``columns`` of every criterion row of the released grades of these assessments, in the
    sheets' order: peserta by name, assessments by due date, attempt, criterion (``_PARTICIPANT`` is
    the peserta's user). The one statement the PDF's criteria and the XLSX's criteria sheet read."""
    return (
        select(*columns)
        .select_from(GradeCriterion)
        .join(Grade, Grade.id == GradeCriterion.grade_id)
        .join(Submission, Submission.id == Grade.submission_id)
        .join(Assessment, Assessment.id == Submission.assessment_id)
        .join(_PARTICIPANT, _PARTICIPANT.id == Submission.participant_id)
        .join(Criterion, Criterion.id == GradeCriterion.criterion_id)
        .where(Submission.assessment_id.in_(assessment_ids), Grade.status == GradeStatus.RELEASED)
        .order_by(
            _PARTICIPANT.name,
            _PARTICIPANT.id,
            Assessment.due_at.is_(None),
            Assessment.due_at,
            Assessment.id,
            Submission.attempt,
            Criterion.position,
            Criterion.id,
        )
    )


def _released_grades(assessment_ids: list[int], participant_ids: list[int] | None = None) -> Select[Any]:
    """The ids of the released grades of these assessments (of these peserta only, if given)."""
    stmt = (
        select(Grade.id)
        .join(Submission, Submission.id == Grade.submission_id)
        .where(Submission.assessment_id.in_(assessment_ids), Grade.status == GradeStatus.RELEASED)
    )
    return stmt if participant_ids is None else stmt.where(Submission.participant_id.in_(participant_ids))


def _grader_names(session: Session, released: Select[Any]) -> dict[int, str]:
    """Who graded the grades ``released`` selects, by user id (one query)."""
    graders = select(Grade.grader_id).where(Grade.id.in_(released))
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(graders))).all())


def criterion_rows(
    session: Session,
    table: ResultTable,
    participant_ids: Iterable[int] | None = None,
    batch: int = 2000,
) -> Iterator[CriterionRow]:
    """One row per released grade × criterion, by participant name, assessment and criterion.

    Four queries: the cohort's criteria and levels, the graders, the grading times, and the rows
    themselves, streamed ``batch`` at a time so that a large cohort's sheet never sits in memory
    whole. The stream carries ids and numbers only; names come from the small lookups (per-row
    strings, decimals and dates cost more than the query). Rows of people who are no longer
    participants of the cohort are left out.
    """
    ids = [a.id for a in table.assessments]
    if not ids:
        return
    keep = set(participant_ids) if participant_ids is not None else {r.participant_id for r in table.rows}
    criteria: dict[int, tuple[str, float]] = {}
    levels: dict[int, str] = {}
    for cid, title, level_id, label, points in session.execute(
        select(Criterion.id, Criterion.title, Level.id, Level.label, type_coerce(Level.points, Float))
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .outerjoin(Level, Level.criterion_id == Criterion.id)
        .where(Rubric.cohort_id == table.cohort.id)
    ):
        best = criteria.get(cid, (title, 0.0))[1]
        criteria[cid] = (title, max(best, points or 0.0))
        if level_id is not None:
            levels[level_id] = label
    released = _released_grades(ids, None if participant_ids is None else list(keep))
    graders = _grader_names(session, released)
    graded_at = dict(session.execute(select(Grade.id, Grade.updated_at).where(Grade.id.in_(released))).all())
    stmt = _released_criteria(
        ids,
        Submission.participant_id,
        Submission.assessment_id,
        Grade.id,
        Submission.attempt,
        GradeCriterion.criterion_id,
        GradeCriterion.level_id,
        type_coerce(GradeCriterion.points, Float),
        GradeCriterion.comment,
        Grade.grader_id,
    )
    if participant_ids is not None:
        stmt = stmt.where(Submission.participant_id.in_(list(keep)))
    # Core, not ORM, execution: plain rows of ids and numbers need none of the ORM's row handling.
    # On the statement, not the connection: Connection.execution_options() changes the session's
    # connection in place, and every later statement of the request (an INSERT) would then be sent
    # as a server-side cursor, which PostgreSQL refuses.
    result = session.connection().execute(stmt.execution_options(yield_per=batch))
    for (
        pid,
        aid,
        grade_id,
        attempt,
        cid,
        level_id,
        points,
        comment,
        grader_id,
    ) in result:
        if pid not in keep:
            continue
        title, max_points = criteria.get(cid, ("", 0.0))
        yield CriterionRow(
            pid,
            aid,
            grade_id,
            attempt,
            title,
            levels.get(level_id) if level_id else None,
            points,
            max_points,
            comment or "",
            graders.get(grader_id),
            graded_at.get(grade_id),
        )


class CriterionLine(NamedTuple):
    """A row of the XLSX criteria sheet as :func:`criterion_lines` streams it: the names are read
    with it, and nothing is looked up per cohort (the graders and criteria are the staff's and the
    rubrics', few whatever the cohort size)."""

    nip: str
    name: str
    assessment_id: int
    attempt: int
    title: str | None  # the work's own name (a practice's title), where its kind gives one
    criterion: str
    level: str | None
    points: float | None
    comment: str
    grader: str | None
    grade_id: int
    graded_at: datetime | None


# Rows per fetch of the criteria sheet's server-side cursor. A batch is held twice at its peak (the
# cursor's buffer and the partition), ~600 bytes a row: 2,000 rows were ~2.5 MB, most of a large
# XLSX's peak; 500 are ~0.6 MB and cost one more titles query per 500 rows (bench/export.py).
CRITERIA_BATCH = 500


def criterion_lines(
    session: Session, table: ResultTable, participants: Any, batch: int = CRITERIA_BATCH
) -> Iterator[CriterionLine]:
    """One line per released grade × criterion of the peserta ``participants`` (a SQL select of
    their ids) selects, by name, assessment and criterion: the criteria sheet of a streamed export.

    The rows are read from a server-side cursor ``batch`` at a time with the peserta's name and NIP
    and the grade's time; the works' own names (practices' titles) are asked per batch, for that
    batch's work. Memory is one batch's, whatever the cohort size (about 100,000 rows at 3,000
    peserta): no lookup of every grade or every peserta is built.
    """
    ids = [a.id for a in table.assessments]
    if not ids:
        return
    several = {a.id: a.kind for a in table.assessments if a.max_submissions > 1}
    criteria: dict[int, str] = {}
    levels: dict[int, str] = {}
    for cid, title, level_id, label in session.execute(
        select(Criterion.id, Criterion.title, Level.id, Level.label)
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .outerjoin(Level, Level.criterion_id == Criterion.id)
        .where(Rubric.cohort_id == table.cohort.id)
    ):
        criteria[cid] = title
        if level_id is not None:
            levels[level_id] = label
    graders = _grader_names(session, _released_grades(ids))
    stmt = (
        _released_criteria(
            ids,
            ParticipantProfile.nip,
            _PARTICIPANT.name,
            Submission.assessment_id,
            Submission.id,
            Submission.attempt,
            GradeCriterion.criterion_id,
            GradeCriterion.level_id,
            type_coerce(GradeCriterion.points, Float),
            GradeCriterion.comment,
            Grade.grader_id,
            Grade.id,
            Grade.updated_at,
        )
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == Submission.participant_id)
        .where(Submission.participant_id.in_(participants))
        .execution_options(yield_per=batch)
    )
    # On the statement, not the connection (see criterion_rows).
    result = session.connection().execute(stmt)
    for part in result.partitions(batch):
        named = (
            kinds.titles(session, {(row[3], several[row[2]]) for row in part if row[2] in several}) if several else {}
        )
        for nip, name, aid, sid, attempt, cid, level_id, points, comment, grader_id, grade_id, graded_at in part:
            yield CriterionLine(
                nip or "",
                name,
                aid,
                attempt,
                named.get(sid),
                criteria.get(cid, ""),
                levels.get(level_id) if level_id else None,
                points,
                comment or "",
                graders.get(grader_id),
                grade_id,
                graded_at,
            )


@dataclass(frozen=True, slots=True)
class Feedback:
    assessment_id: int
    attempt: int
    score: Decimal | None
    feedback: str
    released_at: datetime | None
    title: str = ""  # the work's own name (a practice's title), where its kind gives one


def work_titles(
    session: Session, table: ResultTable, participant_ids: Iterable[int] | None = None
) -> dict[tuple[int, int, int], str]:
    """The own name of each piece of work that has one, by (participant, assessment, attempt): shown
    instead of "attempt 2" (two queries, for the assessments that take several submissions)."""
    several = {a.id: a.kind for a in table.assessments if a.max_submissions > 1}
    if not several:
        return {}
    stmt = select(Submission.id, Submission.participant_id, Submission.assessment_id, Submission.attempt).where(
        Submission.assessment_id.in_(list(several))
    )
    if participant_ids is not None:
        stmt = stmt.where(Submission.participant_id.in_(list(participant_ids)))
    rows = session.execute(stmt).all()
    named = kinds.titles(session, [(sid, several[aid]) for sid, _pid, aid, _n in rows])
    return {(pid, aid, n): named[sid] for sid, pid, aid, n in rows if sid in named}


def feedback_of(
    session: Session, table: ResultTable, participant_ids: Iterable[int] | None = None
) -> dict[int, list[Feedback]]:
    """Released grades' feedback (Markdown) per participant of the table, or of ``participant_ids``,
    for the results sheets (one query)."""
    ids = [a.id for a in table.assessments]
    if not ids:
        return {}
    keep = set(participant_ids) if participant_ids is not None else {r.participant_id for r in table.rows}
    stmt = (
        select(
            Submission.participant_id,
            Submission.assessment_id,
            Submission.attempt,
            Grade.score,
            Grade.feedback,
            Grade.released_at,
        )
        .join(Grade, Grade.submission_id == Submission.id)
        .where(Submission.assessment_id.in_(ids), Grade.status == GradeStatus.RELEASED)
        .order_by(Submission.participant_id, Submission.assessment_id, Submission.attempt)
    )
    if participant_ids is not None:
        stmt = stmt.where(Submission.participant_id.in_(list(keep)))
    out: dict[int, list[Feedback]] = {}
    titles = work_titles(session, table, participant_ids)
    for pid, aid, attempt, score, feedback, released_at in session.execute(stmt):
        if pid in keep:
            out.setdefault(pid, []).append(
                Feedback(
                    aid,
                    attempt,
                    None if score is None else Decimal(score),
                    feedback or "",
                    released_at,
                    titles.get((pid, aid, attempt), ""),
                )
            )
    order = {a.id: i for i, a in enumerate(table.assessments)}
    for items in out.values():
        items.sort(key=lambda f: (order.get(f.assessment_id, 0), f.attempt))
    return out
