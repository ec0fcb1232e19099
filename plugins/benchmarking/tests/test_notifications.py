"""The plugin's notifications: visit changes, returned practices, follow-up rounds and group reports,
each reminder sent once per person."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.assessments.models import Assessment
from lms.cohorts.models import Cohort
from lms.grading import services as grading
from lms.notifications.models import Notification
from lms.notifications.reminders import send_reminders
from plugins.benchmarking import followups, practices, reports, services
from plugins.benchmarking.models import VisitGroup
from plugins.benchmarking.tests.test_practices import adapted, plugin_on  # noqa: F401  (fixture)

pytestmark = [pytest.mark.usefixtures("plugin_on"), pytest.mark.jobs_immediate]
NOW = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 9, 1)


@pytest.fixture
def world(ctx, session, make_cohort):
    cohort = make_cohort(participants=4, instructors=1)
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak")
    visit = services.save_visit(
        session,
        None,
        cohort=session.get(Cohort, cohort.id),
        host=host,
        theme="Inovasi",
        start_date=TODAY,
        end_date=TODAY,
        location="Balai Kota",
        min_practices=1,
    )
    services.split_groups(session, visit, 2)
    practices.ensure_assessments(session, visit, None)
    session.commit()
    return {
        "cohort": cohort,
        "visit": visit,
        "host": host,
        "people": cohort.people["participants"],
        "teacher": cohort.people["instructors"][0],
    }


def rows(session, kind):
    return list(
        session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.recipient_id))
    )


def test_changing_a_visit_tells_its_participants_saving_it_unchanged_does_not(world, session):
    visit = world["visit"]
    fields = {
        "cohort": visit.cohort,
        "host": world["host"],
        "theme": "Inovasi",
        "start_date": TODAY,
        "end_date": TODAY,
        "location": "Balai Kota",
    }
    services.save_visit(session, visit, **fields)
    session.commit()
    assert rows(session, "benchmarking.visit_changed") == []
    services.save_visit(
        session, visit, **{**fields, "location": "Kantor Wali Kota", "end_date": TODAY + timedelta(days=1)}
    )
    session.commit()
    changed = rows(session, "benchmarking.visit_changed")
    assert sorted(r.recipient_id for r in changed) == sorted(p.id for p in world["people"])
    assert (
        changed[0].payload["location"] == "Kantor Wali Kota" and changed[0].link == f"/benchmarking/visits/{visit.id}"
    )


def test_a_returned_practice_uses_the_plugins_kind(world, session):
    person = world["people"][0]
    practice = practices.create_practice(session, world["visit"], person, adapted(), NOW)
    practices.submit_practice(session, practice, person, NOW)
    session.commit()
    grading.return_for_revision(session, practice.submission, world["teacher"], "Lengkapi risiko.", NOW)
    session.commit()
    assert rows(session, "work_returned") == []
    (row,) = rows(session, "benchmarking.practice_returned")
    assert row.recipient_id == person.id and row.payload["note"] == "Lengkapi risiko."


def test_followup_round_announced_once_and_closing_reminder_skips_who_reported(world, session, app):
    reporter, silent = world["people"][:2]
    for person in (reporter, silent):
        practice = practices.create_practice(session, world["visit"], person, adapted(), NOW)
        practices.submit_practice(session, practice, person, NOW)
    session.commit()
    round_ = followups.open_round(
        session, world["visit"].cohort, "3 bulan", TODAY + timedelta(days=10), TODAY + timedelta(days=20)
    )
    session.commit()
    with app.app_context():
        assert send_reminders(session, NOW) == 0  # not open yet
        opened_at = NOW + timedelta(days=10)
        assert send_reminders(session, opened_at) == 2
        session.commit()
        assert send_reminders(session, opened_at + timedelta(days=1)) == 0
        mine = followups.reportable(session, reporter, round_.cohort_id)[0]
        followups.report(
            session,
            round_,
            mine,
            reporter,
            status="planned",
            outcome="",
            evidence_links="",
            today=TODAY + timedelta(days=11),
            now=opened_at,
        )
        session.commit()
        closing = NOW + timedelta(days=18)
        assert send_reminders(session, closing) == 1
        session.commit()
        assert send_reminders(session, closing) == 0
    assert [r.recipient_id for r in rows(session, "benchmarking.followup_closing")] == [silent.id]
    assert {r.link for r in rows(session, "benchmarking.followup_opened")} == {
        f"/benchmarking/rounds/{round_.id}/report"
    }


def test_group_report_due_reaches_groups_without_a_submitted_report_only(world, session, app):
    visit = world["visit"]
    report_assessment = session.get(Assessment, visit.report_assessment_id)
    groups = list(session.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit.id).order_by(VisitGroup.id)))
    done = groups[0]
    leader = next(p for p in world["people"] if p.id == done.leader_id)
    at = report_assessment.opens_at or NOW
    reports.write(session, done, leader, "Laporan kelompok.", [], 0, at)
    from lms.assessments import services as assessments

    _report, submission = reports.report_of(session, done.id)
    assessments.submit(session, submission, leader, at)
    session.commit()
    with app.app_context():
        sent = send_reminders(session, report_assessment.due_at - timedelta(days=2))
        session.commit()
    due = rows(session, "benchmarking.group_report_due")
    members = {m.user_id for m in groups[1].members}
    assert {r.recipient_id for r in due} == members and sent >= len(members)
    # the core's own deadline reminder is not sent for the group report as well
    assert not [r for r in rows(session, "deadline_3d") if r.payload["assessment"] == report_assessment.title]
