"""What a person typed into a form survives an ended session: the form keeps it on the device,
and brings it back after logging in again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.assessments.models import Assessment
from tests.browser.fixtures import LiveServer
from tests.support import PASSWORD

pytestmark = pytest.mark.browser
EMAIL = "koordinator@bpsdm.go.id"


def arrange(live_server: LiveServer) -> int:
    from lms import db
    from lms.cohorts.models import CohortStatus
    from lms.cohorts.services import save_cohort, save_program
    from lms.users.models import User

    coordinator = live_server.create_user(EMAIL, "Koordinator", is_manager=True)
    with live_server.app.app_context():
        program = save_program(db.session, None, code="PKA", name="Pelatihan Kepemimpinan Administrator")
        cohort = save_cohort(
            db.session,
            None,
            program=program,
            actor=db.session.get(User, coordinator),
            name="Angkatan XII",
            year=2026,
            start_date=date(2026, 8, 3),
            end_date=date(2026, 11, 20),
            status=CohortStatus.RUNNING,
        )
        db.session.commit()
        return cohort.id


def log_in(page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_typed_form_survives_an_ended_session(live_server: LiveServer, page) -> None:
    cohort_id = arrange(live_server)
    log_in(page, live_server)
    page.goto(f"/cohorts/{cohort_id}/assessments/new")
    page.fill("input[name=title]", "Refleksi agenda kepemimpinan")
    page.fill("textarea[name=instructions]", "Tulis 500 kata tentang **kepemimpinan melayani**.")
    # The session ends (cookies gone) before the form is sent.
    page.context.clear_cookies()
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert live_server.query(lambda s: s.scalar(select(func.count()).select_from(Assessment))) == 0
    log_in(page, live_server)
    page.goto(f"/cohorts/{cohort_id}/assessments/new")
    assert page.input_value("input[name=title]") == "Refleksi agenda kepemimpinan"
    assert "kepemimpinan melayani" in page.input_value("textarea[name=instructions]")
    assert page.locator("main [role=status].alert").count() == 1
    page.click("main form[data-keep] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/assessments/*")
    assert live_server.query(lambda s: s.scalar(select(Assessment.title))) == "Refleksi agenda kepemimpinan"
    # Once saved, an empty form stays empty.
    page.goto(f"/cohorts/{cohort_id}/assessments/new")
    assert page.input_value("input[name=title]") == ""
