"""Implementation follow-up: months after the visit, participants report what became of each
adopted or adapted practice; an instructor confirms, and so does their mentor (mentors.py). This is the visit's measure of
success, so it stays open after the cohort closes."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort
from lms.core.errors import Conflict, DomainError
from lms.users.models import User
from plugins.benchmarking.models import (
    FieldVisit,
    Followup,
    FollowupRound,
    ImplementationStatus,
    Practice,
    Stage,
)


def open_round(session: Session, cohort: Cohort, title: str, opens_on: date, due_on: date | None) -> FollowupRound:
    """A follow-up round; allowed on closed cohorts too (reports come months after the training)."""
    if not title.strip():
        raise DomainError(_l("Give the round a title, e.g. 3 months after the visit."), field="title")
    if due_on and due_on < opens_on:
        raise DomainError(_l("The round is due before it opens."), field="due_on")
    round_ = FollowupRound(cohort_id=cohort.id, title=title.strip(), opens_on=opens_on, due_on=due_on)
    session.add(round_)
    session.flush()
    return round_


def rounds_of(session: Session, cohort_id: int) -> list[FollowupRound]:
    return list(
        session.scalars(
            select(FollowupRound).where(FollowupRound.cohort_id == cohort_id).order_by(FollowupRound.opens_on)
        )
    )


def report(
    session: Session,
    round_: FollowupRound,
    practice: Practice,
    actor: User,
    *,
    status: str,
    outcome: str,
    evidence_links: str,
    today: date,
    now: datetime,
) -> Followup:
    """Report (or correct) the state of one practice in one round; a correction clears the confirmation.

    Only the practice's author reports, only on a submitted adopted or adapted practice of the round's
    cohort, and only once the round is open.
    """
    if practice.participant_id != actor.id:
        raise DomainError(_l("You can only report on your own practices."), status=403)
    if practice.visit.cohort_id != round_.cohort_id:
        raise DomainError(_l("This practice is not from this cohort's visits."), status=404)
    if practice.stage == Stage.IDENTIFIED:
        raise DomainError(
            _l("Only adopted or adapted practices are followed up; this one was only identified."), status=409
        )
    if (
        session.scalar(select(Submission.state).where(Submission.id == practice.submission_id))
        != SubmissionState.SUBMITTED
    ):
        raise Conflict(_l("Submit the practice before reporting on it."))
    if today < round_.opens_on:
        raise Conflict(_l("This round opens on %(day)s.", day=round_.opens_on.isoformat()))
    if status not in {s.value for s in ImplementationStatus}:
        raise DomainError(_l("Choose a status."), field="status")
    if status in {ImplementationStatus.IMPLEMENTED, ImplementationStatus.DISCONTINUED} and not outcome.strip():
        raise DomainError(_l("Describe the outcome: what was implemented, or why it stopped."), field="outcome")
    for line in evidence_links.splitlines():
        if line.strip() and not line.strip().startswith(("http://", "https://")):
            raise DomainError(_l("Links must start with http:// or https://."), field="evidence_links")
    followup = session.scalar(
        select(Followup).where(Followup.round_id == round_.id, Followup.practice_id == practice.id)
    )
    if followup is None:
        followup = Followup(round_id=round_.id, practice_id=practice.id, status=ImplementationStatus(status))
        session.add(followup)
    followup.status = ImplementationStatus(status)
    followup.outcome, followup.evidence_links = outcome.strip(), evidence_links.strip()
    followup.reported_at = now
    followup.confirmed_by_id, followup.confirmed_at = None, None
    session.flush()
    return followup


def confirm(session: Session, followup: Followup, actor: User, now: datetime) -> None:
    if followup.practice.participant_id == actor.id:
        raise DomainError(_l("Someone else must confirm your report."), status=403)
    followup.confirmed_by_id, followup.confirmed_at = actor.id, now
    session.flush()


def round_reports(session: Session, round_id: int) -> list[Followup]:
    return list(
        session.scalars(
            select(Followup)
            .where(Followup.round_id == round_id)
            .options(joinedload(Followup.practice).joinedload(Practice.participant), joinedload(Followup.confirmed_by))
            .order_by(Followup.reported_at.desc())
        )
    )


def reportable(session: Session, participant: User, cohort_id: int) -> list[Practice]:
    """The participant's submitted adopted or adapted practices from the cohort's visits."""

    return list(
        session.scalars(
            select(Practice)
            .join(FieldVisit, FieldVisit.id == Practice.visit_id)
            .join(Submission, Submission.id == Practice.submission_id)
            .where(
                FieldVisit.cohort_id == cohort_id,
                Practice.participant_id == participant.id,
                Practice.stage != Stage.IDENTIFIED,
                Submission.state == SubmissionState.SUBMITTED,
            )
            .order_by(Practice.id)
        )
    )
