"""Assessments and submissions: scheduling, drafts that never lose a keystroke, submitting.

Services flush, never commit; the caller owns the transaction. ``now`` is always an argument so
that the rules about due and cut-off times can be tested at any moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from lms.assessments.models import (
    Aggregation,
    Assessment,
    Extension,
    Revision,
    Submission,
    SubmissionState,
)
from lms.cohorts.models import Cohort, Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.db import changed_rows
from lms.grading.models import Grade
from lms.notifications import events as notifications
from lms.rubrics.models import Rubric
from lms.users.models import User

REFLECTION = "reflection"


class DraftConflict(Conflict):
    """The draft changed elsewhere (another tab, another device) since this editor loaded it.

    What this editor sent is kept as a revision; the caller shows both texts side by side.
    """

    def __init__(self, submission: Submission, revision: Revision) -> None:
        super().__init__(
            _l(
                "This text was changed in another tab or device since you opened it. "
                "Both versions are kept: choose which one to continue with."
            )
        )
        self.submission = submission
        self.revision = revision


@dataclass(frozen=True)
class AssessmentFields:
    title: str
    kind: str = REFLECTION
    instructions: str = ""
    opens_at: datetime | None = None
    due_at: datetime | None = None
    cutoff_at: datetime | None = None
    weight: Decimal = Decimal(1)
    rubric_id: int | None = None
    max_submissions: int = 1
    aggregation: Aggregation = Aggregation.MEAN
    best_n: int = 1


def save_assessment(
    session: Session,
    assessment: Assessment | None,
    cohort: Cohort,
    fields: AssessmentFields,
    known_kinds: set[str] | frozenset[str] = frozenset({REFLECTION}),
) -> Assessment:
    """Create or change an assessment; times must run opens ≤ due ≤ cut-off, weights be ≥ 0, and the
    rubric be a current one of this cohort (a template is copied into the cohort first)."""
    ensure_editable(cohort)
    if not fields.title.strip():
        raise DomainError(_l("Enter a title."), field="title")
    if fields.kind not in known_kinds:
        raise DomainError(_l("Unknown kind of assessment."), field="kind")
    if fields.opens_at and fields.due_at and fields.due_at < fields.opens_at:
        raise DomainError(_l("The due time is before the opening time."), field="due_at")
    if fields.cutoff_at and fields.due_at and fields.cutoff_at < fields.due_at:
        raise DomainError(_l("The cut-off is before the due time."), field="cutoff_at")
    if fields.cutoff_at and not fields.due_at:
        raise DomainError(_l("Set a due time before setting a cut-off."), field="due_at")
    if fields.weight < 0:
        raise DomainError(_l("The weight cannot be negative."), field="weight")
    if fields.max_submissions < 1:
        raise DomainError(_l("Allow at least one submission."), field="max_submissions")
    if fields.aggregation == Aggregation.BEST and not 1 <= fields.best_n <= fields.max_submissions:
        raise DomainError(_l("Best N must lie between 1 and the number of submissions allowed."), field="best_n")
    if fields.rubric_id is not None:
        rubric = session.get(Rubric, fields.rubric_id)
        if rubric is None or rubric.cohort_id != cohort.id or rubric.superseded:
            raise DomainError(
                _l("Choose one of this cohort's current rubrics (copy a template into the cohort first)."),
                field="rubric_id",
            )
    if assessment is None:
        assessment = Assessment(cohort=cohort)
        session.add(assessment)
    for name in AssessmentFields.__dataclass_fields__:
        setattr(assessment, name, getattr(fields, name))
    assessment.title = fields.title.strip()
    session.flush()
    return assessment


def cohort_assessments(session: Session, cohort_id: int) -> list[Assessment]:
    """The cohort's assessments as a timeline: by due time, undated last."""
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.cohort_id == cohort_id)
            .order_by(Assessment.due_at.is_(None), Assessment.due_at, Assessment.id)
        )
    )


