"""Attendance: sessions, the sheet saved in one go with optimistic locking, totals in JP and
percent, the widyaiswara's teaching hours and their CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.attendance import services
from lms.attendance.models import AttendanceRecord, ClassSession, Presence
from lms.core.errors import Conflict, DomainError
from tests.support import login, race


def add_session(session, cohort, jp, *, day=date(2026, 8, 3), topic="Wawasan Kebangsaan", instructor=None):
    made = services.save_session(
        session,
        cohort,
        None,
        day=day,
        starts_at=time(8),
        ends_at=time(11),
        jp=jp,
        topic=topic,
        instructor_id=instructor.id if instructor else None,
    )
    session.commit()
    return made


@pytest.fixture
def world(ctx, session, make_cohort):
    cohort = make_cohort(participants=3, instructors=2)
    return cohort


def test_totals_count_hadir_jp_of_recorded_sessions_only(world, session):
    a, b, c = world.people["participants"]
    recorder = world.people["coordinator"]
    s1 = add_session(session, world, 3)
    s2 = add_session(session, world, 4, day=date(2026, 8, 4))
    add_session(session, world, 5, day=date(2026, 8, 5))  # not recorded yet: counts for nobody
    services.record(session, s1, recorder, version=0, statuses={b.id: Presence.IZIN}, instructor_present=True)
    services.record(
        session,
        s2,
        recorder,
        version=0,
        statuses={a.id: Presence.HADIR, b.id: Presence.HADIR, c.id: Presence.ALPA},
        instructor_present=True,
    )
    session.commit()

    totals = services.attendance_totals(session, world)
    assert set(totals) == {a.id, b.id, c.id}
    assert totals[a.id] == services.AttendanceTotal(7, 7, Decimal("100.00"))
    assert totals[b.id] == services.AttendanceTotal(4, 7, Decimal("57.14"))  # 57.142857… → 57.14
    assert totals[c.id] == services.AttendanceTotal(3, 7, Decimal("42.86"))  # 42.857142… → 42.86 (half-up)
    assert services.below_minimum(totals[b.id], Decimal("57.15"))
    assert not services.below_minimum(totals[b.id], Decimal("57.14"))
    assert not services.below_minimum(totals[b.id], None)


def test_nothing_recorded_gives_no_percent_and_a_late_peserta_is_not_absent_before_enrolment(world, session, make_user):
    from lms.cohorts.models import Membership, Role

    s1 = add_session(session, world, 3)
    assert all(t.percent is None and t.jp_total == 0 for t in services.attendance_totals(session, world).values())
    services.record(session, s1, world.people["coordinator"], version=0, statuses={}, instructor_present=True)
    late = make_user()
    session.add(Membership(cohort=world, user=late, role=Role.PARTICIPANT))
    session.commit()
    assert services.attendance_totals(session, world)[late.id] == services.AttendanceTotal(0, 0, None)


def test_a_stale_version_saves_nothing_and_is_a_conflict(world, session):
    a = world.people["participants"][0]
    s1 = add_session(session, world, 2)
    services.record(session, s1, world.people["coordinator"], version=0, statuses={}, instructor_present=True)
    session.commit()
    with pytest.raises(Conflict):
        services.record(
            session, s1, world.people["coordinator"], version=0, statuses={a.id: Presence.ALPA}, instructor_present=True
        )
    session.rollback()
    assert (
        session.scalar(select(AttendanceRecord.status).where(AttendanceRecord.participant_id == a.id)) == Presence.HADIR
    )


def test_strangers_and_bad_sessions_are_refused(world, session, make_cohort):
    other = make_cohort(participants=1, name="Angkatan Lain")
    s1 = add_session(session, world, 2)
    with pytest.raises(DomainError):
        services.record(
            session,
            s1,
            world.people["coordinator"],
            version=0,
            statuses={other.people["participants"][0].id: Presence.HADIR},
            instructor_present=True,
        )
    session.rollback()
    for kwargs, field in [
        ({"jp": 0}, "jp"),
        ({"jp": 21}, "jp"),
        ({"ends_at": time(7)}, "ends_at"),
        ({"topic": "  "}, "topic"),
        ({"instructor_id": other.people["coordinator"].id}, "instructor_id"),
    ]:
        values = {
            "day": date(2026, 8, 3),
            "starts_at": time(8),
            "ends_at": time(10),
            "jp": 2,
            "topic": "X",
            "instructor_id": None,
            **kwargs,
        }
        with pytest.raises(DomainError) as refused:
            services.save_session(session, world, None, **values)
        assert refused.value.field == field
        session.rollback()


def test_teaching_hours_and_their_csv(world, session):
    w1, w2 = world.people["instructors"]
    s1 = add_session(session, world, 3, instructor=w1)
    add_session(session, world, 2, instructor=w1, day=date(2026, 8, 4))
    s3 = add_session(session, world, 4, instructor=w2, day=date(2026, 8, 5))
    services.record(session, s3, world.people["coordinator"], version=0, statuses={}, instructor_present=False)
    s1.topic = "=cmd"  # topics never reach the CSV; names are guarded
    session.commit()
    hours = {h.instructor.id: h for h in services.teaching_hours(session, world)}
    assert (hours[w1.id].sessions, hours[w1.id].jp, hours[w1.id].jp_missed) == (2, 5, 0)
    assert (hours[w2.id].sessions, hours[w2.id].jp, hours[w2.id].sessions_missed, hours[w2.id].jp_missed) == (
        0,
        0,
        1,
        4,
    )
    rows = list(csv.reader(io.StringIO(services.teaching_hours_csv(session, world).decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][2:4] == ["2", "5"]


# -- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def web(session, make_cohort):
    cohort = make_cohort(participants=3, instructors=1)
    other = make_cohort(participants=1, instructors=1, name="Angkatan B")
    made = services.save_session(
        session,
        cohort,
        None,
        day=date(2026, 8, 3),
        starts_at=time(8),
        ends_at=time(11),
        jp=3,
        topic="Etika Publik",
        instructor_id=cohort.people["instructors"][0].id,
    )
    session.commit()
    return {"cohort": cohort, "other": other, "class_session": made}


def sheet_data(class_session, people, version=0, **statuses):
    data = {"version": str(version), "instructor_present": "y"}
    for person in people:
        data[f"p-{person.id}"] = statuses.get(person.name, "hadir")
    return data


def test_a_widyaiswara_records_and_the_totals_show(client, web, session):
    cohort, class_session = web["cohort"], web["class_session"]
    a, b, c = cohort.people["participants"]
    login(client, cohort.people["instructors"][0])
    page = client.get(f"/attendance/sessions/{class_session.id}/record")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('value="hadir" autocomplete="off" checked') == 3 and "<script>" not in html
    response = client.post(
        f"/attendance/sessions/{class_session.id}/record",
        data={**sheet_data(class_session, [a, b, c]), f"p-{b.id}": "sakit"},
    )
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(AttendanceRecord)) == 3
    html = client.get(f"/cohorts/{cohort.id}/attendance").get_data(as_text=True)
    assert "100,00" in html and "0,00" in html
    csv_response = client.get(f"/cohorts/{cohort.id}/attendance/teaching-hours.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert "Widyaiswara" in csv_response.get_data(as_text=True)


def test_two_recorders_at_once_give_one_list_and_a_409(app, web, session):
    cohort, class_session = web["cohort"], web["class_session"]
    people = cohort.people["participants"]
    clients = []
    for user in (cohort.people["instructors"][0], cohort.people["coordinator"]):
        c = app.test_client()
        login(c, user)
        clients.append(c)
    url = f"/attendance/sessions/{class_session.id}/record"
    statuses = sorted(
        r.status_code for r in race(*(lambda c=c: c.post(url, data=sheet_data(class_session, people)) for c in clients))
    )
    assert statuses == [303, 409]
    assert session.scalar(select(func.count()).select_from(AttendanceRecord)) == 3
    session.expire_all()
    assert session.get(ClassSession, class_session.id).version == 1


def test_bad_input_is_a_422_and_saves_nothing(client, web, session):
    cohort, class_session = web["cohort"], web["class_session"]
    login(client, cohort.people["coordinator"])
    url = f"/attendance/sessions/{class_session.id}/record"
    a = cohort.people["participants"][0]
    for data in (
        {"version": "0", f"p-{a.id}": "bolos"},
        {"version": "x"},
        {"version": "0", "p-²": "hadir"},
        {"version": "0", f"p-{web['other'].people['participants'][0].id}": "hadir"},
    ):
        assert client.post(url, data=data).status_code == 422, data
    assert session.scalar(select(func.count()).select_from(AttendanceRecord)) == 0
    response = client.post(
        f"/cohorts/{cohort.id}/attendance/sessions/new",
        data={
            "day": "2026-08-04",
            "starts_at": "13:00",
            "ends_at": "12:00",
            "jp": "2",
            "topic": "X",
            "instructor_id": "",
        },
    )
    assert response.status_code == 422 and session.scalar(select(func.count()).select_from(ClassSession)) == 1


def test_coordinator_plans_sessions_and_sets_the_programs_minimum(client, login_as, web, session, make_user):
    cohort = web["cohort"]
    login_as(cohort.people["coordinator"])
    response = client.post(
        f"/cohorts/{cohort.id}/attendance/sessions/new",
        data={
            "day": "2026-08-04",
            "starts_at": "13:00",
            "ends_at": "15:15",
            "jp": "3",
            "topic": "Manajemen Kinerja",
            "instructor_id": str(cohort.people["instructors"][0].id),
        },
    )
    assert response.status_code == 303
    made = session.scalars(select(ClassSession).where(ClassSession.topic == "Manajemen Kinerja")).one()
    assert (made.jp, made.ends_at) == (3, time(13 + 2, 15))
    login_as(make_user(is_admin=True))
    program = cohort.program
    data = {"code": program.code, "name": program.name, "bands": "90 | A\n* | B", "attendance_minimum": "90,5"}
    assert client.post(f"/programs/{program.id}/edit", data=data).status_code == 422  # 90.5 is written with a point
    data["attendance_minimum"] = "90.5"
    assert client.post(f"/programs/{program.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert session.get(type(program), program.id).attendance_minimum == Decimal("90.50")
    data["attendance_minimum"] = "101"
    assert client.post(f"/programs/{program.id}/edit", data=data).status_code == 422


def test_people_of_another_cohort_and_peserta_get_nothing(client, login_as, web):
    cohort, other, class_session = web["cohort"], web["other"], web["class_session"]
    urls = [
        f"/cohorts/{cohort.id}/attendance",
        f"/attendance/sessions/{class_session.id}/record",
        f"/attendance/sessions/{class_session.id}/edit",
        f"/cohorts/{cohort.id}/attendance/teaching-hours.csv",
        f"/cohorts/{cohort.id}/attendance/sessions/new",
    ]
    for user in (other.people["instructors"][0], other.people["coordinator"], cohort.people["participants"][0]):
        login_as(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.name, url)
        assert client.post(f"/attendance/sessions/{class_session.id}/delete").status_code == 403
    login_as(cohort.people["instructors"][0])  # a widyaiswara records but does not plan
    assert client.get(f"/cohorts/{cohort.id}/attendance/sessions/new").status_code == 403
    assert client.get(f"/attendance/sessions/{class_session.id}/edit").status_code == 403
    assert client.get("/attendance/sessions/99999/record").status_code == 404


def test_pages_read_a_fixed_number_of_queries(app, client, login_as, web, session, make_user):
    from lms.cohorts.models import Membership, Role
    from tests.support import count_queries

    cohort, class_session = web["cohort"], web["class_session"]
    login_as(cohort.people["coordinator"])
    urls = [f"/cohorts/{cohort.id}/attendance", f"/attendance/sessions/{class_session.id}/record"]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with count_queries(app) as statements:
                assert client.get(url).status_code == 200
            found.append(len(statements))
        return found

    before = counts()
    for _ in range(12):
        session.add(
            Membership(cohort=cohort, user=make_user(nip=None, instansi="Pemkab Kapuas"), role=Role.PARTICIPANT)
        )
    for day in range(4, 9):
        services.save_session(
            session,
            cohort,
            None,
            day=date(2026, 8, day),
            starts_at=time(8),
            ends_at=time(10),
            jp=2,
            topic="Materi",
            instructor_id=cohort.people["instructors"][0].id,
        )
    session.commit()
    services.record(
        session, class_session, cohort.people["coordinator"], version=0, statuses={}, instructor_present=True
    )
    session.commit()
    assert counts() == before


def test_a_peserta_sees_their_own_attendance_only(client, login_as, web, session):
    cohort, class_session = web["cohort"], web["class_session"]
    a, b, _c = cohort.people["participants"]
    services.record(
        session,
        class_session,
        cohort.people["coordinator"],
        version=0,
        statuses={a.id: Presence.SAKIT},
        instructor_present=True,
    )
    session.commit()
    login_as(a)
    html = client.get(f"/cohorts/{cohort.id}/attendance/mine").get_data(as_text=True)
    assert 'id="my-total"' in html and "0 of 3" in html.replace("dari", "of") and b.name not in html
    login_as(web["other"].people["participants"][0])
    assert client.get(f"/cohorts/{cohort.id}/attendance/mine").status_code == 403
    login_as(cohort.people["instructors"][0])
    assert client.get(f"/cohorts/{cohort.id}/attendance/mine").status_code == 403
