"""Implementation follow-up: months after the visit, participants report what became of each
adopted or adapted practice; an instructor confirms, and so does their mentor (mentors.py). This is the visit's measure of
success, so it stays open after the cohort closes."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
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

# The PKA checkpoints: implementation is followed up 3, 6 and 12 months after the training ends.
DEFAULT_MONTHS = (3, 6, 12)
SUSTAINED_AFTER = 12  # "sustained at 12 months" reads the rounds of this many months or more
ROUND_DAYS = 30  # a planned round stays open this many days
MAX_MONTHS = 60


def parse_months(text: str) -> tuple[int, ...]:
    """``"3, 6, 12"`` → ``(3, 6, 12)``: whole months from 1 to 60, each once, in order."""
    values: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_MONTHS:
            raise DomainError(
                _l("Follow-up months are whole numbers from 1 to %(max)s, separated by commas.", max=MAX_MONTHS),
                field="followup_months",
            )
        values.add(int(part))
    if not values:
        raise DomainError(_l("Give at least one follow-up month, e.g. 3, 6, 12."), field="followup_months")
    return tuple(sorted(values))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter: 31 Aug + 6 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def training_end(session: Session, cohort: Cohort) -> date | None:
    """When the training ended: the cohort's end date, else its latest visit's."""
    if cohort.end_date:
        return cohort.end_date
    return session.scalar(select(func.max(FieldVisit.end_date)).where(FieldVisit.cohort_id == cohort.id))


def months_of(session: Session, cohort: Cohort) -> tuple[int, ...]:
    """The checkpoints the cohort's visits ask for (all of them, merged); the PKA default without a visit."""
    found: set[int] = set()
    for text in session.scalars(select(FieldVisit.followup_months).where(FieldVisit.cohort_id == cohort.id)):
        try:
            found.update(parse_months(text or ""))
        except DomainError:
            continue
    return tuple(sorted(found)) or DEFAULT_MONTHS


def plan_rounds(session: Session, cohort: Cohort) -> list[FollowupRound]:
    """Open the rounds at the visits' checkpoints (3, 6 and 12 months after the training by default)
    that the cohort does not have yet; each is open for :data:`ROUND_DAYS` days. Returns the new ones."""
    end = training_end(session, cohort)
    if end is None:
        raise Conflict(_l("Give the cohort (or its visit) an end date first: rounds are counted from it."))
    have = set(session.scalars(select(FollowupRound.months).where(FollowupRound.cohort_id == cohort.id)))
    made = []
    for months in months_of(session, cohort):
        if months in have:
            continue
        opens = add_months(end, months)
        made.append(
            open_round(
                session,
                cohort,
                str(_l("%(months)s months after the training", months=months)),
                opens,
                opens + timedelta(days=ROUND_DAYS),
                months=months,
            )
        )
    return made


def open_round(
    session: Session, cohort: Cohort, title: str, opens_on: date, due_on: date | None, months: int | None = None
) -> FollowupRound:
    """A follow-up round; allowed on closed cohorts too (reports come months after the training).
    ``months``: the checkpoint it stands for (one round per checkpoint and cohort)."""
    if not title.strip():
        raise DomainError(_l("Give the round a title, e.g. 3 months after the visit."), field="title")
    if due_on and due_on < opens_on:
        raise DomainError(_l("The round is due before it opens."), field="due_on")
    if months is not None:
        if not 1 <= months <= MAX_MONTHS:
            raise DomainError(
                _l("Follow-up months are whole numbers from 1 to %(max)s.", max=MAX_MONTHS), field="months"
            )
        if session.scalar(
            select(FollowupRound.id).where(FollowupRound.cohort_id == cohort.id, FollowupRound.months == months)
        ):
            raise Conflict(_l("This cohort already has a round at %(months)s months.", months=months))
    round_ = FollowupRound(cohort_id=cohort.id, title=title.strip(), opens_on=opens_on, due_on=due_on, months=months)
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
    discontinued_reason: str = "",
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
    if status in {ImplementationStatus.IMPLEMENTED, ImplementationStatus.SUSTAINED} and not outcome.strip():
        raise DomainError(_l("Describe the outcome: what was implemented."), field="outcome")
    if status == ImplementationStatus.DISCONTINUED and not discontinued_reason.strip():
        raise DomainError(_l("Say why the practice was discontinued."), field="discontinued_reason")
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
    followup.discontinued_reason = discontinued_reason.strip() if status == ImplementationStatus.DISCONTINUED else ""
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
