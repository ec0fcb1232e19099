"""Notifications: created by the events, shown in the inbox with the bell, delivered as each person
chose, reminders sent once per person and event."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.assessments import services as assessments
from lms.grading import services as grading
from lms.notifications import services as notifications
from lms.notifications.models import MailState, Notification, NotificationPreference
from lms.notifications.reminders import send_reminders
from lms.rubrics import services as rubrics
from tests.support import count_queries, login
from tests.test_grading import cohort_people, levels, rubric_data

NOW = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)

# The mail after a commit and the reminders run at once, in the caller.
pytestmark = pytest.mark.jobs_immediate


def cohort_world(session, make_cohort, participants):
    """A running cohort with one instructor and a reflection due in a week, graded by rubric."""
    from lms.cohorts.models import Cohort
    from lms.users.models import User

    cohort = session.get(Cohort, make_cohort(participants=participants, instructors=1).id)
    rubric = rubrics.create_rubric(session, rubric_data(), actor=None, cohort=cohort)
    assessment = assessments.save_assessment(
        session,
        None,
        cohort,
        assessments.AssessmentFields(
            title="Refleksi benchmarking",
            due_at=NOW + timedelta(days=7),
            cutoff_at=NOW + timedelta(days=10),
            rubric_id=rubric.id,
        ),
    )
    session.commit()
    participants = [session.get(User, u.id) for u in cohort_people(session, cohort.id, "participant")]
    instructors = [session.get(User, u.id) for u in cohort_people(session, cohort.id, "instructor")]
    return {
        "cohort": cohort,
        "rubric": rubric,
        "assessment": assessment,
        "participants": participants,
        "instructor": instructors[0],
    }


@pytest.fixture
def world(ctx, session, make_cohort):
    return cohort_world(session, make_cohort, 4)


def submit(session, world, person, at=NOW, assessment=None):
    assessment = assessment or world["assessment"]
    submission = assessments.start_attempt(session, assessment, person, at)
    assessments.save_draft(session, submission, "Rumah sakit tanpa kelas.", submission.version, person, at)
    assessments.submit(session, submission, person, at)
    session.commit()
    return submission


def grade_all(session, world):
    for person in world["participants"]:
        submission = submit(session, world, person)
        grading.save_grade(
            session,
            submission,
            world["instructor"],
            grading.GradeInput(levels=levels(world["rubric"], [2, 3]), comments={}, feedback="Baik.", finalize=True),
            None,
            NOW,
        )
    session.commit()


def of_kind(session, kind, recipient=None):
    stmt = select(Notification).where(Notification.kind == kind).order_by(Notification.recipient_id)
    if recipient is not None:
        stmt = stmt.where(Notification.recipient_id == recipient.id)
    return list(session.scalars(stmt))


def test_releasing_a_cohort_notifies_each_participant_once_with_score_and_link(world, session):
    grade_all(session, world)
    off = world["participants"][0]
    notifications.set_preferences(session, off, {"grade_released": "off"})
    session.commit()
    assert grading.release_assessment(session, world["assessment"], world["instructor"], NOW) == 4
    session.commit()
    rows = of_kind(session, "grade_released")
    assert [r.recipient_id for r in rows] == sorted(p.id for p in world["participants"])
    assert {r.payload["score"] for r in rows} == {"83.33"}
    assert {r.link for r in rows} == {f"/assessments/{world['assessment'].id}"}
    states = {r.recipient_id: r.mail_state for r in rows}
    assert states.pop(off.id) == MailState.NONE  # inbox only
    assert set(states.values()) == {MailState.SENT}  # e-mailed right after the commit


def test_a_rolled_back_release_notifies_nobody(world, session):
    grade_all(session, world)
    grading.release_assessment(session, world["assessment"], world["instructor"], NOW)
    session.rollback()
    assert of_kind(session, "grade_released") == []


def test_staff_get_submitted_work_in_their_digest_and_late_work_at_once(world, session):
    late = world["participants"][1]
    submit(session, world, world["participants"][0])
    submit(session, world, late, at=NOW + timedelta(days=8))
    submitted = of_kind(session, "work_submitted", world["instructor"])
    assert len(submitted) == 2 and {r.mail_state for r in submitted} == {MailState.DIGEST}
    coordinator = world["cohort"].people["coordinator"] if hasattr(world["cohort"], "people") else None
    late_rows = of_kind(session, "late_submission")
    assert [r.payload["participant"] for r in late_rows if r.recipient_id == world["instructor"].id] == [late.name]
    assert coordinator is None or coordinator.id in {r.recipient_id for r in late_rows}


def test_return_and_extension_tell_the_participant(world, session):
    person = world["participants"][0]
    submission = submit(session, world, person)
    grading.return_for_revision(session, submission, world["instructor"], "Tambahkan data.", NOW)
    assessments.grant_extension(
        session, world["assessment"], person, NOW + timedelta(days=12), world["instructor"], NOW
    )
    session.commit()
    (returned,) = of_kind(session, "work_returned", person)
    assert returned.payload["note"] == "Tambahkan data." and returned.payload["actor"] == world["instructor"].name
    (extension,) = of_kind(session, "extension_granted", person)
    assert extension.payload["cutoff"] == (NOW + timedelta(days=12)).isoformat()
    # the same cut-off again is no news; a new one is
    assessments.grant_extension(
        session, world["assessment"], person, NOW + timedelta(days=12), world["instructor"], NOW
    )
    assessments.grant_extension(
        session, world["assessment"], person, NOW + timedelta(days=13), world["instructor"], NOW
    )
    session.commit()
    assert len(of_kind(session, "extension_granted", person)) == 2


def test_reminders_run_twice_send_once_and_skip_who_submitted(world, session, app):
    done = world["participants"][0]
    submit(session, world, done)
    three_days = world["assessment"].due_at - timedelta(days=2, hours=12)
    with app.app_context():
        assert send_reminders(session, three_days) == 3
        session.commit()
        assert send_reminders(session, three_days + timedelta(hours=1)) == 0
        session.commit()
        one_day = world["assessment"].due_at - timedelta(hours=20)
        assert send_reminders(session, one_day) == 3
        session.commit()
        assert send_reminders(session, one_day) == 0
    assert len(of_kind(session, "deadline_3d")) == 3 and len(of_kind(session, "deadline_1d")) == 3
    assert of_kind(session, "deadline_3d", done) == [] and of_kind(session, "deadline_1d", done) == []


def test_reminders_skip_closed_cohorts_and_a_moved_deadline_is_a_new_event(world, session, app):
    from lms.cohorts.models import CohortStatus

    at = world["assessment"].due_at - timedelta(hours=20)
    with app.app_context():
        assert send_reminders(session, at) == 4
        session.commit()
        world["assessment"].due_at += timedelta(hours=2)
        session.commit()
        assert send_reminders(session, at) == 4
        session.commit()
        world["cohort"].status = CohortStatus.CLOSED
        world["assessment"].due_at += timedelta(hours=2)
        session.commit()
        assert send_reminders(session, at) == 0


def test_notify_with_a_key_skips_who_already_has_it(world, session):
    people = world["participants"][:2]
    first = notifications.notify(session, people[:1], "deadline_3d", {"assessment": "A"}, key="k", now=NOW)
    second = notifications.notify(session, people, "deadline_3d", {"assessment": "A"}, key="k", now=NOW)
    session.commit()
    assert (first, second) == (1, 1)
    assert [n.recipient_id for n in of_kind(session, "deadline_3d")] == [people[0].id, people[1].id]
    with pytest.raises(LookupError):
        notifications.notify(session, people, "no_such_kind", {}, now=NOW)
    with pytest.raises(ValueError):
        notifications.notify(session, people, "deadline_3d", {}, link="https://evil.example", now=NOW)


# -- pages ---------------------------------------------------------------------------------------


def seed(session, person, count, kind="work_returned"):
    for i in range(count):
        notifications.notify(
            session,
            [person],
            kind,
            {"assessment": f"Tugas {i}", "actor": "Widyaiswara", "note": "Perbaiki <b>ini</b>"},
            link="/assessments/1",
            now=NOW + timedelta(minutes=i),
        )
    session.commit()


def test_bell_and_inbox_in_a_fixed_number_of_queries(world, session, app, client):
    person = world["participants"][0]
    login(client, person)
    seed(session, person, 3)
    with count_queries(app) as few:
        page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="bell-count">3<' in html and "Tugas 2" in html
    assert "Perbaiki &lt;b&gt;ini&lt;/b&gt;" in html  # a typed note is text, never markup
    seed(session, person, 30)
    with count_queries(app) as many:
        assert client.get("/notifications/").status_code == 200
    assert len(many) == len(few)
    assert 'id="bell-count">33<' in client.get("/").get_data(as_text=True)  # the bell is on every page


def test_the_bell_count_read_with_the_user_gives_way_to_any_write_to_notifications(world, session):
    """Each request reads the bell's count with its user (no query of its own); a request that
    writes notifications (a new one, one opened, all marked read) counts again."""
    person = world["participants"][0]
    seed(session, person, 3)
    stale = 99  # a count that cannot be right: seeing it means the kept count was used

    def kept(expected_kept: bool) -> None:
        counted = notifications.unread_count(session, person.id)
        assert (counted == stale) is expected_kept, counted

    notifications.remember_unread(session, person.id, stale)
    kept(True)
    assert notifications.unread_count(session, person.id + 1) == 0  # another person's: counted
    seed(session, person, 1)  # notify: a multi-row INSERT statement
    kept(False)
    assert notifications.unread_count(session, person.id) == 4
    notifications.remember_unread(session, person.id, stale)
    one = session.scalars(select(Notification).where(Notification.recipient_id == person.id)).first()
    notifications.mark_read(session, one, person, NOW)  # an attribute, flushed
    kept(False)
    notifications.remember_unread(session, person.id, stale)
    session.add(Notification(recipient_id=person.id, kind="work_returned", payload={}, created_at=NOW))
    kept(False)  # pending, not yet flushed: counted after the flush, like the ORM's autoflush
    notifications.remember_unread(session, person.id, stale)
    notifications.mark_all_read(session, person, NOW)  # an UPDATE statement
    kept(False)
    assert notifications.unread_count(session, person.id) == 0


def test_open_marks_read_and_goes_to_the_link_mark_all_read(world, session, client):
    person = world["participants"][0]
    seed(session, person, 3)
    first = of_kind(session, "work_returned", person)[0]
    login(client, person)
    response = client.post(f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/assessments/1")
    session.expire_all()
    assert session.get(Notification, first.id).read_at is not None
    assert 'id="bell-count">2<' in client.get("/notifications/").get_data(as_text=True)
    assert client.post("/notifications/read-all").status_code == 302
    html = client.get("/notifications/").get_data(as_text=True)
    assert "bell-count" not in html
    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))) == 0


def test_nobody_opens_or_reads_someone_elses_notification(world, session, client):
    owner, other = world["participants"][:2]
    seed(session, owner, 1)
    row = of_kind(session, "work_returned", owner)[0]
    login(client, other)
    assert client.post(f"/notifications/{row.id}/open").status_code == 403
    assert client.post(f"/notifications/{row.id}/read").status_code == 403
    assert client.post("/notifications/999999/read").status_code == 404
    assert "Tugas 0" not in client.get("/notifications/").get_data(as_text=True)
    session.expire_all()
    assert session.get(Notification, row.id).read_at is None


def test_preferences_page_saves_and_refuses_nonsense(world, session, client, login_as):
    person, instructor = world["participants"][0], world["instructor"]
    login(client, person)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="kind-grade_released" value="immediate"' in page and "kind-work_submitted" not in page
    assert (
        client.post(
            "/notifications/preferences", data={"kind-grade_released": "digest", "kind-deadline_3d": "off"}
        ).status_code
        == 302
    )
    choices = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == person.id
            )
        ).all()
    )
    assert choices == {"grade_released": "digest", "deadline_3d": "off"}
    bad = client.post(
        "/notifications/preferences", data={"kind-grade_released": "sometimes", "kind-deadline_1d": "off"}
    )
    assert bad.status_code == 422
    session.expire_all()
    assert (
        session.scalar(
            select(func.count()).select_from(NotificationPreference).where(NotificationPreference.user_id == person.id)
        )
        == 2
    )  # nothing saved half-way
    login_as(instructor)
    assert "kind-work_submitted" in client.get("/notifications/preferences").get_data(as_text=True)


def test_digest_preference_moves_the_mail_to_the_digest(world, session):
    person = world["participants"][0]
    notifications.set_preferences(session, person, {"work_returned": "digest"})
    seed(session, person, 2)
    assert {r.mail_state for r in of_kind(session, "work_returned", person)} == {MailState.DIGEST}


def test_the_email_says_who_what_and_where_in_the_recipients_language(world, session, app):
    from lms.notifications.delivery import render_digest, render_single

    person = world["participants"][0]
    notifications.notify(
        session,
        [person],
        "grade_released",
        {"assessment": "Refleksi", "score": "87.125"},
        link="/assessments/7",
        now=NOW,
    )
    session.commit()
    (row,) = of_kind(session, "grade_released", person)
    app.config["BASE_URL"] = "https://lms.example.go.id"
    with app.app_context():
        person.locale = "id"
        mail = render_single(person, row)
        assert mail.to == person.email and f"{person.name}" in mail.text
        assert "87,13" in mail.text and "https://lms.example.go.id/assessments/7" in mail.text
        assert 'href="https://lms.example.go.id/assessments/7"' in mail.html and 'lang="id"' in mail.html
        person.locale = "en"
        assert "87.13" in render_single(person, row).text
        digest = render_digest(person, [row, row])
        assert digest.text.count("https://lms.example.go.id/assessments/7") == 2
        assert "https://lms.example.go.id/notifications/preferences" in digest.text


def test_releasing_a_cohort_costs_the_same_queries_at_any_size(ctx, session, make_cohort, app):
    counts = []
    for size in (2, 8):
        world = cohort_world(session, make_cohort, size)
        grade_all(session, world)
        with count_queries(app) as statements:
            grading.release_assessment(session, world["assessment"], world["instructor"], NOW)
            session.flush()
        session.commit()
        counts.append(len([s for s in statements if "notification" in s.lower()]))
    assert counts[0] == counts[1]


# -- done when (issue 12): real e-mail through a real SMTP server --------------------------------


def test_releasing_grades_mails_each_participant_once_and_the_digest_is_one_mail(app_factory, session, make_cohort):
    from lms.notifications.delivery import send_digests
    from tests.mailserver import body, smtp_server

    with smtp_server() as (inbox, port):
        config = {
            "JOBS_IMMEDIATE": True,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT": 5,
            "BASE_URL": "https://lms.example.go.id",
        }
        app_factory(**config)
        twin = app_factory(DEFAULT_LOCALE="en", **config)
        with twin.test_request_context():
            world = cohort_world(session, make_cohort, 5)
            cohort, assessment, people, teacher = (
                world[k] for k in ("cohort", "assessment", "participants", "instructor")
            )
            people[0].locale, people[1].locale = "id", "en"
            notifications.set_preferences(session, people[4], {"grade_released": "off"})
            session.commit()
            grade_all(session, world)
            assert inbox.messages == []  # submitted work waits for the staff's digest
            grading.release_assessment(session, assessment, teacher, NOW)
            session.commit()

            assert len(of_kind(session, "grade_released")) == 5  # in every inbox, the "off" one's too
            assert sorted(m["To"] for m in inbox.messages) == sorted(p.email for p in people[:4])
            link = f"https://lms.example.go.id/assessments/{assessment.id}"
            dewi, john = inbox.to(people[0].email)[0], inbox.to(people[1].email)[0]
            assert (
                people[0].name in body(dewi, "plain") and "83,33" in body(dewi, "plain") and link in body(dewi, "plain")
            )
            assert "83.33" in body(john, "plain") and f'href="{link}"' in body(john, "html")
            assert dewi["Content-Language"] == "id" and john["Content-Language"] == "en"
            assert inbox.to(people[4].email) == []

            inbox.messages.clear()
            coordinator = cohort.people["coordinator"]
            assert send_digests(session, NOW + timedelta(days=1)) == 2  # the widyaiswara and the coordinator
            session.commit()
            assert send_digests(session, NOW + timedelta(days=1)) == 0
            session.commit()
    assert sorted(m["To"] for m in inbox.messages) == sorted([teacher.email, coordinator.email])
    text = body(inbox.to(teacher.email)[0], "plain")  # five submissions, one e-mail
    assert all(p.name in text for p in people) and text.count("https://lms.example.go.id/grading/submissions/") == 5
