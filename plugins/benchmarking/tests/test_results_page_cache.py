"""The plugin's part of a kept results page (lms/results/page_cache.py): what the results show of
the field visit without a score moving — practice counts, the implemented column, a host's name,
the activity's name — shows on the next read, exactly as a page built afresh."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lms.cohorts.models import Cohort
from plugins.benchmarking import followups, practices, settings
from plugins.benchmarking.models import Host, Stage
from plugins.benchmarking.tests.test_practices import plugin_on, world  # noqa: F401  (fixtures)
from tests.test_results_page_cache import Pair

NOW = datetime.now(UTC).replace(microsecond=0)


def fields(stage: str = "adopted") -> practices.PracticeFields:
    return practices.PracticeFields(
        title="Mal pelayanan publik",
        category="service_innovation",
        stage=stage,
        identified="Semua layanan di satu gedung.",
        adoption_plan="Mulai dengan tiga layanan.",
    )


@pytest.mark.usefixtures("plugin_on")
def test_practices_follow_ups_hosts_and_the_activity_name_show_at_once(app, app_factory, session, world):
    cohort, visit, host = world["cohort"], world["visit"], world["visit"].host
    person = world["people"][0]
    pair = Pair(app, app_factory, cohort.people["coordinator"])
    url = f"/cohorts/{cohort.id}/results"
    pages = [pair.same(url)]

    practice = practices.create_practice(session, visit, person, fields(), NOW)
    session.commit()
    pages.append(pair.same(url))  # a draft counts nowhere
    practices.submit_practice(session, practice, person, NOW)
    session.commit()
    pages.append(pair.same(url))
    assert pages[-1] != pages[-2]

    practice.stage = Stage.ADAPTED  # (a coordinator's correction of a sent practice)
    session.commit()
    pages.append(pair.same(url))
    assert pages[-1] != pages[-2]

    round_ = followups.open_round(session, session.get(Cohort, cohort.id), "3 bulan", date.today(), None)
    session.commit()
    followups.report(
        session,
        round_,
        practice,
        person,
        status="implemented",
        outcome="Sudah berjalan di dua kecamatan.",
        evidence_links="",
        today=date.today(),
        now=NOW,
    )
    session.commit()
    pages.append(pair.same(url))
    assert pages[-1] != pages[-2]

    session.get(Host, host.id).name = "Pemerintah Kota Singkawang"
    session.commit()
    pages.append(pair.same(url))
    assert "Singkawang" in pages[-1]

    settings.save(
        session,
        session.get(Cohort, cohort.id).program,
        activity_name="Benchlearning",
        min_practices=1,
        plan_graded=False,
    )
    session.commit()
    pages.append(pair.same(url))
    assert "Benchlearning" in pages[-1]


@pytest.mark.usefixtures("plugin_on")
def test_a_change_the_results_do_not_show_keeps_the_page(app, session, world):
    """A sent practice's text or publication (not its stage) is no change of the results: the
    cohort's generation stays, so the kept page and figures stay valid (and the flush asks nothing)."""
    from lms.results.models import CohortFigures

    person = world["people"][0]
    practice = practices.create_practice(session, world["visit"], person, fields(), NOW)
    practices.submit_practice(session, practice, person, NOW)
    session.commit()
    cohort_id = world["cohort"].id
    before = session.get(CohortFigures, cohort_id).generation
    practice.identified = "Semua layanan di satu gedung, buka sampai malam."
    practice.published = True
    session.commit()
    session.expire_all()
    assert session.get(CohortFigures, cohort_id).generation == before
    practice = session.merge(practice)
    practice.stage = Stage.ADAPTED
    session.commit()
    session.expire_all()
    assert session.get(CohortFigures, cohort_id).generation != before