def effective_cutoff(session: Session, assessment: Assessment, participant_id: int) -> datetime | None:
    extension = session.scalar(
        select(Extension.cutoff_at).where(
            Extension.assessment_id == assessment.id, Extension.participant_id == participant_id
        )
    )
    if extension is not None and (assessment.cutoff_at is None or extension > assessment.cutoff_at):
        return extension
    return assessment.cutoff_at


def is_participant(session: Session, cohort_id: int, user_id: int) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.cohort_id == cohort_id, Membership.user_id == user_id, Membership.role == Role.PARTICIPANT
            )
        )
        is not None
    )


def submissions_of(session: Session, assessment_id: int, participant_id: int) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.assessment_id == assessment_id, Submission.participant_id == participant_id)
            .order_by(Submission.attempt)
        )
    )


def current_submission(session: Session, assessment: Assessment, participant: User) -> Submission | None:
    """The latest attempt, whatever its state; None before the first save."""
    items = submissions_of(session, assessment.id, participant.id)
    return items[-1] if items else None


def _check_open(session: Session, assessment: Assessment, participant_id: int, now: datetime) -> None:
    if assessment.opens_at and now < assessment.opens_at:
        raise Conflict(_l("This assessment is not open yet."))
    cutoff = effective_cutoff(session, assessment, participant_id)
    if cutoff and now > cutoff:
        raise Conflict(
            _l(
                "The cut-off time has passed: nothing more can be submitted or changed. "
                "Ask your program manager for an extension."
            )
        )


