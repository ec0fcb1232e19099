"""Programs, cohorts and their people through the views."""

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Membership, Program, Role
from lms.mail.models import MailMessage
from lms.users.models import User
from tests.support import count_queries, login


def test_manager_creates_program_with_default_bands_and_a_cohort(client, make_user, session):
    manager = make_user(is_manager=True)
    login(client, manager)
    form = client.get("/programs/new").get_data(as_text=True)
    assert "90 | Sangat Memuaskan" in form
    response = client.post(
        "/programs/new",
        data={
            "code": "pka",
            "name": "Pelatihan Kepemimpinan Administrator",
            "bands": "90 | Sangat Memuaskan\n80 | Memuaskan\n* | Belum",
        },
    )
    assert response.status_code == 302
    program = session.scalar(select(Program))
    assert program.code == "PKA" and program.predicate_bands[-1] == {"above": None, "label": "Belum"}
    response = client.post(
        f"/programs/{program.id}/cohorts/new",
        data={
            "name": "Angkatan XII",
            "year": 2026,
            "start_date": "2026-08-03",
            "end_date": "2026-11-20",
            "location": "Palangka Raya",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    cohort = session.scalar(select(Cohort))
    assert (
        session.scalar(
            select(Membership.role).where(Membership.cohort_id == cohort.id, Membership.user_id == manager.id)
        )
        == Role.COORDINATOR
    )


def test_program_edits_are_scoped_to_the_managers_own_cohorts(app, make_user, make_cohort, session):
    """Issue 10, item 17: a penyelenggara edits a program whose every cohort they coordinate (or,
    unused, one they created); opening a cohort of someone else's program gives no right to edit it;
    a program shared by two coordinators' cohorts, and every program, is the admin's to edit."""
    first, second = make_user(is_manager=True), make_user(is_manager=True)
    mine, theirs, admin = app.test_client(), app.test_client(), app.test_client()
    login(mine, first)
    login(theirs, second)
    login(admin, make_user(is_admin=True))
    form = {"code": "PKN", "name": "Pelatihan Kepemimpinan Nasional", "bands": "90 | Sangat Memuaskan\n* | Belum"}
    assert mine.post("/programs/new", data=form).status_code == 302
    program = session.scalar(select(Program).where(Program.code == "PKN"))
    edit = f"/programs/{program.id}/edit"
    assert mine.get(edit).status_code == 200 and theirs.get(edit).status_code == 403
    make_cohort(coordinator=first, program=program, name="Angkatan I")
    assert mine.get(edit).status_code == 200 and edit in mine.get("/programs").get_data(as_text=True)
    assert theirs.post(edit, data=form | {"name": "Dibajak"}).status_code == 403
    assert edit not in theirs.get("/programs").get_data(as_text=True)
    # The other manager opens a cohort of it: now neither of them may change what both depend on.
    assert (
        theirs.post(
            f"/programs/{program.id}/cohorts/new",
            data={
                "name": "Angkatan II",
                "year": 2026,
                "start_date": "2026-08-03",
                "end_date": "2026-11-20",
                "status": "planned",
            },
        ).status_code
        == 302
    )
    assert theirs.get(edit).status_code == 403 and mine.get(edit).status_code == 403
    assert admin.post(edit, data=form | {"name": "PKN Tingkat II"}).status_code == 302
    session.expire_all()
    assert session.get(Program, program.id).name == "PKN Tingkat II"


def test_bad_bands_and_dates_keep_what_was_typed(client, make_user, session):
    login(client, make_user(is_manager=True))
    response = client.post("/programs/new", data={"code": "PKP", "name": "Pengawas", "bands": "70 | A\n80 | B\n* | C"})
    assert response.status_code == 422 and 'value="Pengawas"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Program)) == 0
    program = Program(code="PKP", name="Pengawas")
    session.add(program)
    session.commit()
    response = client.post(
        f"/programs/{program.id}/cohorts/new",
        data={
            "name": "Angkatan I",
            "year": 2026,
            "start_date": "2026-08-03",
            "end_date": "2026-08-01",
            "status": "planned",
        },
    )
    assert response.status_code == 422 and 'value="Angkatan I"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_enrol_one_participant_validates_nip_and_never_duplicates(client, make_cohort, make_user, session):
    cohort = make_cohort()
    login(client, cohort.people["coordinator"])
    data = {
        "nip": "19860926 201505 1 001",
        "name": "Ahmad Fauzi",
        "email": "ahmad@kalteng.go.id",
        "instansi": "Pemprov Kalteng",
        "golongan": "III/d",
    }
    bad = client.post(f"/cohorts/{cohort.id}/participants/new", data=dict(data, nip="19861326201505 1 001"))
    assert bad.status_code == 422 and 'value="Ahmad Fauzi"' in bad.get_data(as_text=True)
    assert client.post(f"/cohorts/{cohort.id}/participants/new", data=data).status_code == 302
    page = client.get(f"/cohorts/{cohort.id}/participants").get_data(as_text=True)
    assert "19860926 201505 1 001" in page and "Ahmad Fauzi" in page
    again = client.post(f"/cohorts/{cohort.id}/participants/new", data=data)
    assert again.status_code == 409
    other = make_cohort(coordinator=cohort.people["coordinator"], name="Angkatan XIII")
    # Someone of the coordinator's cohorts: shown for confirmation, then linked as they are.
    ask = client.post(f"/cohorts/{other.id}/participants/new", data=dict(data, name="Nama Lain", instansi="Lain"))
    assert ask.status_code == 200 and 'id="confirm-person"' in ask.get_data(as_text=True)
    assert "ahmad@kalteng.go.id" in ask.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Membership).where(Membership.role == Role.PARTICIPANT)) == 1
    confirmed = dict(data, name="Nama Lain", instansi="Lain", confirm="198609262015051001")
    assert client.post(f"/cohorts/{other.id}/participants/new", data=confirmed).status_code == 302
    assert session.scalar(select(func.count()).select_from(Membership).where(Membership.role == Role.PARTICIPANT)) == 2
    assert session.scalar(select(func.count()).select_from(User).where(User.email == "ahmad@kalteng.go.id")) == 1
    ahmad = session.scalar(select(User).where(User.email == "ahmad@kalteng.go.id"))
    assert (ahmad.name, ahmad.profile.instansi) == ("Ahmad Fauzi", "Pemprov Kalteng")  # nothing overwritten


