"""A widyaiswara takes attendance for 40 peserta on a phone: one page, everyone present by default,
one tap for each person who is not, saved in one go."""

from __future__ import annotations

import time
from datetime import date
from datetime import time as clock

import pytest
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.attendance.models import AttendanceRecord, Presence
from lms.cohorts.models import Cohort, Membership, Program, Role
from lms.users.models import ParticipantProfile, User
from tests.browser.fixtures import PHONE, LiveServer
from tests.support import PASSWORD, make_nip

pytestmark = pytest.mark.browser


def cohort_of_40(live_server: LiveServer, instructor_id: int) -> tuple[int, int, list[int]]:
    def build(session):
        program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
        cohort = Cohort(program=program, name="Angkatan XII", year=2026, start_date=date(2026, 8, 3))
        session.add(cohort)
        session.flush()
        session.add(Membership(cohort_id=cohort.id, user_id=instructor_id, role=Role.INSTRUCTOR))
        people = [User(email=f"peserta{i}@kalteng.go.id", name=f"Peserta {i:02d}") for i in range(1, 41)]
        session.add_all(people)
        session.flush()
        for i, person in enumerate(people):
            session.add(ParticipantProfile(user_id=person.id, nip=make_nip(100 + i), instansi="Pemprov Kalteng"))
            session.add(Membership(cohort_id=cohort.id, user_id=person.id, role=Role.PARTICIPANT))
        made = attendance.save_session(
            session,
            cohort,
            None,
            day=date(2026, 8, 3),
            starts_at=clock(8),
            ends_at=clock(11, 15),
            jp=4,
            topic="Wawasan Kebangsaan",
            instructor_id=instructor_id,
        )
        session.commit()
        return cohort.id, made.id, [p.id for p in people]

    return live_server.query(build)


def test_a_widyaiswara_records_attendance_for_40_on_a_phone(live_server, page):
    instructor_id = live_server.create_user("widyaiswara@bpsdm.go.id", "Dr. Widyaiswara")
    cohort_id, session_id, people = cohort_of_40(live_server, instructor_id)
    page.set_viewport_size(PHONE)

    page.goto("/login")
    page.fill("input[name=email]", "widyaiswara@bpsdm.go.id")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    started = time.monotonic()
    page.goto(f"/cohorts/{cohort_id}/attendance")
    page.click(f"a[href='/attendance/sessions/{session_id}/record']")
    page.wait_for_url(f"**/attendance/sessions/{session_id}/record")
    rows = page.locator("#attendance-sheet li[data-person]")
    assert rows.count() == 40
    assert page.locator("#attendance-sheet input[value=hadir]:checked").count() == 40  # all present by default
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"

    # Big enough to hit with a thumb: every choice at least 44 px high.
    box = page.locator(f"label[for='p-{people[0]}-alpa']").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44

    # One tap each for the four who are not there.
    away = {people[3]: "izin", people[17]: "sakit", people[28]: "alpa", people[39]: "alpa"}
    for person_id, status in away.items():
        page.click(f"label[for='p-{person_id}-{status}']")
    page.click("#save-attendance")
    page.wait_for_url(f"**/cohorts/{cohort_id}/attendance")
    elapsed = time.monotonic() - started
    assert page.locator(".alert-success").count() == 1
    print(f"recording 40 took {elapsed:.1f} s")
    assert elapsed < 60, f"recording took {elapsed:.1f} s"

    saved = live_server.query(
        lambda s: dict(
            s.execute(
                select(AttendanceRecord.participant_id, AttendanceRecord.status).where(
                    AttendanceRecord.session_id == session_id
                )
            ).all()
        )
    )
    assert len(saved) == 40
    assert {pid: Presence(status) for pid, status in saved.items() if status != Presence.HADIR} == {
        pid: Presence(status) for pid, status in away.items()
    }
    # The totals on the page: 36 present at 100 %, the four at 0 %.
    totals = page.locator("#attendance-totals tbody tr")
    assert totals.count() == 40
    assert page.locator("#attendance-totals tbody tr", has_text="100,00").count() == 36