def start_attempt(session: Session, assessment: Assessment, participant: User, now: datetime) -> Submission:
    """The draft to write in: the current one if it can still be edited, else a new attempt."""
    ensure_editable(assessment.cohort)
    if not is_participant(session, assessment.cohort_id, participant.id):
        raise DomainError(_l("Only participants of the cohort submit work."), status=403)
    _check_open(session, assessment, participant.id, now)
    current = current_submission(session, assessment, participant)
    if current is not None and current.state in (SubmissionState.DRAFT, SubmissionState.RETURNED):
        return current
    attempt = (current.attempt + 1) if current else 1
    if attempt > assessment.max_submissions:
        raise Conflict(_l("You have made every submission this assessment allows."))
    submission = Submission(
        assessment=assessment,
        participant=participant,
        attempt=attempt,
        state=SubmissionState.DRAFT,
        body="",
        version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def new_attempt(session: Session, assessment: Assessment, participant: User, now: datetime) -> Submission:
    """Always a fresh attempt (a plugin kind where each attempt is its own piece of work, such as a
    practice log entry), within the number of submissions the assessment allows."""
    ensure_editable(assessment.cohort)
    if not is_participant(session, assessment.cohort_id, participant.id):
        raise DomainError(_l("Only participants of the cohort submit work."), status=403)
    _check_open(session, assessment, participant.id, now)
    last = (
        session.scalar(
            select(func.max(Submission.attempt)).where(
                Submission.assessment_id == assessment.id, Submission.participant_id == participant.id
            )
        )
        or 0
    )
    if last + 1 > assessment.max_submissions:
        raise Conflict(_l("You have made every submission this assessment allows."))
    submission = Submission(
        assessment=assessment,
        participant=participant,
        attempt=last + 1,
        state=SubmissionState.DRAFT,
        body="",
        version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def _revise(session: Session, submission: Submission, body: str, actor: User, reason: str, now: datetime) -> Revision:
    submission.version += 1
    submission.body = body
    submission.updated_at = now
    revision = Revision(
        submission_id=submission.id,
        number=submission.version,
        body=body,
        reason=reason,
        saved_by_id=actor.id,
        saved_at=now,
    )
    session.add(revision)
    return revision


def save_draft(
    session: Session,
    submission: Submission,
    body: str,
    base_version: int,
    actor: User,
    now: datetime,
    reason: str = "autosave",
) -> Revision | None:
    """Save the editor's text as a new revision.

    ``base_version`` is the version the editor loaded; if the draft moved on since, nothing is
    overwritten: the text is kept as a ``conflict`` revision and :class:`DraftConflict` is raised.
    Saving the same text again is a no-op (returns None).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")  # browsers send form text with CRLF
    if submission.participant_id != actor.id:
        raise DomainError(_l("You can only edit your own work."), status=403)
    ensure_editable(submission.assessment.cohort)
    session.refresh(submission, with_for_update=True)  # one writer at a time per submission
    if submission.state == SubmissionState.SUBMITTED:
        raise Conflict(_l("This work is submitted. Withdraw it first to change it."))
    _check_open(session, submission.assessment, actor.id, now)
    if base_version != submission.version:
        kept = Revision(
            submission_id=submission.id,
            number=submission.version,
            body=body,
            reason="conflict",
            saved_by_id=actor.id,
            saved_at=now,
        )
        session.add(kept)
        session.flush()
        raise DraftConflict(submission, kept)
    if body == submission.body and submission.version > 0:
        return None
    revision = _revise(session, submission, body, actor, reason, now)
    session.flush()
    return revision


def submit(session: Session, submission: Submission, actor: User, now: datetime) -> Submission:
    """Hand in: marked late after the due time, refused after the (extended) cut-off."""
    if submission.participant_id != actor.id:
        raise DomainError(_l("You can only submit your own work."), status=403)
    ensure_editable(submission.assessment.cohort)
    session.refresh(submission, with_for_update=True)  # one writer at a time per submission
    if submission.state == SubmissionState.SUBMITTED:
        raise Conflict(_l("This work is already submitted."))
    _check_open(session, submission.assessment, actor.id, now)
    if not submission.body.strip():
        raise DomainError(_l("Write something before you submit."), field="body")
    submission.late = is_late(session, submission.assessment, actor.id, now)
    submission.state = SubmissionState.SUBMITTED
    submission.submitted_at = now
    _revise(session, submission, submission.body, actor, "submit", now)
    session.flush()
    notifications.work_submitted(session, submission, now)
    return submission


def is_late(session: Session, assessment: Assessment, participant_id: int, now: datetime) -> bool:
    """Past the due time, unless the participant's extension still runs: an extension holder who
    hands in before its end is on time."""
    due = assessment.due_at
    if not due or now <= due:
        return False
    extended = session.scalar(
        select(Extension.cutoff_at).where(
            Extension.assessment_id == assessment.id, Extension.participant_id == participant_id
        )
    )
    return not (extended is not None and now <= extended)


def withdraw(session: Session, submission: Submission, actor: User, now: datetime) -> Submission:
    """Take a submission back to draft: only before the due time and before any grading."""

    if submission.participant_id != actor.id:
        raise DomainError(_l("You can only withdraw your own work."), status=403)
    ensure_editable(submission.assessment.cohort)
    session.refresh(submission, with_for_update=True)  # one writer at a time per submission
    if submission.state != SubmissionState.SUBMITTED:
        raise Conflict(_l("Only submitted work can be withdrawn."))
    due = submission.assessment.due_at
    if due and now > due:
        raise Conflict(_l("The due time has passed: the submission can no longer be withdrawn."))
    started = Conflict(_l("Grading has started on this submission: it can no longer be withdrawn."))
    if session.scalar(select(Grade.id).where(Grade.submission_id == submission.id)) is not None:
        raise started
    # A write that re-checks both conditions when it gets the write lock: on SQLite the row lock
    # above is a plain read, and a grade saved meanwhile is only seen by a statement that waits for
    # it (a no-op UPDATE). The change itself then goes through the ORM, so flush listeners see it.
    claimed = changed_rows(
        session,
        update(Submission)
        .where(
            Submission.id == submission.id,
            Submission.state == SubmissionState.SUBMITTED,
            ~select(Grade.id).where(Grade.submission_id == submission.id).exists(),
        )
        .values(state=Submission.state)
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise started
    submission.state = SubmissionState.DRAFT
    submission.submitted_at = None
    submission.late = False
    session.flush()
    return submission


def restore(
    session: Session, submission: Submission, revision: Revision, base_version: int, actor: User, now: datetime
) -> Revision | None:
    """Bring back an earlier revision's text as the newest one (the history stays)."""
    if revision.submission_id != submission.id:
        raise DomainError(_l("That revision belongs to other work."), status=404)
    return save_draft(session, submission, revision.body, base_version, actor, now, reason="restore")


def revisions(session: Session, submission_id: int) -> list[Revision]:
    return list(
        session.scalars(select(Revision).where(Revision.submission_id == submission_id).order_by(Revision.id.desc()))
    )


def grant_extension(
    session: Session,
    assessment: Assessment,
    participant: User,
    cutoff_at: datetime,
    actor: User,
    now: datetime | None = None,
) -> Extension:
    """Give one participant a later cut-off (or change it); they are told in their inbox."""
    ensure_editable(assessment.cohort)
    if not is_participant(session, assessment.cohort_id, participant.id):
        raise DomainError(_l("Extensions are for participants of this cohort."), field="participant_id")
    if assessment.cutoff_at and cutoff_at <= assessment.cutoff_at:
        raise DomainError(_l("An extension must end after the regular cut-off."), field="cutoff_at")
    extension = session.scalar(
        select(Extension).where(Extension.assessment_id == assessment.id, Extension.participant_id == participant.id)
    )
    if extension is None:
        extension = Extension(assessment_id=assessment.id, participant_id=participant.id, cutoff_at=cutoff_at)
        session.add(extension)
    changed = extension.cutoff_at != cutoff_at or extension.id is None
    extension.cutoff_at, extension.granted_by_id = cutoff_at, actor.id
    session.flush()
    if changed:
        notifications.extension_granted(session, extension, assessment, actor, now or datetime.now(UTC))
    return extension


def grant_extensions(
    session: Session,
    assessment: Assessment,
    participants: Sequence[User],
    cutoff_at: datetime,
    actor: User,
    now: datetime | None = None,
) -> int:
    """The same later cut-off for several participants (all or none); returns how many."""
    for participant in participants:
        grant_extension(session, assessment, participant, cutoff_at, actor, now)
    return len(participants)


def extensions_for(session: Session, participant_id: int, assessment_ids: list[int]) -> dict[int, datetime]:
    """The participant's extended cut-offs by assessment (one query)."""
    if not assessment_ids:
        return {}
    return dict(
        session.execute(
            select(Extension.assessment_id, Extension.cutoff_at).where(
                Extension.participant_id == participant_id, Extension.assessment_id.in_(assessment_ids)
            )
        ).all()
    )


def latest_submissions(session: Session, assessment_ids: list[int], participant_id: int) -> dict[int, Submission]:
    """Each assessment's latest attempt by one participant, in one query."""
    if not assessment_ids:
        return {}
    latest = (
        select(Submission.assessment_id, func.max(Submission.attempt).label("attempt"))
        .where(Submission.assessment_id.in_(assessment_ids), Submission.participant_id == participant_id)
        .group_by(Submission.assessment_id)
        .subquery()
    )
    rows = session.scalars(
        select(Submission)
        .join(latest, (Submission.assessment_id == latest.c.assessment_id) & (Submission.attempt == latest.c.attempt))
        .where(Submission.participant_id == participant_id)
    )
    return {s.assessment_id: s for s in rows}


def participants_choices(session: Session, cohort_id: int) -> list[Any]:
    rows = session.execute(
        select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        .order_by(User.name)
    )
    return [SelectChoice(user_id, name) for user_id, name in rows]
