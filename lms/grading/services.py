"""The grading engine: scores from rubric levels, a state machine for grades, optimistic locking and
an append-only audit of every change. Plugins' kinds of work are graded by the same engine.

Score (documented in docs/grading.md): for criteria i with weight wᵢ, chosen points pᵢ and the
criterion's highest points maxᵢ, score = Σ wᵢ·pᵢ/maxᵢ ÷ Σ wᵢ × 100, computed exactly and rounded once,
half-up, to two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Select, Table, and_, case, event, func, inspect, select, update
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.core.logging import security_on_commit
from lms.core.scores import exact, half_up, mean
from lms.db import changed_rows
from lms.grading.models import Grade, GradeCriterion, GradeEvent, GradeStatus
from lms.notifications import events as notifications
from lms.notifications.models import Notification
from lms.rubrics.models import Rubric
from lms.rubrics.services import freeze
from lms.users.models import ParticipantProfile, User

# -- the score -----------------------------------------------------------------------------------


def weighted_score(terms: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal | None:
    """Σ wᵢ·pᵢ/maxᵢ ÷ Σ wᵢ × 100 over ``(weight, points, max_points)``, half-up to 0.01.

    None when there is nothing to weigh (no criteria, or every weight zero). A criterion whose
    highest level is worth 0 points adds its weight but nothing earned (0/0 counts as 0).
    """
    exact_value = exact_weighted_score(terms)
    return None if exact_value is None else half_up(exact_value)


def exact_weighted_score(terms: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Fraction | None:
    """:func:`weighted_score` before rounding, as an exact fraction (thirds stay thirds)."""
    total_weight = Fraction(0)
    earned = Fraction(0)
    for weight, points, maximum in terms:
        total_weight += exact(weight)
        if maximum > 0:
            earned += exact(weight) * exact(points) / exact(maximum)
    if total_weight <= 0:
        return None
    return earned / total_weight * 100


def rubric_score(rubric: Rubric, chosen: dict[int, int | None]) -> Decimal | None:
    """The score of levels chosen per criterion id; None while any criterion has no level."""
    terms = []
    for criterion in rubric.criteria:
        level_id = chosen.get(criterion.id)
        level = next((lv for lv in criterion.levels if lv.id == level_id), None)
        if level is None:
            return None
        terms.append((Decimal(criterion.weight), Decimal(level.points), Decimal(criterion.max_points)))
    return weighted_score(terms)


# -- grades --------------------------------------------------------------------------------------


class GradeConflict(Conflict):
    """Someone else saved this grade since the page was opened; their values are in ``grade``."""

    def __init__(self, grade: Grade) -> None:
        super().__init__(
            _l(
                "Another grader saved this grade while you were working. Their values are "
                "shown below; yours were not saved. Review and save again."
            )
        )
        self.grade = grade


@dataclass(frozen=True)
class GradeInput:
    levels: Mapping[int, int | None]  # criterion id → level id
    comments: dict[int, str]  # criterion id → comment
    feedback: str = ""
    finalize: bool = False
    reason: str = ""


def snapshot(grade: Grade | None) -> dict[str, Any] | None:
    """What the audit records of a grade: status, score, feedback and every criterion."""
    if grade is None:
        return None
    return {
        "status": grade.status.value if grade.status else None,
        "score": None if grade.score is None else str(grade.score),
        "feedback": grade.feedback,
        "rubric_id": grade.rubric_id,
        "criteria": {
            str(c.criterion_id): {
                "level_id": c.level_id,
                "points": None if c.points is None else str(c.points),
                "comment": c.comment,
            }
            for c in sorted(grade.criteria, key=lambda c: c.criterion_id)
        },
    }


def _event(
    session: Session, grade: Grade, actor: User, action: str, before: dict | None, reason: str, now: datetime
) -> None:
    session.add(
        GradeEvent(
            grade_id=grade.id,
            submission_id=grade.submission_id,
            actor_id=actor.id,
            action=action,
            at=now,
            before=before,
            after=snapshot(grade),
            reason=reason.strip(),
        )
    )
    security_on_commit(
        session,
        "grade.changed",
        action=action,
        grade_id=grade.id,
        submission_id=grade.submission_id,
        actor_id=actor.id,
        score_before=(before or {}).get("score"),
        score_after=None if grade.score is None else str(grade.score),
    )


def grade_of(session: Session, submission_id: int) -> Grade | None:
    return session.scalar(select(Grade).where(Grade.submission_id == submission_id))


def rubric_for_grading(assessment: Assessment, grade: Grade | None) -> Rubric | None:
    """The rubric version to grade with: the grade's own, unless it was marked for review after a
    rubric edit, in which case the assessment's current version."""
    if grade is not None and grade.rubric is not None and not grade.needs_review:
        return grade.rubric
    return assessment.rubric


