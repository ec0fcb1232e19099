"""What the benchmarking plugin tells people: its kinds of notification and the reminders it wants
sent (follow-up rounds opening and closing, group reports due), each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Cohort, CohortStatus
from lms.core.timezones import local_zone
from lms.core.urls import path_for
from lms.notifications.services import notify
from lms.plugins.types import NotificationKind, Reminder
from plugins.benchmarking.models import (
    FieldVisit,
    Followup,
    FollowupRound,
    GroupMember,
    GroupReport,
    Practice,
    Stage,
)
from plugins.benchmarking.queries import participants_of

VISIT_CHANGED = "benchmarking.visit_changed"
FOLLOWUP_OPENED = "benchmarking.followup_opened"
FOLLOWUP_CLOSING = "benchmarking.followup_closing"
PRACTICE_RETURNED = "benchmarking.practice_returned"
GROUP_REPORT_DUE = "benchmarking.group_report_due"
# What a mentor answered (mentors.ANSWER_KINDS names them by verdict).
MENTOR_CONFIRMED = "benchmarking.mentor_confirmed"
MENTOR_DISPUTED = "benchmarking.mentor_disputed"
MENTOR_MORE_EVIDENCE = "benchmarking.mentor_more_evidence"

# A round is announced when it opens, and reminded about in its last days.
LAST_DAYS = 3
REPORT_HORIZON = timedelta(days=3)

KINDS = [
    NotificationKind(
        key=VISIT_CHANGED,
        label=_l("Field visit details changed"),
        order=30,
        message=_l("The field visit %(theme)s to %(host)s changed: %(start)s–%(end)s, %(location)s."),
    ),
    NotificationKind(
        key=PRACTICE_RETURNED,
        label=_l("Practice returned for revision"),
        order=31,
        detail="note",
        replaces=("work_returned", "benchmarking.practice"),
        message=_l("%(actor)s returned one of your practices (%(assessment)s) for revision."),
    ),
    NotificationKind(
        key=GROUP_REPORT_DUE,
        label=_l("Group report due"),
        order=32,
        times=("due",),
        replaces=("deadline", "benchmarking.report"),
        message=_l("Your group's report for %(assessment)s is due %(due)s and is not submitted yet."),
    ),
    NotificationKind(
        key=FOLLOWUP_OPENED,
        label=_l("Follow-up round opened"),
        order=33,
        message=_l("The follow-up round %(round)s of %(cohort)s is open: report what became of your practices."),
    ),
    NotificationKind(
        key=FOLLOWUP_CLOSING,
        label=_l("Follow-up round closing"),
        order=34,
        message=_l("The follow-up round %(round)s closes on %(due)s and some of your practices have no report yet."),
    ),
    NotificationKind(
        key=MENTOR_CONFIRMED,
        label=_l("Mentor confirmed a report"),
        order=35,
        message=_l("Your mentor %(mentor)s confirmed your report on %(practice)s (%(round)s)."),
    ),
    NotificationKind(
        key=MENTOR_DISPUTED,
        label=_l("Mentor disputed a report"),
        order=36,
        detail="comment",
        message=_l("Your mentor %(mentor)s disputed your report on %(practice)s (%(round)s)."),
    ),
    NotificationKind(
        key=MENTOR_MORE_EVIDENCE,
        label=_l("Mentor asks for more evidence"),
        order=37,
        detail="comment",
        message=_l("Your mentor %(mentor)s asks for more evidence on your report on %(practice)s (%(round)s)."),
    ),
]


def visit_changed(session: Session, visit: FieldVisit, before: dict[str, Any], now: datetime) -> None:
    """Tell the cohort's participants when the date, place, host or theme of a visit changed."""

    after = visit_state(visit)
    if before == after:
        return
    notify(
        session,
        participants_of(session, visit.cohort_id),
        VISIT_CHANGED,
        {
            "theme": visit.theme,
            "host": visit.host.name,
            "location": visit.location or "—",
            "start": visit.start_date.isoformat(),
            "end": visit.end_date.isoformat(),
        },
        link=path_for("benchmarking.show_visit", visit_id=visit.id),
        now=now,
    )


def visit_state(visit: FieldVisit) -> dict[str, Any]:
    return {
        "host": visit.host_id,
        "theme": visit.theme,
        "start": visit.start_date,
        "end": visit.end_date,
        "location": visit.location,
    }


