"""Attendance: sessions, the sheet saved in one go with optimistic locking, totals in JP and
percent, the widyaiswara's teaching hours and their CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.attendance import services
from lms.attendance.models import AttendanceRecord, Presence
from lms.core.errors import Conflict, DomainError


def add_session(session, cohort, jp, *, day=date(2026, 8, 3), topic="Wawasan Kebangsaan", instructor=None):
    made = services.save_session(session, cohort, None, day=day, starts_at=time(8), ends_at=time(11), jp=jp,
                                 topic=topic, instructor_id=instructor.id if instructor else None)
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
    services.record(session, s2, recorder, version=0,
                    statuses={a.id: Presence.HADIR, b.id: Presence.HADIR, c.id: Presence.ALPA}, instructor_present=True)
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
        services.record(session, s1, world.people["coordinator"], version=0, statuses={a.id: Presence.ALPA},
                        instructor_present=True)
    session.rollback()
    assert session.scalar(select(AttendanceRecord.status).where(AttendanceRecord.participant_id == a.id)) == Presence.HADIR


def test_strangers_and_bad_sessions_are_refused(world, session, make_cohort):
    other = make_cohort(participants=1, name="Angkatan Lain")
    s1 = add_session(session, world, 2)
    with pytest.raises(DomainError):
        services.record(session, s1, world.people["coordinator"], version=0,
                        statuses={other.people["participants"][0].id: Presence.HADIR}, instructor_present=True)
    session.rollback()
    for kwargs, field in [({"jp": 0}, "jp"), ({"jp": 21}, "jp"), ({"ends_at": time(7)}, "ends_at"),
                          ({"topic": "  "}, "topic"), ({"instructor_id": other.people["coordinator"].id}, "instructor_id")]:
        values = {"day": date(2026, 8, 3), "starts_at": time(8), "ends_at": time(10), "jp": 2, "topic": "X",
                  "instructor_id": None, **kwargs}
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
    assert (hours[w2.id].sessions, hours[w2.id].jp, hours[w2.id].sessions_missed, hours[w2.id].jp_missed) == (0, 0, 1, 4)
    rows = list(csv.reader(io.StringIO(services.teaching_hours_csv(session, world).decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][2:4] == ["2", "5"]