def save_grade(
    session: Session,
    submission: Submission,
    grader: User,
    data: GradeInput,
    base_version: int | None,
    now: datetime,
    seen_submission_version: int | None = None,
) -> Grade:
    """Create or change the grade of a submitted piece of work, in one flush, audited.

    ``base_version`` is the grade version the grader's page showed (None for a new grade): if the
    grade moved on since, :class:`GradeConflict` is raised and nothing is written. Changing a
    released grade needs a reason. Finalizing needs a level for every criterion.
    """

    assessment = submission.assessment
    ensure_editable(assessment.cohort)
    # Lock the submission row: saves of one submission's grade (and a withdrawal) run one at a time,
    # so the version checks below cannot be passed by two writers at once.
    session.refresh(submission, with_for_update=True)
    not_submitted = Conflict(_l("Only submitted work can be graded; this one is a draft or was returned for revision."))
    if submission.state != SubmissionState.SUBMITTED:
        raise not_submitted
    # A write that re-reads the state: on SQLite the lock above is a plain read, and a withdrawal
    # committed meanwhile is only seen by a statement that waits for the write lock (a no-op UPDATE).
    touched = changed_rows(
        session,
        update(Submission)
        .where(Submission.id == submission.id, Submission.state == SubmissionState.SUBMITTED)
        .values(state=Submission.state)
        .execution_options(synchronize_session=False),
    )
    if touched != 1:
        raise not_submitted
    if seen_submission_version is not None and seen_submission_version != submission.version:
        raise Conflict(
            _l("The participant changed this work after you opened it; reload the page and grade what is there now.")
        )
    grade = grade_of(session, submission.id)
    if grade is None and base_version is not None:
        raise Conflict(_l("The grade was removed meanwhile; reload the page."))
    if grade is not None and base_version != grade.version:
        raise GradeConflict(grade)
    if grade is not None and grade.status == GradeStatus.RELEASED and not data.reason.strip():
        raise DomainError(_l("This grade is already released: say why you change it."), field="reason")
    before = snapshot(grade)
    rubric = rubric_for_grading(assessment, grade)
    if grade is None:
        grade = Grade(submission_id=submission.id, status=GradeStatus.DRAFT, version=0)
        session.add(grade)
        session.flush()
    grade.grader_id = grader.id
    grade.feedback = data.feedback.strip()
    grade.needs_review = False
    if rubric is not None:
        _apply_levels(grade, rubric, data)
        grade.score = rubric_score(rubric, {c.criterion_id: c.level_id for c in grade.criteria})
        if grade.rubric_id != rubric.id:
            grade.rubric_id = rubric.id
        freeze(session, rubric)
    else:
        grade.rubric_id = None
        grade.score = None
    if data.finalize or grade.status != GradeStatus.DRAFT:
        if rubric is not None and grade.score is None:
            raise DomainError(_l("Choose a level for every criterion before finalizing."))
        if rubric is None and not grade.feedback:
            raise DomainError(_l("Write feedback before finalizing."), field="feedback")
        if grade.status == GradeStatus.DRAFT:
            grade.status = GradeStatus.FINAL
    grade.version += 1
    grade.updated_at = now
    session.flush()
    action = "finalize" if data.finalize and (before is None or before["status"] == GradeStatus.DRAFT.value) else "save"
    if before is not None and before["status"] == GradeStatus.RELEASED.value:
        action = "adjust"
    _event(session, grade, grader, action, before, data.reason, now)
    session.flush()
    return grade