def reminders(session: Session, now: datetime) -> list[Reminder]:
    return [*_rounds(session, now), *_group_reports(session, now)]


def _rounds(session: Session, now: datetime) -> list[Reminder]:
    """Rounds that are open: announce them once; in their last days remind who has not reported."""
    today = now.astimezone(local_zone()).date()
    rounds = session.execute(
        select(FollowupRound, Cohort)
        .join(Cohort, Cohort.id == FollowupRound.cohort_id)
        .where(FollowupRound.opens_on <= today, (FollowupRound.due_on.is_(None)) | (FollowupRound.due_on >= today))
    ).all()
    if not rounds:
        return []
    cohort_ids = {cohort.id for _r, cohort in rounds}
    practices: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))  # cohort → person → practices
    for cohort_id, participant_id, practice_id in session.execute(
        select(FieldVisit.cohort_id, Practice.participant_id, Practice.id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(
            FieldVisit.cohort_id.in_(cohort_ids),
            Practice.stage != Stage.IDENTIFIED,
            Submission.state == SubmissionState.SUBMITTED,
        )
    ):
        practices[cohort_id][participant_id].add(practice_id)
    reported: dict[int, set[int]] = defaultdict(set)
    for round_id, practice_id in session.execute(
        select(Followup.round_id, Followup.practice_id).where(Followup.round_id.in_([r.id for r, _c in rounds]))
    ):
        reported[round_id].add(practice_id)
    out = []
    for round_, cohort in rounds:
        people = practices[cohort.id]
        if not people:
            continue
        payload = {
            "round": round_.title,
            "cohort": cohort.title,
            "due": round_.due_on.isoformat() if round_.due_on else "",
        }
        link = path_for("benchmarking_practices.report", round_id=round_.id)
        out.append(
            Reminder(
                kind=FOLLOWUP_OPENED,
                recipient_ids=sorted(people),
                payload=payload,
                link=link,
                key=f"{FOLLOWUP_OPENED}:{round_.id}",
            )
        )
        if round_.due_on and (round_.due_on - today).days < LAST_DAYS:
            waiting = sorted(pid for pid, own in people.items() if own - reported[round_.id])
            if waiting:
                out.append(
                    Reminder(
                        kind=FOLLOWUP_CLOSING,
                        recipient_ids=waiting,
                        payload=payload,
                        link=link,
                        key=f"{FOLLOWUP_CLOSING}:{round_.id}:{round_.due_on.isoformat()}",
                    )
                )
    return out


def _group_reports(session: Session, now: datetime) -> list[Reminder]:
    """Members of groups whose report is due within 3 days and not submitted."""
    visits = session.execute(
        select(FieldVisit.id, Assessment)
        .join(Assessment, Assessment.id == FieldVisit.report_assessment_id)
        .join(Cohort, Cohort.id == FieldVisit.cohort_id)
        .where(
            Cohort.status == CohortStatus.RUNNING, Assessment.due_at > now, Assessment.due_at <= now + REPORT_HORIZON
        )
    ).all()
    if not visits:
        return []
    members: dict[int, list[int]] = defaultdict(list)  # group → people
    group_visit: dict[int, int] = {}
    for group_id, visit_id, user_id in session.execute(
        select(GroupMember.group_id, GroupMember.visit_id, GroupMember.user_id).where(
            GroupMember.visit_id.in_([v for v, _a in visits])
        )
    ):
        members[group_id].append(user_id)
        group_visit[group_id] = visit_id
    done = set(
        session.scalars(
            select(GroupReport.group_id)
            .join(Submission, Submission.id == GroupReport.submission_id)
            .where(GroupReport.group_id.in_(list(members)), Submission.state == SubmissionState.SUBMITTED)
        )
    )
    # due_at is never None here (the query filters on it); the tuple keeps it typed as such.
    assessment_of = {v: (a, a.due_at) for v, a in visits if a.due_at is not None}
    out = []
    for group_id, people in members.items():
        if group_id in done:
            continue
        assessment, due_at = assessment_of[group_visit[group_id]]
        out.append(
            Reminder(
                kind=GROUP_REPORT_DUE,
                recipient_ids=sorted(people),
                payload={"assessment": assessment.title, "due": due_at.isoformat()},
                link=path_for("benchmarking_practices.group_report", group_id=group_id),
                key=f"{GROUP_REPORT_DUE}:{group_id}:{due_at.isoformat()}",
            )
        )
    return out