def test_enrolling_another_cohorts_peserta_by_nip_takes_nothing_over(client, make_cohort, session):
    """Issue 10 #1: a coordinator of A enrols B's peserta by NIP with their own name and e-mail."""
    from lms.users.models import User

    a, b = make_cohort(name="Angkatan A"), make_cohort(participants=1, name="Angkatan B")
    victim = session.get(User, b.people["participants"][0].id)
    original = (victim.name, victim.email, victim.profile.instansi, victim.password_hash)
    login(client, a.people["coordinator"])
    response = client.post(
        f"/cohorts/{a.id}/participants/new",
        data={
            "nip": victim.profile.nip,
            "name": "Penyusup",
            "email": "penyusup@evil.example",
            "instansi": "X",
            "confirm": victim.profile.nip,
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert victim.name not in page and victim.email not in page
    session.expire_all()
    victim = session.get(User, victim.id)
    assert (victim.name, victim.email, victim.profile.instansi, victim.password_hash) == original
    assert client.post(f"/users/{victim.id}/reset-password").status_code == 403
    # With the person's own e-mail the coordinator enrols them, without seeing or changing anything first.
    linked = client.post(
        f"/cohorts/{a.id}/participants/new", data={"nip": victim.profile.nip, "name": "Penyusup", "email": victim.email}
    )
    assert linked.status_code == 302
    session.expire_all()
    victim = session.get(User, victim.id)
    assert (victim.name, victim.email, victim.profile.instansi, victim.password_hash) == original


def test_staff_added_by_email_and_last_coordinator_stays(client, make_cohort, make_user, session):
    cohort = make_cohort()
    teacher = make_user(email="widyaiswara@bpsdm.go.id")
    login(client, cohort.people["coordinator"])
    client.post(
        f"/cohorts/{cohort.id}/staff",
        data={"email": "WIDYAISWARA@bpsdm.go.id", "name": "Typed name", "role": "instructor"},
    )
    assert session.scalar(select(Membership.role).where(Membership.user_id == teacher.id)) == Role.INSTRUCTOR
    assert session.get(User, teacher.id).name != "Typed name"  # an existing account keeps its own name
    mine = session.scalar(select(Membership).where(Membership.user_id == cohort.people["coordinator"].id))
    client.post(f"/cohorts/{cohort.id}/members/{mine.id}/remove")
    session.expire_all()
    assert session.get(Membership, mine.id) is not None


@pytest.mark.parametrize("page", ["participants", "dashboard"])
def test_pages_run_a_fixed_number_of_queries(app_factory, make_cohort, make_user, page):
    app = app_factory()
    counts = []
    for size in (5, 60):
        cohort = make_cohort(participants=size, instructors=2, name=f"Angkatan {size}")
        client = app.test_client()
        login(client, cohort.people["coordinator"])
        url = f"/cohorts/{cohort.id}/participants" if page == "participants" else "/"
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_cohort_dates_show_in_indonesian(client, make_cohort):
    cohort = make_cohort()
    login(client, cohort.people["coordinator"])
    assert "3 Agustus 2026" in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert date(2026, 8, 3) == cohort.start_date


def _bulk(client, cohort_id, action, ids, **extra):
    data = {"action": action, "user_ids": [str(i) for i in ids], **extra}
    return client.post(f"/cohorts/{cohort_id}/participants/bulk", data=data)


def test_bulk_actions_ask_first_then_act_on_the_ticked_only(client, make_cohort, session):
    from lms.assessments.models import Assessment, Extension

    cohort = make_cohort(participants=3)
    other = make_cohort(participants=1, name="Angkatan B")
    a, b, c = cohort.people["participants"]
    stranger = other.people["participants"][0]
    assessment = Assessment(cohort_id=cohort.id, title="Refleksi", kind="reflection")
    session.add(assessment)
    session.commit()
    login(client, cohort.people["coordinator"])

    page = client.get(f"/cohorts/{cohort.id}/participants").get_data(as_text=True)
    assert 'id="bulk-form"' in page and page.count('name="user_ids"') == 3

    # Nothing ticked: a message, nothing done.
    assert _bulk(client, cohort.id, "remove", []).status_code == 303
    # The first POST only asks, naming the ticked participants of this cohort (never the stranger).
    ask = _bulk(client, cohort.id, "remove", [a.id, b.id, stranger.id])
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200 and 'id="bulk-confirm"' in text
    assert a.name in text and b.name in text and stranger.name not in text
    assert session.scalar(select(func.count()).select_from(Membership).where(Membership.cohort_id == cohort.id)) == 4

    done = _bulk(client, cohort.id, "remove", [a.id, b.id, stranger.id], confirmed="1")
    assert done.status_code == 302
    session.expire_all()
    left = set(
        session.scalars(
            select(Membership.user_id).where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
        )
    )
    assert left == {c.id}
    assert session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == stranger.id)) == 1

    # An extension needs the assessment and the cut-off; without them the question comes again.
    again = _bulk(client, cohort.id, "extension", [c.id], confirmed="1")
    assert again.status_code == 200 and 'id="bulk-confirm"' in again.get_data(as_text=True)
    granted = _bulk(
        client,
        cohort.id,
        "extension",
        [c.id],
        confirmed="1",
        assessment_id=str(assessment.id),
        cutoff_at="2026-12-24T23:59",
    )
    assert granted.status_code == 302
    assert session.scalars(select(Extension.participant_id)).all() == [c.id]