def _apply_levels(grade: Grade, rubric: Rubric, data: GradeInput) -> None:
    existing = {c.criterion_id: c for c in grade.criteria}
    valid_ids = {c.id for c in rubric.criteria}
    for criterion_id in list(existing):
        if criterion_id not in valid_ids:  # the grade moves to a newer rubric version
            grade.criteria.remove(existing.pop(criterion_id))
    for criterion in rubric.criteria:
        level_id = data.levels.get(criterion.id)
        level = next((lv for lv in criterion.levels if lv.id == level_id), None)
        if level_id is not None and level is None:
            raise DomainError(_l("A chosen level does not belong to the rubric."))
        row = existing.get(criterion.id)
        if row is None:
            row = GradeCriterion(criterion_id=criterion.id)
            grade.criteria.append(row)
        row.level_id = level.id if level else None
        row.points = level.points if level else None
        row.comment = (data.comments.get(criterion.id) or "").strip()


def release(session: Session, grade: Grade, actor: User, now: datetime) -> None:
    """Show a final grade to its participant; releasing twice or releasing a draft is refused.

    Two graders pressing "release" at once: the row lock makes the second wait and then see the
    first's release (PostgreSQL); where there is no row lock (SQLite) the versioned UPDATE of the
    second matches nothing. Either way the second gets :class:`Conflict`, never a second release.
    """
    ensure_editable(grade.submission.assessment.cohort)
    session.refresh(grade, with_for_update=True)
    if grade.status == GradeStatus.RELEASED:
        raise Conflict(_l("This grade is already released."))
    if grade.status != GradeStatus.FINAL:
        raise Conflict(_l("Only final grades can be released; finalize it first."))
    if grade.rubric_id is not None and grade.score is None:
        raise Conflict(_l("Choose a level for every criterion before releasing."))
    if grade.needs_review:
        raise Conflict(_l("The rubric changed since this grade was given; review it before releasing."))
    before = snapshot(grade)
    grade.status = GradeStatus.RELEASED
    grade.released_at = now
    grade.version += 1
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            _l("This grade was changed or released by someone else at the same moment; reload the page to see it.")
        ) from None
    _event(session, grade, actor, "release", before, "", now)
    notifications.grades_released(session, [grade], actor, now)


def release_assessment(session: Session, assessment: Assessment, actor: User, now: datetime) -> int:
    """Release every final grade of the assessment; returns how many were released."""
    ensure_editable(assessment.cohort)
    grades = session.scalars(
        select(Grade)
        .join(Submission)
        .where(
            Submission.assessment_id == assessment.id,
            Grade.status == GradeStatus.FINAL,
            Grade.needs_review.is_(False),
            (Grade.rubric_id.is_(None)) | (Grade.score.is_not(None)),
        )
        .options(selectinload(Grade.criteria), joinedload(Grade.submission))
    ).all()
    for grade in grades:
        before = snapshot(grade)
        grade.status, grade.released_at = GradeStatus.RELEASED, now
        grade.version += 1
        session.flush()
        _event(session, grade, actor, "release", before, "", now)
    session.flush()
    notifications.grades_released(session, grades, actor, now)
    return len(grades)


def return_for_revision(session: Session, submission: Submission, actor: User, note: str, now: datetime) -> None:
    """Send submitted work back: the participant edits and resubmits; its grade goes back to draft."""
    ensure_editable(submission.assessment.cohort)
    if submission.state != SubmissionState.SUBMITTED:
        raise Conflict(_l("Only submitted work can be returned for revision."))
    grade = grade_of(session, submission.id)
    if grade is not None and grade.status == GradeStatus.RELEASED:
        raise Conflict(_l("The grade is released; change the grade instead of returning the work."))
    if grade is None:
        grade = Grade(
            submission_id=submission.id, status=GradeStatus.DRAFT, grader_id=actor.id, version=0, rubric_id=None
        )
        session.add(grade)
        session.flush()
    before = snapshot(grade)
    if note.strip():
        grade.feedback = note.strip()
    grade.status = GradeStatus.DRAFT
    grade.version += 1
    submission.state = SubmissionState.RETURNED
    session.flush()
    _event(session, grade, actor, "return", before, note, now)
    notifications.work_returned(session, submission, actor, note, now)


# -- work waiting for a final grade (Submission.awaiting_grade) ------------------------------------


def _awaiting_now() -> Any:
    """Whether a submission row waits for a final grade, computed from the rows themselves."""
    submissions, grades = Submission.__table__, Grade.__table__
    final = select(grades.c.id).where(grades.c.submission_id == submissions.c.id, grades.c.status != GradeStatus.DRAFT)
    return and_(submissions.c.state == SubmissionState.SUBMITTED, ~final.exists())


