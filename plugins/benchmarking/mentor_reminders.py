"""Reminders to mentors: while a follow-up round is open and a mentor has not answered every report
of their peserta in it, they get an e-mail a week before the round closes and again in its last
days, each with a fresh link to the round (mentors.link_for).

A mentor has no account, so these are e-mails (lms.mail.services.queue_mail, sent by the mail job)
rather than notifications; the hourly job (tasks.py, on the queue's scheduler beside the core's
reminders) may run on several consumers: a row per mentor and moment (``MentorReminder``, unique)
makes each e-mail go once. Services flush, never commit; a fixed number of queries per run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort
from lms.core.numbers import format_date
from lms.core.timezones import local_zone
from lms.mail.services import absolute_url, queue_mail
from lms.users.models import User
from plugins.benchmarking.mentors import link_for
from plugins.benchmarking.models import Followup, FollowupRound, Mentor, MentorReminder, MentorReview, Practice

WEEK_LEFT = 7  # the first reminder, this many days before the round closes
LAST_DAYS = 2  # the second, in the round's last days
REMINDER_PURPOSE = "benchmarking.mentor_reminder"  # the mail row's purpose (the invitation's is LINK_PURPOSE)


def remind(session: Session, now: datetime) -> int:
    """E-mail every mentor who is due a reminder and has not had it; returns how many were queued."""
    today = now.astimezone(local_zone()).date()
    found = session.execute(
        select(FollowupRound, Cohort)
        .join(Cohort, Cohort.id == FollowupRound.cohort_id)
        .where(FollowupRound.opens_on <= today, FollowupRound.due_on.is_not(None), FollowupRound.due_on >= today)
    ).all()
    rounds = [(r, c) for r, c in found if r.due_on is not None and (r.due_on - today).days <= WEEK_LEFT]
    if not rounds:
        return 0
    round_ids = [r.id for r, _c in rounds]
    reports = session.execute(
        select(Followup.id, Followup.round_id, Followup.reported_at, Practice.participant_id)
        .join(Practice, Practice.id == Followup.practice_id)
        .where(Followup.round_id.in_(round_ids))
    ).all()
    if not reports:
        return 0
    participant_ids = {row.participant_id for row in reports}
    # The peserta's mentor is the one they (or a coordinator) invited last: an earlier superior is
    # not reminded of reports they may no longer see.
    mentor_of: dict[int, Mentor] = {}
    for mentor in session.scalars(
        select(Mentor).where(Mentor.participant_id.in_(participant_ids)).order_by(Mentor.invited_at, Mentor.id)
    ):
        mentor_of[mentor.participant_id] = mentor
    answered = set(
        session.execute(
            select(MentorReview.mentor_id, MentorReview.followup_id, MentorReview.reported_at).where(
                MentorReview.followup_id.in_([row.id for row in reports])
            )
        ).all()
    )
    waiting: dict[tuple[int, int], int] = defaultdict(int)  # (mentor, round) → reports not answered
    for row in reports:
        chosen = mentor_of.get(row.participant_id)
        if chosen is not None and (chosen.id, row.id, row.reported_at) not in answered:
            waiting[(chosen.id, row.round_id)] += 1
    if not waiting:
        return 0
    sent = set(
        session.execute(
            select(MentorReminder.mentor_id, MentorReminder.key).where(MentorReminder.round_id.in_(round_ids))
        ).all()
    )
    mentors = {m.id: m for m in mentor_of.values()}
    people = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_({m.participant_id for m in mentors.values()})))
    }
    queued = 0
    for round_, cohort in rounds:
        assert round_.due_on is not None  # the query's condition
        moment = "last" if (round_.due_on - today).days <= LAST_DAYS else "week"
        key = f"{REMINDER_PURPOSE}:{round_.id}:{round_.due_on.isoformat()}:{moment}"
        for (mentor_id, round_id), count in sorted(waiting.items()):
            if round_id != round_.id or (mentor_id, key) in sent:
                continue
            if not _claim(session, mentor_id, round_.id, key, now):
                continue
            _mail(session, mentors[mentor_id], people[mentors[mentor_id].participant_id], round_, cohort, count)
            queued += 1
    return queued


def _claim(session: Session, mentor_id: int, round_id: int, key: str, now: datetime) -> bool:
    """Record the reminder; False when another run recorded it first."""
    try:
        with session.begin_nested():
            session.execute(insert(MentorReminder).values(mentor_id=mentor_id, round_id=round_id, key=key, sent_at=now))
    except IntegrityError:
        return False
    return True


def _mail(
    session: Session, mentor: Mentor, participant: User, round_: FollowupRound, cohort: Cohort, count: int
) -> None:
    locale = current_app.config["DEFAULT_LOCALE"]  # a mentor has no account, hence no language of their own
    assert round_.due_on is not None
    with force_locale(locale):
        due = format_date(round_.due_on)
    queue_mail(
        session,
        to=mentor.email,
        template="benchmarking_mentor_reminder",
        locale=locale,
        purpose=REMINDER_PURPOSE,
        subject=_l("Reminder: %(name)s waits for your confirmation until %(day)s", name=participant.name, day=due),
        context={
            "name": mentor.name,
            "participant": participant.name,
            "program": cohort.program.name,
            "cohort": cohort.title,
            "round": round_.title,
            "due": due,
            "count": count,
            "link": absolute_url("benchmarking_practices.mentor", token=link_for(mentor, round_)),
        },
    )
