"""The participant's dashboard: what is due and until when, extensions, released grades."""

from datetime import UTC, datetime, timedelta

from lms.assessments import services as assessments
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort, Membership, Role
from lms.grading.models import Grade, GradeStatus
from tests.support import count_queries, login


def test_due_work_shows_time_left_and_an_extension_instead_of_overdue(client, ctx, session, make_cohort):
    cohort = make_cohort(participants=2)
    cohort = session.get(Cohort, cohort.id)
    now = datetime.now(UTC).replace(microsecond=0)
    assessments.save_assessment(
        session,
        None,
        cohort,
        assessments.AssessmentFields(
            title="Refleksi minggu ini", due_at=now + timedelta(days=3), cutoff_at=now + timedelta(days=5)
        ),
    )
    past = assessments.save_assessment(
        session,
        None,
        cohort,
        assessments.AssessmentFields(
            title="Refleksi yang lewat", due_at=now - timedelta(days=3), cutoff_at=now - timedelta(days=1)
        ),
    )
    holder, other = cohort.people["participants"]
    assessments.grant_extension(session, past, holder, now + timedelta(days=2), cohort.people["coordinator"], now)
    session.commit()

    login(client, holder)
    page = client.get("/").get_data(as_text=True)
    due = page[page.index('id="due"') :]
    assert "Refleksi minggu ini" in due and "dalam 3 hari" in due
    assert "Refleksi yang lewat" in due, "the extension keeps the work open for its holder"
    assert "Diperpanjang sampai" in due or "Extended until" in due
    mine = client.get("/my/assessments").get_data(as_text=True)
    assert 'data-extended="1"' in mine and "terlambat" not in mine.split('id="my-assessments"')[1]

    client.post("/logout")
    login(client, other)
    page = client.get("/").get_data(as_text=True)
    assert "Refleksi yang lewat" not in page[page.index('id="due"') :]
    mine = client.get("/my/assessments").get_data(as_text=True)
    assert 'data-extended="1"' not in mine and "Refleksi yang lewat" in mine


def _add_work(session, cohort, person, count, now):
    """``count`` assessments of the cohort: the person's work in each is graded and released."""
    for i in range(count):
        assessment = assessments.save_assessment(
            session,
            None,
            cohort,
            assessments.AssessmentFields(title=f"Tugas {cohort.id}-{i}", due_at=now + timedelta(days=2 + i)),
        )
        work = Submission(
            assessment=assessment,
            participant_id=person.id,
            attempt=1,
            state=SubmissionState.SUBMITTED,
            submitted_at=now,
        )
        session.add(work)
        session.flush()
        session.add(Grade(submission_id=work.id, score=80 + i, status=GradeStatus.RELEASED, released_at=now))
    session.commit()


def test_dashboards_read_a_fixed_number_of_queries(app, client, ctx, session, make_cohort):
    """The first page everyone opens: a handful of narrow queries, whatever the number of cohorts,
    assessments, grades or members (issue 13)."""
    now = datetime.now(UTC).replace(microsecond=0)
    cohort = session.get(Cohort, make_cohort(participants=3, instructors=1).id)
    person, coordinator = cohort.people["participants"][0], cohort.people["coordinator"]
    _add_work(session, cohort, person, 2, now)
    # A plugin's widget may add its own query (the benchmarking plugin's visit card adds one).
    widget_queries = 1 if "benchmarking" in app.config["PLUGINS_ENABLED"] else 0

    def queries_of(user):
        client.post("/logout")
        login(client, user)
        client.get("/")
        with count_queries(app) as statements:
            page = client.get("/").get_data(as_text=True)
        return len(statements), page

    # the user with the bell's count, memberships with their cohorts, what is due with the released grades
    first, page = queries_of(person)
    assert first == 3 + widget_queries, first
    assert page.count("Tugas ") >= 2 and 'id="released-grades"' in page
    staff, page = queries_of(coordinator)  # user with the bell, memberships with cohorts, member counts, waiting work
    assert staff == 4, staff

    more = session.get(Cohort, make_cohort(participants=20, coordinator=coordinator).id)
    session.add(Membership(cohort_id=more.id, user_id=person.id, role=Role.PARTICIPANT))
    session.commit()
    _add_work(session, more, person, 12, now)
    assert queries_of(person)[0] == first
    assert queries_of(coordinator)[0] == staff


def test_work_of_keeps_each_list_its_order_and_its_limit(ctx, session, make_cohort):
    """The dashboard reads what is due and the released grades in one statement: each list keeps its
    own order, its own limit and its own rows (a submitted piece is not due, an unreleased grade is
    not shown, another peserta's work is not theirs)."""
    from decimal import Decimal

    from lms.grading.queries import work_of

    now = datetime.now(UTC).replace(microsecond=0)
    cohort = session.get(Cohort, make_cohort(participants=2).id)
    person, other = cohort.people["participants"]
    open_ = [
        assessments.save_assessment(
            session, None, cohort, assessments.AssessmentFields(title=f"Buka {i}", due_at=now + timedelta(days=9 - i))
        )
        for i in range(7)
    ]
    session.add(Submission(assessment=open_[6], participant_id=person.id, attempt=1, state=SubmissionState.SUBMITTED))
    session.add(Submission(assessment=open_[5], participant_id=person.id, attempt=1, state=SubmissionState.DRAFT))
    session.add(Submission(assessment=open_[4], participant_id=other.id, attempt=1, state=SubmissionState.SUBMITTED))
    for i in range(12):
        assessment = assessments.save_assessment(
            session, None, cohort, assessments.AssessmentFields(title=f"Nilai {i}", due_at=now - timedelta(days=30))
        )
        work = Submission(assessment=assessment, participant_id=person.id, attempt=1, state=SubmissionState.SUBMITTED)
        session.add(work)
        session.flush()
        status = GradeStatus.DRAFT if i == 11 else GradeStatus.RELEASED
        session.add(
            Grade(
                submission_id=work.id, score=Decimal("70.25") + i, status=status, released_at=now + timedelta(minutes=i)
            )
        )
    # A cohort they manage: its assessments are not theirs to hand in.
    managed = session.get(Cohort, make_cohort(participants=1, coordinator=person).id)
    assessments.save_assessment(
        session, None, managed, assessments.AssessmentFields(title="Bukan tugasnya", due_at=now + timedelta(hours=1))
    )
    session.commit()

    due, released = work_of(session, person.id, now)
    # Soonest first, five at most, the handed-in one left out, the draft shown as a draft.
    assert [r.title for r in due] == ["Buka 5", "Buka 4", "Buka 3", "Buka 2", "Buka 1"]
    assert [r.state for r in due][:2] == ["draft", None]
    # Newest release first, ten at most, the draft grade left out; scores exact.
    assert [r.title for r in released] == [f"Nilai {i}" for i in range(10, 0, -1)]
    assert released[0].score == Decimal("80.25") and isinstance(released[0].score, Decimal)
    others_due, others_released = work_of(session, other.id, now)
    assert "Buka 4" not in [r.title for r in others_due] and len(others_due) == 5 and others_released == []