def refresh_awaiting_grade(connection: Connection, submission_ids: Iterable[int] | None = None) -> dict[int, bool]:
    """Recompute ``awaiting_grade`` of these submissions (of all: None, then returns nothing) from
    their state and grade; returns each given submission's new value.

    For writes the flush listener cannot see (bulk inserts, as bench/data.py makes); the migration
    that added the column backfilled it with the same rule.
    """
    submissions = cast(Table, Submission.__table__)
    stmt = update(submissions).values(awaiting_grade=_awaiting_now())
    if submission_ids is None:
        connection.execute(stmt)
        return {}
    ids = sorted(set(submission_ids))
    found: dict[int, bool] = {}
    for start in range(0, len(ids), 1000):
        chunk = stmt.where(submissions.c.id.in_(ids[start : start + 1000]))
        for submission_id, waiting in connection.execute(
            chunk.returning(submissions.c.id, submissions.c.awaiting_grade)
        ):
            found[submission_id] = waiting
    return found


def _changed(obj: Any, *keys: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in keys)


# Submission ids of grades being deleted, noted before the flush (their rows can still be read then).
_UNGRADED = "lms.grading.ungraded"


@event.listens_for(Session, "before_flush")
def _note_deleted_grades(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, Grade):
            session.info.setdefault(_UNGRADED, set()).add(obj.submission_id)


@event.listens_for(Session, "after_flush")
def _keep_awaiting_grade(session: Session, _context: Any) -> None:
    # In the same transaction as the write: a new or deleted grade, a grade's status, a submission
    # handed in, withdrawn or returned. A draft's autosave changes none of these and costs nothing.
    touched: set[int] = session.info.pop(_UNGRADED, set())
    gone: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Grade):
            touched.add(obj.submission_id)
        elif isinstance(obj, Submission) and obj.state == SubmissionState.SUBMITTED:
            touched.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Grade) and _changed(obj, "status", "submission_id"):
            touched.add(obj.submission_id)
            touched.update(inspect(obj).attrs["submission_id"].history.deleted or ())
        elif isinstance(obj, Submission) and _changed(obj, "state"):
            touched.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Submission):
            gone.add(obj.id)
    touched -= gone  # recomputing an id whose row is gone (a stale note) matches nothing either
    if not touched:
        return
    for submission_id, waiting in refresh_awaiting_grade(session.connection(), touched).items():
        loaded = session.identity_map.get(inspect(Submission).identity_key_from_primary_key((submission_id,)))
        if loaded is not None:
            set_committed_value(loaded, "awaiting_grade", waiting)


# -- lists ---------------------------------------------------------------------------------------

QUEUE_STATES = ("ungraded", "draft", "final", "released", "review", "returned")


def queue(
    cohort_ids: Sequence[int],
    *,
    cohort_id: int | None = None,
    assessment_id: int | None = None,
    state: str = "",
    late: bool | None = None,
    search: str = "",
    members: Sequence[Any] = (),
    leave_out: Sequence[Any] = (),
) -> Select[Submission, Grade]:
    """Submissions to grade in the given cohorts, oldest submission first, with their grade.

    Rows are ``(Submission, Grade | None)``; the assessment and participant come with them, so a
    page of the queue is one query whatever the cohort size. The assessment is read from the join
    that filters by cohort (a second, eager join of the same table made PostgreSQL plan a nested
    loop over every ungraded submission: 3.8 s for an admin at 78,600 submissions), and "ungraded"
    is a NOT EXISTS, which the planner runs as an anti-join.

    ``search`` matches the participant's name or NIP (typed with or without its spaces);
    ``members`` are SQL selects of participant ids to keep (a plugin's group filter);
    ``leave_out`` are SQL selects of assessment ids whose work is graded elsewhere (a kind's
    ``graded_elsewhere``), ignored when the queue is filtered by one assessment.
    """
    wanted = {
        "ungraded": [SubmissionState.SUBMITTED],
        "returned": [SubmissionState.RETURNED],
        "draft": [SubmissionState.SUBMITTED],
        "final": [SubmissionState.SUBMITTED],
        "released": [SubmissionState.SUBMITTED],
    }.get(state, [SubmissionState.SUBMITTED, SubmissionState.RETURNED])
    stmt = (
        select(Submission, Grade)
        .join(Assessment, Submission.assessment_id == Assessment.id)
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(
            Assessment.cohort_id.in_(list(cohort_ids)),
            Submission.state == wanted[0] if len(wanted) == 1 else Submission.state.in_(wanted),
        )
        .options(contains_eager(Submission.assessment), joinedload(Submission.participant))
        .order_by(Submission.submitted_at, Submission.id)
    )
    if cohort_id:
        stmt = stmt.where(Assessment.cohort_id == cohort_id)
    if assessment_id:
        stmt = stmt.where(Submission.assessment_id == assessment_id)
    else:
        for elsewhere in leave_out:
            stmt = stmt.where(Submission.assessment_id.not_in(elsewhere))
    if late is not None:
        stmt = stmt.where(Submission.late.is_(late))
    words = search.strip()[:100]
    if words:
        stmt = stmt.where(Submission.participant_id.in_(people_matching(words)))
    for kept in members:
        stmt = stmt.where(Submission.participant_id.in_(kept))
    if state == "ungraded":
        any_grade = aliased(Grade)  # not the outer-joined one: the subquery must not correlate to it
        stmt = stmt.where(~select(any_grade.id).where(any_grade.submission_id == Submission.id).exists())
    elif state == "review":
        stmt = stmt.where(Grade.needs_review.is_(True))
    elif state in {"draft", "final", "released"}:
        stmt = stmt.where(Grade.status == GradeStatus(state))
    return stmt


