"""Mentors are reminded while a follow-up round is open and they have not answered (issue 16): a
week before it closes and in its last days, once per moment however often the job runs, never once
they have answered every report, and each e-mail carries a link that opens the round."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from lms.jobs.queue import TaskRun
from lms.mail.models import MailMessage
from plugins.benchmarking import mentor_reminders, mentors, tasks
from plugins.benchmarking.models import FollowupRound, Mentor, MentorReminder
from plugins.benchmarking.tests.test_mentors import TODAY, invite, reported
from plugins.benchmarking.tests.test_practices import plugin_on, world  # noqa: F401  (fixtures)
from tests.support import login

pytestmark = pytest.mark.usefixtures("plugin_on")
EMAIL = "sri.wahyuni@rsud.example.go.id"


def reminders_to(session, email):
    session.expire_all()
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.recipient == email, MailMessage.purpose == mentor_reminders.REMINDER_PURPOSE)
            .order_by(MailMessage.id)
        )
    )


def test_a_mentor_who_has_not_answered_is_reminded_once_per_moment_and_not_after_answering(app, world, session):
    round_, followup = reported(session, world)
    client = app.test_client()
    login(client, world["people"][0])
    assert invite(client, round_).status_code == 303
    mentor = session.scalar(select(Mentor))
    now = datetime.now(UTC)

    # A month before the round closes: nothing yet.
    assert mentor_reminders.remind(session, now) == 0
    # A week before: one e-mail with a link to this round, and only one however often the job runs.
    session.get(FollowupRound, round_.id).due_on = TODAY + timedelta(days=6)
    session.commit()
    with app.app_context():
        tasks.mentor_reminders(TaskRun(session, 0))
        tasks.mentor_reminders(TaskRun(session, 0))
    session.commit()
    [mail] = reminders_to(session, EMAIL)
    assert world["people"][0].name in mail.subject and world["people"][0].name in mail.text_body
    with app.test_request_context(), force_locale(mail.locale):  # a mentor gets the site's language
        one = ngettext(
            "%(participant)s (%(cohort)s) has %(num)d report on what they implemented after the field visit "
            "(%(round)s) that waits for your answer.",
            "%(participant)s (%(cohort)s) has %(num)d reports on what they implemented after the field visit "
            "(%(round)s) that wait for your answer.",
            1,
            participant=world["people"][0].name,
            cohort=world["cohort"].title,
            round=round_.title,
        )
    assert " ".join(one.split()) in " ".join(mail.text_body.split())
    link = re.search(r"https?://[^\s]+(/benchmarking/mentor/[A-Za-z0-9_.\-]+)", mail.text_body).group(1)
    assert app.test_client().get(link).status_code == 200
    assert session.scalar(select(MentorReminder.key)).endswith(":week")

    # In the last days, another one while the report still waits.
    session.get(FollowupRound, round_.id).due_on = TODAY + timedelta(days=1)
    session.commit()
    assert mentor_reminders.remind(session, now) == 1
    assert mentor_reminders.remind(session, now) == 0
    session.commit()
    assert len(reminders_to(session, EMAIL)) == 2

    # Once the mentor has answered every report, a new moment (the round moved) sends nothing.
    mentors.answer(session, mentor, round_, followup.id, verdict="confirmed", comment="", now=now)
    session.get(FollowupRound, round_.id).due_on = TODAY + timedelta(days=2)
    session.commit()
    assert mentor_reminders.remind(session, now) == 0
    # A closed round reminds nobody.
    session.get(FollowupRound, round_.id).due_on = TODAY - timedelta(days=1)
    session.commit()
    assert mentor_reminders.remind(session, now) == 0