def test_bulk_actions_belong_to_the_cohorts_own_coordinators(client, make_cohort):
    cohort = make_cohort(participants=1)
    other = make_cohort(participants=1, name="Angkatan B")
    target = cohort.people["participants"][0].id
    for person in (other.people["coordinator"], other.people["participants"][0]):
        login(client, person)
        assert _bulk(client, cohort.id, "remove", [target], confirmed="1").status_code == 403
        client.post("/logout")
    instructor_cohort = make_cohort(participants=1, instructors=1, name="Angkatan C")
    login(client, instructor_cohort.people["instructors"][0])
    assert (
        _bulk(
            client, instructor_cohort.id, "remove", [instructor_cohort.people["participants"][0].id], confirmed="1"
        ).status_code
        == 403
    )


def test_adding_staff_answers_alike_whether_or_not_the_email_has_an_account(client, make_cohort, make_user, session):
    """A program manager cannot use "add staff" to find out who has an account: a known and an
    unknown address get the same answer; the new one gets an account and an invitation, the known
    one an e-mail saying who added them where."""
    cohort = make_cohort()
    known = make_user(email="known@bpsdm.go.id", name="Dr. Known")
    login(client, cohort.people["coordinator"])
    answers = []
    for email in ("known@bpsdm.go.id", "nobody.yet@bpsdm.go.id"):
        response = client.post(
            f"/cohorts/{cohort.id}/staff",
            data={"email": email, "name": "Typed Name", "role": "instructor"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        answers.append(response.get_data(as_text=True).replace(email, "EMAIL"))
    flash = [a[a.index('class="alert') : a.index('class="alert') + 300] for a in answers]
    assert flash[0] == flash[1]
    new = session.scalar(select(User).where(User.email == "nobody.yet@bpsdm.go.id"))
    assert new.name == "Typed Name" and new.password_hash is None
    assert session.get(User, known.id).name == "Dr. Known"
    rows = session.execute(select(Membership.user_id, Membership.role).where(Membership.cohort_id == cohort.id))
    roles = {user_id: role for user_id, role in rows}
    assert roles[known.id] == Role.INSTRUCTOR and roles[new.id] == Role.INSTRUCTOR
    sent = {m.recipient: m.text_body for m in session.scalars(select(MailMessage))}
    assert "/activate/" in sent["nobody.yet@bpsdm.go.id"]
    assert f"/cohorts/{cohort.id}" in sent["known@bpsdm.go.id"] and cohort.title in sent["known@bpsdm.go.id"]


# -- the status follows the dates unless set by hand -------------------------------------------------


def test_the_status_comes_from_the_dates():
    from lms.cohorts.models import CohortStatus as S
    from lms.cohorts.services import status_from_dates

    start, end = date(2026, 8, 3), date(2026, 11, 20)
    assert status_from_dates(start, end, date(2026, 8, 2)) == S.PLANNED
    assert status_from_dates(start, end, start) == S.RUNNING
    assert status_from_dates(start, end, end) == S.RUNNING
    assert status_from_dates(start, end, date(2026, 11, 21)) == S.FINISHED
    assert status_from_dates(start, None, date(2030, 1, 1)) == S.RUNNING
    assert status_from_dates(None, None, date(2030, 1, 1)) == S.PLANNED
    assert status_from_dates(None, None, date(2030, 1, 1), S.CLOSED) == S.PLANNED  # never closed by the dates


def test_cohorts_following_their_dates_move_on_and_those_set_by_hand_stay(client, make_cohort, session):
    from lms.cohorts.models import CohortStatus as S
    from lms.cohorts.services import follow_dates

    automatic, by_hand = make_cohort(name="Angkatan Otomatis"), make_cohort(name="Angkatan Manual")
    session.get(Cohort, automatic.id).status_by_hand = False
    session.commit()
    # The factory's cohorts run 3 Aug – 20 Nov 2026.
    assert follow_dates(session, date(2026, 12, 1)) == 1
    session.commit()
    assert session.get(Cohort, automatic.id).status == S.FINISHED
    assert session.get(Cohort, by_hand.id).status == S.RUNNING
    assert follow_dates(session, date(2026, 12, 1)) == 0  # idempotent
    assert follow_dates(session, date(2026, 7, 1)) == 1
    session.commit()
    assert session.get(Cohort, automatic.id).status == S.PLANNED
    # A finished cohort is not read-only: only closing (by hand) locks it.
    login(client, automatic.people["coordinator"])
    follow_dates(session, date(2026, 12, 1))
    session.commit()
    assert client.get(f"/cohorts/{automatic.id}/edit").status_code == 200
    page = client.get(f"/cohorts/{automatic.id}").get_data(as_text=True)
    assert 'data-by-hand="false"' in page and 'data-status="finished"' in page


def test_a_coordinator_chooses_between_the_dates_and_a_status_set_by_hand(client, make_cohort, session):
    from lms.cohorts.models import CohortStatus as S

    cohort = make_cohort()
    login(client, cohort.people["coordinator"])
    assert client.post(f"/cohorts/{cohort.id}/status", data={"status": "auto"}).status_code == 302
    session.expire_all()
    shown = session.get(Cohort, cohort.id)
    assert not shown.status_by_hand and shown.status != S.CLOSED
    assert client.post(f"/cohorts/{cohort.id}/status", data={"status": "planned"}).status_code == 302
    session.expire_all()
    shown = session.get(Cohort, cohort.id)
    assert shown.status_by_hand and shown.status == S.PLANNED
    assert 'data-by-hand="true"' in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert client.post(f"/cohorts/{cohort.id}/status", data={"status": "bogus"}).status_code == 400


def test_the_demo_runs_today_with_a_cohort_finished_in_the_past(app):
    from lms import db
    from lms.cohorts.models import CohortStatus as S
    from lms.core.timezones import today_local
    from lms.demo import load_demo

    with app.app_context():
        demo = load_demo(db.session, app, participants=6)
        today = today_local()
        cohort, finished = demo["cohort"], demo["finished_cohort"]
        assert cohort.start_date < today < cohort.end_date
        assert cohort.status == S.RUNNING and not cohort.status_by_hand
        assert finished.end_date < today and finished.status == S.CLOSED
        visit = demo.get("benchmarking_visit")  # with the plugin on: its practice log open, due ahead
        if visit is not None:
            assert visit.end_date <= today and visit.assessment.due_at.date() > today
        db.session.rollback()