def progress(session: Session, assessments: Sequence[Assessment]) -> dict[int, dict[str, int]]:
    """Per assessment: participants, submitted, graded (final or released) and released, in two queries."""
    ids = [a.id for a in assessments]
    result = {a.id: {"participants": 0, "submitted": 0, "graded": 0, "released": 0} for a in assessments}
    if not ids:
        return result
    cohort_ids = {a.cohort_id for a in assessments}
    people = dict(
        session.execute(
            select(Membership.cohort_id, func.count())
            .where(Membership.cohort_id.in_(cohort_ids), Membership.role == Role.PARTICIPANT)
            .group_by(Membership.cohort_id)
        ).all()
    )
    for a in assessments:
        result[a.id]["participants"] = people.get(a.cohort_id, 0)
    rows = session.execute(
        select(
            Submission.assessment_id,
            func.count(func.distinct(case((Submission.state == SubmissionState.SUBMITTED, Submission.participant_id)))),
            func.count(
                func.distinct(
                    case((Grade.status.in_([GradeStatus.FINAL, GradeStatus.RELEASED]), Submission.participant_id))
                )
            ),
            func.count(func.distinct(case((Grade.status == GradeStatus.RELEASED, Submission.participant_id)))),
        )
        .outerjoin(Grade, and_(Grade.submission_id == Submission.id))
        .where(Submission.assessment_id.in_(ids))
        .group_by(Submission.assessment_id)
    )
    for assessment_id, submitted, graded, released in rows:
        result[assessment_id].update(submitted=submitted, graded=graded, released=released)
    return result


def people_matching(words: str) -> Select[int]:
    """Ids of the people whose name contains ``words`` or whose NIP contains its digits."""
    digits = "".join(c for c in words if not c.isspace())
    name = func.lower(User.name).contains(words.lower(), autoescape=True)
    match = name | ParticipantProfile.nip.contains(digits, autoescape=True) if digits.isdigit() else name
    return select(User.id).outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id).where(match)


PROGRESS_FILTERS = ("missing", "ungraded", "graded", "released")


def progress_people(
    assessment: Assessment, *, show: str = "", query: str = "", descending: bool = False
) -> Select[User]:
    """The cohort's participants for the progress page, filtered and sorted by the database.

    ``show``: ``missing`` (nothing submitted), ``ungraded`` (submitted, no final or released grade),
    ``graded`` (final or released) or ``released``; ``query`` matches the name or the NIP.
    """

    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == assessment.cohort_id, Membership.role == Role.PARTICIPANT)
    )
    submitted = select(Submission.id).where(
        Submission.assessment_id == assessment.id,
        Submission.participant_id == User.id,
        Submission.state == SubmissionState.SUBMITTED,
    )
    graded = submitted.join(Grade, Grade.submission_id == Submission.id)
    if show == "missing":
        stmt = stmt.where(~submitted.exists())
    elif show == "ungraded":
        stmt = stmt.where(
            submitted.exists(), ~graded.where(Grade.status.in_([GradeStatus.FINAL, GradeStatus.RELEASED])).exists()
        )
    elif show == "graded":
        stmt = stmt.where(graded.where(Grade.status.in_([GradeStatus.FINAL, GradeStatus.RELEASED])).exists())
    elif show == "released":
        stmt = stmt.where(graded.where(Grade.status == GradeStatus.RELEASED).exists())
    words = query.strip().lower()
    if words:
        stmt = stmt.outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id).where(
            func.lower(User.name).contains(words, autoescape=True)
            | ParticipantProfile.nip.contains(words, autoescape=True)
        )
    name = func.lower(User.name)
    return stmt.order_by(name.desc() if descending else name, User.id.desc() if descending else User.id)


