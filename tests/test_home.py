"""The participant's dashboard: what is due and until when, extensions, released grades."""

from datetime import UTC, datetime, timedelta

from lms.assessments import services as assessments
from lms.cohorts.models import Cohort
from tests.support import login


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
