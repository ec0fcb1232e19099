"""Issue 16's whole field visit in one run: a PKA cohort of 40 through a visit with three lokus and
six groups formed by rule — the pre-visit plan, the visit, individual reports graded as one
submission each, group reports presented at a seminar and scored by a panel, the group score in the
final result, the follow-up at 3 months with mentors confirming through their links (a second use
after the round closes is refused), and the host summary PDF.

The parts are built by their own modules' helpers (``stula_world``: lokus, groups, plans;
``test_reports_panel``: reports, panel, expected scores; ``test_mentors``: the mentor's e-mail
link); this module chains them on one cohort and checks what only the whole shows.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pypdf
import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Role
from lms.cohorts.services import add_member
from lms.results.outcomes import cohort_outcomes
from plugins.benchmarking import followups
from plugins.benchmarking.models import (
    FieldVisit,
    FollowupRound,
    GroupPlan,
    MentorReview,
    Practice,
    Stage,
    VisitGroup,
)
from plugins.benchmarking.tests.stula_world import LOKUS, PESERTA, build_stula_world
from plugins.benchmarking.tests.test_mentors import invite, mentor_link
from plugins.benchmarking.tests.test_reports_panel import World, login, run_cohort, score_as_program

pytestmark = pytest.mark.usefixtures("plugin_on")

TODAY = date.today()
NOW = datetime.now(UTC).replace(microsecond=0)
VISIT_START = TODAY - timedelta(days=2)  # the visit was two days ago: practices are being logged


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


def test_a_cohort_of_40_through_three_lokus_six_groups_reports_panel_followup_mentors_and_host_summary(
    client, session, ctx, make_cohort, make_user
):
    stula = build_stula_world(session, make_cohort, start=VISIT_START)
    cohort = session.get(Cohort, stula.cohort.id)
    visit = session.get(FieldVisit, stula.visit.id)

    # -- before the visit: three lokus, six groups by theme, every group's plan handed in ----------
    assert len(stula.peserta) == PESERTA == 40
    assert sorted(lk.name for lk in stula.lokus) == sorted(name for name, _chosen in LOKUS)
    groups = list(session.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit.id)))
    assert len(groups) == 6
    assert sorted(len(g.members) for g in groups) == [6, 6, 7, 7, 7, 7]  # 40 by six themes
    assert {m.user_id for g in groups for m in g.members} == {p.id for p in stula.peserta}
    assert {g.lokus_id for g in groups} == {lk.id for lk in stula.lokus}  # each lokus receives groups
    plans = list(session.scalars(select(GroupPlan).where(GroupPlan.group_id.in_([g.id for g in groups]))))
    assert len(plans) == 6 and all(p.submission.state == "submitted" for p in plans)

    # -- the reports, the seminar and the final result --------------------------------------------
    staff = [make_user(name=f"Widyaiswara {n}") for n in range(4)]
    for person in staff:
        add_member(session, cohort, person, Role.INSTRUCTOR)
    visit.min_practices = 2  # run_cohort logs two practices per peserta; the world's visit asked three
    score_as_program(session, cohort, visit, stula.coordinator)
    session.commit()
    world = World(cohort, visit, stula.peserta, staff[:3], staff[3], stula.coordinator)
    run_cohort(session, client, world)
    session.expire_all()
    outcomes = cohort_outcomes(session, session.get(Cohort, cohort.id))
    for person in stula.peserta:
        group_score, individual_score, final = world.expected[person.id]
        components = {c.key: c.score for c in outcomes[person.id].components}
        assert components == {"stula": group_score, "individu": individual_score}, person.name
        assert outcomes[person.id].final_score == final, person.name
    # 40 individual reports were graded once each, not 80 practices one by one.
    visit = session.get(FieldVisit, visit.id)
    graded = session.scalar(
        select(func.count()).where(Practice.visit_id == visit.id, Practice.submission_id.is_not(None))
    )
    assert graded == 80

    # -- 3 months later: each group's first adopter reports, their mentor confirms by the link -----
    cohort = session.get(Cohort, cohort.id)
    new_rounds = followups.plan_rounds(session, cohort)
    session.commit()
    assert sorted(r.months for r in new_rounds) == [3, 6, 12]
    three = next(r for r in new_rounds if r.months == 3)
    end = followups.training_end(session, cohort)
    assert three.opens_on == followups.add_months(end, 3) and three.due_on > three.opens_on
    later = three.opens_on + timedelta(days=1)  # the day the peserta report (the service takes the date)
    reporters = [next(m.user for m in g.members) for g in groups]
    links, followup_ids = {}, {}
    for n, person in enumerate(reporters):
        practice = session.scalar(
            select(Practice).where(
                Practice.visit_id == visit.id, Practice.participant_id == person.id, Practice.stage == Stage.ADOPTED
            )
        )
        followup_ids[person.id] = followups.report(
            session,
            three,
            practice,
            person,
            status="implemented",
            outcome=f"Diterapkan di unit {n} sejak bulan kedua.",
            evidence_links=f"https://bukti.example.go.id/{n}",
            today=later,
            now=datetime.combine(later, NOW.timetz()),
        ).id
        session.commit()
        login(client, person)
        email = f"atasan{n}@instansi.example.go.id"
        assert invite(client, three, email=email, name=f"Atasan {n}").status_code == 303
        links[person.id] = mentor_link(session, email)
    mentor_client = client.application.test_client()
    for person in reporters:
        page = mentor_client.get(links[person.id])
        assert page.status_code == 200, page.status_code
        assert "Diterapkan di unit" in page.get_data(as_text=True)  # the peserta's report, shown to the mentor
        answered = mentor_client.post(
            links[person.id], data={"followup_id": followup_ids[person.id], "verdict": "confirmed", "comment": ""}
        )
        assert answered.status_code == 303
    assert session.scalar(select(func.count()).select_from(MentorReview)) == len(reporters) == 6

    # The round closes: a second use of a link is refused, and nothing more is recorded.
    closing = session.get(FollowupRound, three.id)
    closing.opens_on, closing.due_on = TODAY - timedelta(days=31), TODAY - timedelta(days=1)
    session.commit()
    for person in reporters:
        assert mentor_client.get(links[person.id]).status_code == 410
    first_id = followup_ids[reporters[0].id]
    again = mentor_client.post(links[reporters[0].id], data={"followup_id": first_id, "verdict": "disputed"})
    assert again.status_code == 410
    assert session.scalar(select(func.count()).select_from(MentorReview)) == 6

    # -- the host summary: every group's recommendations, no peserta's name -----------------------
    login(client, stula.coordinator)
    response = client.get(f"/benchmarking/visits/{visit.id}/host-summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages))
    for g in range(6):
        assert f"Rekomendasi kelompok {g}: perluas layanan daring" in text
    assert not any(person.name in text for person in stula.peserta)
    # … and per lokus: each lokus's summary holds the work of the groups that went there only.
    first = stula.lokus[0]
    there = [g for g in groups if g.lokus_id == first.id]
    per_lokus = client.get(f"/benchmarking/visits/{visit.id}/host-summary.pdf?lokus={first.id}")
    assert per_lokus.status_code == 200
    lokus_text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(per_lokus.data)).pages)
    )
    order = {g.id: n for n, g in enumerate(visit.groups)}
    for g in groups:
        shown = f"Rekomendasi kelompok {order[g.id]}: perluas layanan daring" in lokus_text
        assert shown == (g in there), g.name

    # -- did it work? the host's implementation counts what the mentors confirmed ----------------
    exported = client.get(f"/benchmarking/hosts/{stula.host.id}/implementation.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    header, ours = rows[0], next(r for r in rows[1:] if r[0] == cohort.title)
    counts = dict(zip(header[2:8], map(int, ours[2:8]), strict=True))
    # 40 peserta logged one adopted and one identified practice each; six reported and were confirmed.
    assert list(counts.values()) == [80, 40, 0, 6, 0, 6]