def work_of(
    session: Session, assessment: Assessment, participant_ids: list[int]
) -> dict[int, list[tuple[Submission, Grade | None]]]:
    """The listed participants' submissions to the assessment with their grades (one query)."""
    if not participant_ids:
        return {}
    rows = session.execute(
        select(Submission, Grade)
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(Submission.assessment_id == assessment.id, Submission.participant_id.in_(participant_ids))
        .order_by(Submission.attempt)
    )
    out: dict[int, list[tuple[Submission, Grade | None]]] = {}
    for submission, grade in rows:
        out.setdefault(submission.participant_id, []).append((submission, grade))
    return out


def released_grades_for(session: Session, participant_id: int, assessment_ids: list[int]) -> dict[int, list[Grade]]:
    """Released grades per assessment for one participant (one query)."""
    if not assessment_ids:
        return {}
    rows = session.execute(
        select(Submission.assessment_id, Grade)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Submission.participant_id == participant_id,
            Submission.assessment_id.in_(assessment_ids),
            Grade.status == GradeStatus.RELEASED,
        )
        .options(
            selectinload(Grade.criteria).joinedload(GradeCriterion.criterion),
            selectinload(Grade.criteria).joinedload(GradeCriterion.level),
            joinedload(Grade.rubric),
        )
    )
    out: dict[int, list[Grade]] = {}
    for assessment_id, grade in rows:
        out.setdefault(assessment_id, []).append(grade)
    return out


def aggregate(assessment: Assessment, scores: list[Decimal]) -> Decimal | None:
    """One participant's assessment score from their graded submissions: mean, or mean of best N,
    rounded once half-up to 0.01."""
    value = exact_aggregate(assessment, scores)
    return None if value is None else half_up(value)


def exact_aggregate(assessment: Any, scores: Sequence[Decimal]) -> Fraction | None:
    """:func:`aggregate` before rounding (reads only ``aggregation`` and ``best_n``)."""
    if not scores:
        return None
    chosen = sorted(scores, reverse=True)[: assessment.best_n] if assessment.aggregation == "best" else scores
    return mean(chosen)


def audit(session: Session, assessment_id: int) -> list[GradeEvent]:
    return list(
        session.scalars(
            select(GradeEvent)
            .join(Submission, GradeEvent.submission_id == Submission.id)
            .where(Submission.assessment_id == assessment_id)
            .options(joinedload(GradeEvent.actor))
            .order_by(GradeEvent.at.desc(), GradeEvent.id.desc())
        )
    )


def missing_people(session: Session, assessment: Assessment) -> list[User]:
    """The cohort's participants who have handed nothing in for ``assessment`` (a returned piece of
    work counts as not handed in), by name."""
    return list(session.scalars(progress_people(assessment, show="missing")))


def remind_missing(session: Session, assessment: Assessment, actor: User, now: datetime, day: str) -> tuple[int, int]:
    """Remind everyone who has not submitted ``assessment``: a notification, e-mailed as each person
    chose. Idempotent per person and ``day`` (the local date): pressing again the same day reminds
    only those not reminded yet. Returns ``(reminded now, not submitted)``.
    """
    ensure_editable(assessment.cohort)
    people = missing_people(session, assessment)
    if not people:
        raise DomainError(_l("Everyone has submitted: there is nobody to remind."))
    return notifications.reminded_to_submit(session, assessment, [p.id for p in people], actor, day, now), len(people)


def reminded_today(session: Session, assessment: Assessment, day: str) -> set[int]:
    """Ids of the people already reminded to hand in ``assessment`` on ``day``."""
    return set(
        session.scalars(
            select(Notification.recipient_id).where(Notification.key == notifications.reminder_key(assessment.id, day))
        )
    )
