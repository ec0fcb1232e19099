"""Reports and grading as programs do them (issue 16): practices with key success factors, reasons
for not adopting and recommendations for the host; the individual report graded as one submission;
the group report's sections; the seminar with its panel; the group score in the final result; the
host summary PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort
from plugins.benchmarking import practices, services
from plugins.benchmarking.models import Practice
from tests.support import login

pytestmark = pytest.mark.usefixtures("plugin_on")
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


@pytest.fixture
def small(ctx, session, make_cohort):
    cohort = make_cohort(participants=4, instructors=3)
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak", contact_email="humas@pontianak.go.id")
    visit = services.save_visit(
        session,
        None,
        cohort=session.get(Cohort, cohort.id),
        host=host,
        theme="Inovasi",
        start_date=date.today(),
        end_date=date.today(),
    )
    services.split_groups(session, visit, 2)
    practices.ensure_assessments(session, visit, None)
    session.commit()
    return {"cohort": cohort, "visit": visit, "people": cohort.people["participants"]}


# -- practices: findings -------------------------------------------------------------------------


def test_a_practice_keeps_its_success_factors_reason_and_recommendations(client, session, small):
    person = small["people"][0]
    login(client, person)
    page = client.get(f"/benchmarking/visits/{small['visit'].id}/practices/new")
    assert b'name="success_factors"' in page.data and b'name="not_adopted_reason"' in page.data
    assert b'name="host_recommendations"' in page.data
    response = client.post(
        f"/benchmarking/visits/{small['visit'].id}/practices/new",
        data={
            "title": "Mal pelayanan publik",
            "category": "service_innovation",
            "stage": "identified",
            "identified": "Semua layanan di satu gedung.",
            "success_factors": "Komitmen wali kota\nSatu SOP",
            "not_adopted_reason": "Anggaran gedung tidak tersedia",
            "host_recommendations": "Buka layanan malam hari",
            "form_key": "k-1",
        },
    )
    assert response.status_code == 302
    practice = session.scalar(select(Practice).where(Practice.participant_id == person.id))
    assert practice.success_factors == "Komitmen wali kota\nSatu SOP"
    assert practice.not_adopted_reason == "Anggaran gedung tidak tersedia"
    assert practice.host_recommendations == "Buka layanan malam hari"
    shown = client.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert "Anggaran gedung tidak tersedia" in shown and "Buka layanan malam hari" in shown
    assert "practice-success-factors" in shown


def test_a_practice_taken_after_all_drops_its_reason_for_not_taking_it(session, small):
    person = small["people"][0]
    fields = practices.PracticeFields(
        title="Mal pelayanan publik",
        identified="Semua layanan di satu gedung.",
        not_adopted_reason="Anggaran",
        host_recommendations="Buka malam hari",
    )
    practice = practices.create_practice(session, small["visit"], person, fields, NOW)
    assert practice.not_adopted_reason == "Anggaran"
    fields.stage, fields.adoption_plan = "adopted", "Di DPMPTSP provinsi."
    practices.update_practice(session, practice, fields, person, NOW)
    assert practice.not_adopted_reason == "" and practice.host_recommendations == "Buka malam hari"
    copy = practices.publication(practice)
    assert copy["host_recommendations"] == "Buka malam hari"
