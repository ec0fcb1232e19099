"""The core's events, told to the people concerned. Domain services call these after their change
(flushed, in the same transaction), so a refused or rolled-back action notifies nobody."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments import kinds as work_kinds
from lms.assessments.models import Assessment, Extension, Submission
from lms.cohorts.models import Cohort, Membership, Role
from lms.core.urls import path_for
from lms.notifications import kinds
from lms.notifications.services import notify
from lms.users.models import User


def _kind(event: str, assessment: Assessment) -> str:
    replacement = kinds.kind_for(event, assessment.kind)
    return replacement.key if replacement else event


def _staff_ids(session: Session, cohort_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Membership.user_id)
            .where(Membership.cohort_id == cohort_id, Membership.role.in_([Role.INSTRUCTOR, Role.COORDINATOR]))
            .distinct()
        )
    )


def _named(assessment: Assessment, title: str | None) -> str:
    """What a notification calls a piece of work: the assessment, and the work's own name where it
    has one (a practice's title), never "submission 2"."""
    return f"{assessment.title} — {title}" if title else assessment.title


def grades_released(session: Session, grades: Sequence[Any], actor: User, now: datetime) -> None:
    """Each participant whose grade was released: the score and where to read the feedback (one
    notify per assessment, so releasing a cohort's grades costs the same few queries at any size)."""
    by_assessment: dict[int, list[Any]] = {}
    for grade in grades:
        by_assessment.setdefault(grade.submission.assessment_id, []).append(grade)
    titles = work_kinds.titles(session, [g.submission for g in grades])
    for released in by_assessment.values():
        assessment = released[0].submission.assessment
        scores: dict[int, dict[str, Any]] = {}
        for g in released:
            score = None if g.score is None else str(g.score)
            mine = scores.get(g.submission.participant_id)
            title = titles.get(g.submission_id)
            if mine is None:
                scores[g.submission.participant_id] = {"score": score} | ({"work": title} if title else {})
            else:  # several named pieces of one person released at once: one notification names them all
                mine["score"] = "; ".join(s for s in (mine["score"], score) if s)
                mine["work"] = "; ".join(t for t in (mine.get("work"), title) if t)
        for mine in scores.values():
            if mine.get("work"):
                mine["assessment"] = _named(assessment, mine["work"])
        notify(
            session,
            list(scores),
            _kind(kinds.GRADE_RELEASED, assessment),
            {
                "assessment": assessment.title,
                "cohort": assessment.cohort.title,
                "actor": actor.name,
            },
            personal=scores,
            link=path_for("assessments.show", assessment_id=assessment.id),
            now=now,
        )


def work_returned(session: Session, submission: Submission, actor: User, note: str, now: datetime) -> None:
    assessment = submission.assessment
    notify(
        session,
        [submission.participant_id],
        _kind(kinds.WORK_RETURNED, assessment),
        {
            "assessment": _named(assessment, work_kinds.titles(session, [submission]).get(submission.id)),
            "cohort": assessment.cohort.title,
            "actor": actor.name,
            "note": note.strip(),
        },
        link=path_for("assessments.show", assessment_id=assessment.id),
        now=now,
    )


def extension_granted(
    session: Session, extension: Extension, assessment: Assessment, actor: User, now: datetime
) -> None:
    notify(
        session,
        [extension.participant_id],
        _kind(kinds.EXTENSION_GRANTED, assessment),
        {
            "assessment": assessment.title,
            "cohort": assessment.cohort.title,
            "actor": actor.name,
            "cutoff": extension.cutoff_at.isoformat(),
        },
        link=path_for("assessments.show", assessment_id=assessment.id),
        now=now,
    )


def work_submitted(session: Session, submission: Submission, now: datetime) -> None:
    """The cohort's instructors and coordinators: a daily digest of work to grade, and late work."""
    assessment = submission.assessment
    staff = _staff_ids(session, assessment.cohort_id)
    if not staff:
        return
    payload = {
        "assessment": _named(assessment, work_kinds.titles(session, [submission]).get(submission.id)),
        "cohort": assessment.cohort.title,
        "participant": submission.participant.name,
        "due": assessment.due_at.isoformat() if assessment.due_at else None,
    }
    link = path_for("grading.grade", submission_id=submission.id)
    notify(session, staff, kinds.WORK_SUBMITTED, payload, link=link, now=now)
    if submission.late:
        notify(session, staff, kinds.LATE_SUBMISSION, payload, link=link, now=now)


def roster_imported(session: Session, actor: User, cohort: Cohort, counts: dict[str, int], now: datetime) -> None:
    """The cohort's coordinators and whoever imported: how the roster import went."""
    coordinators = list(
        session.scalars(
            select(Membership.user_id).where(Membership.cohort_id == cohort.id, Membership.role == Role.COORDINATOR)
        )
    )
    notify(
        session,
        [actor.id, *coordinators],
        kinds.ROSTER_IMPORTED,
        {"cohort": cohort.title, "actor": actor.name, **counts},
        link=path_for("cohorts.participants", cohort_id=cohort.id),
        now=now,
    )


def export_ready(session: Session, owner: User | int, name: str, link: str, now: datetime) -> None:
    """The person who started an export: it can be downloaded at ``link`` (a path inside the app)."""
    notify(session, [owner], kinds.EXPORT_READY, {"name": name}, link=link, now=now)


def reminder_key(assessment_id: int, day: str) -> str:
    """The key of a reminder to hand in an assessment: one per person and day."""
    return f"reminder:{assessment_id}:{day}"


def reminded_to_submit(
    session: Session, assessment: Assessment, participant_ids: Sequence[int], actor: User, day: str, now: datetime
) -> int:
    """Participants reminded by staff to hand in ``assessment``: once per person per ``day`` (the
    notification key), however often the button is pressed. Returns how many were reminded now."""
    return notify(
        session,
        list(participant_ids),
        kinds.SUBMISSION_REMINDER,
        {"assessment": assessment.title, "cohort": assessment.cohort.title, "actor": actor.name},
        link=path_for("assessments.show", assessment_id=assessment.id),
        key=reminder_key(assessment.id, day),
        now=now,
    )
