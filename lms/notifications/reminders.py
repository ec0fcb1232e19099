"""Reminders that fall due by the clock: deadlines of work not yet submitted, and what plugins add.

Each reminder carries a key naming its event (the assessment and its due time), so running the job
again, or on two consumers at once, sends nothing twice; moving a deadline makes a new event.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Cohort, CohortStatus, Membership, Role
from lms.core.urls import path_for
from lms.notifications.kinds import DEADLINE_1D, DEADLINE_3D, DEADLINE_EVENT, all_kinds
from lms.notifications.services import notify
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import Reminder

HORIZON = timedelta(days=3)
LAST_DAY = timedelta(days=1)


def deadline_reminders(session: Session, now: datetime) -> list[Reminder]:
    """Participants of running cohorts with work due within 3 days (or 1 day) and nothing submitted.

    Three queries whatever the number of cohorts, assessments and people.
    """
    taken_over = {k.replaces[1] for k in all_kinds().values() if k.replaces and k.replaces[0] == DEADLINE_EVENT}
    rows = session.execute(
        select(Assessment, Cohort)
        .join(Cohort, Cohort.id == Assessment.cohort_id)
        .where(
            Cohort.status == CohortStatus.RUNNING,
            Assessment.due_at > now,
            Assessment.due_at <= now + HORIZON,
            (Assessment.opens_at.is_(None)) | (Assessment.opens_at <= now),
        )
        .order_by(Assessment.id)
    ).all()
    # due_at is never None here (the query filters on it); the tuple keeps it typed as such.
    assessments = [(a, c, a.due_at) for a, c in rows if a.kind not in taken_over and a.due_at is not None]
    if not assessments:
        return []
    people: dict[int, list[int]] = defaultdict(list)
    for cohort_id, user_id in session.execute(
        select(Membership.cohort_id, Membership.user_id).where(
            Membership.cohort_id.in_({c.id for _a, c, _d in assessments}), Membership.role == Role.PARTICIPANT
        )
    ):
        people[cohort_id].append(user_id)
    submitted = set(
        session.execute(
            select(Submission.assessment_id, Submission.participant_id).where(
                Submission.assessment_id.in_([a.id for a, _c, _d in assessments]),
                Submission.state == SubmissionState.SUBMITTED,
            )
        ).all()
    )
    out = []
    for assessment, cohort, due_at in assessments:
        kind = DEADLINE_1D if due_at - now <= LAST_DAY else DEADLINE_3D
        waiting = [uid for uid in people[cohort.id] if (assessment.id, uid) not in submitted]
        if waiting:
            out.append(
                Reminder(
                    kind=kind,
                    recipient_ids=waiting,
                    key=f"{kind}:{assessment.id}:{due_at.isoformat()}",
                    payload={"assessment": assessment.title, "due": due_at.isoformat(), "cohort": cohort.title},
                    link=path_for("assessments.show", assessment_id=assessment.id),
                )
            )
    return out


def send_reminders(session: Session, now: datetime) -> int:
    """Create every due reminder not sent before (core deadlines and plugins' ``lms_reminders``);
    returns how many notifications were created."""

    reminders = deadline_reminders(session, now)
    for contributed in get_plugin_manager(current_app).hook.lms_reminders(session=session, now=now):
        reminders.extend(contributed or [])
    created = 0
    for reminder in reminders:
        created += notify(
            session,
            reminder.recipient_ids,
            reminder.kind,
            reminder.payload,
            link=reminder.link,
            key=reminder.key,
            now=now,
        )
    return created
