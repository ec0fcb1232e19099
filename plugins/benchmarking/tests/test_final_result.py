"""The final result of issue 15, end to end: a program with four components (the field visit's
group report through the plugin, a conduct score from three observers, an aksi perubahan with a
minimum, a seminar), and a cohort whose peserta cover every outcome. Every expected number below is
worked out by hand in the comments, at the band and minimum edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from lms.assessments import services as assessments
from lms.assessments.models import Assessment
from lms.attendance import services as attendance
from lms.attendance.models import Presence
from lms.cohorts.models import Cohort, Program
from lms.core.errors import DomainError
from lms.grading import services as grading
from lms.results import definitions, outcomes
from lms.results.definitions import ComponentData
from lms.results.models import SchemeEvent
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from lms.scoresheets import services as sheets
from lms.scoresheets.models import ObserverRole
from plugins.benchmarking import practices, reports, services
from plugins.benchmarking.models import FieldVisit
from plugins.benchmarking.results import GROUP_REPORT
from tests.support import login
from tests.test_api import bearer, schema_validator, token_for

pytestmark = pytest.mark.usefixtures("plugin_on")
NOW = datetime.now(UTC).replace(microsecond=0)
POINTS = ("0", "69.99", "70", "80", "90", "90.05", "100")


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


def components() -> list[ComponentData]:
    return [
        ComponentData("stula", "Studi Lapangan", Decimal(20), source=GROUP_REPORT),
        ComponentData("sikap", "Sikap perilaku", Decimal(25)),
        ComponentData("aksi", "Aksi perubahan", Decimal(35), minimum=Decimal(70)),
        ComponentData("seminar", "Seminar", Decimal(20)),
    ]


def _graded(session: Any, assessment: Assessment, person: Any, teacher: Any, points: str | None) -> None:
    """``person`` hands in work; with ``points`` it is graded on the one-criterion rubric (score = points)."""
    submission = assessments.start_attempt(session, assessment, person, NOW)
    assessments.save_draft(session, submission, "Laporan.", submission.version, person, NOW)
    assessments.submit(session, submission, person, NOW)
    if points is None:
        return
    assert assessment.rubric is not None
    criterion = assessment.rubric.criteria[0]
    level = next(lv for lv in criterion.levels if lv.points == Decimal(points))
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels={criterion.id: level.id}, comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, teacher, NOW)


def _group_scores(session: Any, visit: FieldVisit, teacher: Any, scores: dict[int, Decimal]) -> None:
    """One group; its report graded 75 (levels[2] everywhere), each member adjusted to their score."""
    group = visit.groups[0]
    leader = next(m.user for m in group.members if m.user_id == group.leader_id)
    report = reports.write(session, group, leader, "Laporan kelompok.", [], 0, NOW)
    submission = report_submission = session.get(assessments.Submission, report.submission_id)
    assessments.submit(session, submission, leader, NOW)
    rubric = report_submission.assessment.rubric
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels={c.id: c.levels[2].id for c in rubric.criteria}, comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, teacher, NOW)
    for user_id, score in scores.items():
        if score != Decimal(75):
            reports.adjust(session, group, user_id, score - Decimal(75), "Kontribusi", teacher)


@pytest.fixture
def world(ctx, session, make_cohort):
    cohort = make_cohort(participants=9, instructors=2)
    people = cohort.people["participants"]
    widyaiswara, coach = cohort.people["instructors"]
    coordinator = cohort.people["coordinator"]
    cohort = session.get(Cohort, cohort.id)
    program = session.get(Program, cohort.program_id)
    program.attendance_minimum = Decimal(80)
    definitions.save_definition(session, program, components(), coordinator, NOW, sources={GROUP_REPORT})
    rubric = rubrics.create_rubric(
        session,
        RubricData(
            title="Nilai", criteria=[CriterionData(title="Nilai", levels=[LevelData(p, Decimal(p)) for p in POINTS])]
        ),
        actor=None,
        cohort=cohort,
    )
    aksi, seminar = (
        assessments.save_assessment(
            session,
            None,
            cohort,
            assessments.AssessmentFields(
                title=title,
                due_at=NOW + timedelta(days=1),
                cutoff_at=NOW + timedelta(days=10),
                rubric_id=rubric.id,
                weight=Decimal(1),
            ),
        )
        for title in ("Aksi perubahan", "Seminar")
    )
    definitions.tag_work(session, cohort, {aksi.id: "aksi", seminar.id: "seminar"}, {"aksi", "seminar"})
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak")
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Inovasi",
        start_date=date.today(),
        end_date=date.today(),
        guiding_questions="Apa?",
        min_practices=1,
    )
    services.split_groups(session, visit, 1)
    practices.ensure_assessments(session, visit, None)
    sheet = sheets.save_sheet(
        session,
        cohort,
        None,
        sheets.SheetData(
            title="Sikap perilaku",
            criteria=[sheets.CriterionData("Integritas"), sheets.CriterionData("Kerja sama")],
            component_key="sikap",
            observers_required=3,
        ),
    )
    session.commit()
    return {
        "cohort": cohort,
        "people": people,
        "aksi": aksi,
        "seminar": seminar,
        "visit": visit,
        "sheet": sheet,
        "observers": [
            (widyaiswara, ObserverRole.WIDYAISWARA),
            (coach, ObserverRole.COACH),
            (coordinator, ObserverRole.PENYELENGGARA),
        ],
        "teacher": widyaiswara,
        "coordinator": coordinator,
    }


def _conduct(session: Any, world: dict[str, Any], person: Any, by_observer: list[str]) -> None:
    sheet = world["sheet"]
    for (observer, role), text in zip(world["observers"], by_observer, strict=False):
        sheets.save_scores(
            session,
            sheet,
            observer,
            observer.id,
            role,
            [sheets.CellInput(person.id, c.id, text, 0) for c in sheet.criteria],
            NOW,
        )


def _arrange_every_outcome(session: Any, world: dict[str, Any]) -> None:
    p = world["people"]
    teacher = world["teacher"]
    # (group report, conduct by the three observers, aksi perubahan, seminar; None = handed in, not graded)
    plan: dict[int, tuple[str, list[str], str, str | None]] = {
        0: ("90", ["90", "90", "90"], "90", "90"),
        1: ("90", ["90", "90", "90"], "90", "90.05"),
        2: ("90", ["90", "90", "90"], "69.99", "90"),
        3: ("75", ["80", "80.10", "80,20"], "70", "80"),
        4: ("90", ["90", "90", "90"], "90", None),
        5: ("90", ["90", "90"], "90", "90"),
        6: ("90", ["90", "90", "90"], "90", "90"),
        7: ("90", ["90", "90", "90"], "90", "90"),
        8: ("90", ["90", "90", "90"], "90", "90"),
    }
    visit = session.get(FieldVisit, world["visit"].id)
    _group_scores(session, visit, teacher, {p[i].id: Decimal(g) for i, (g, _c, _a, _s) in plan.items()})
    for i, (_g, conduct, aksi, seminar) in plan.items():
        _conduct(session, world, p[i], conduct)
        _graded(session, world["aksi"], p[i], teacher, aksi)
        _graded(session, world["seminar"], p[i], teacher, seminar)
    definitions.record_decision(
        session, world["cohort"], p[6].id, "Pelanggaran tata tertib berat (SK No. 12/2026)", world["coordinator"], NOW
    )
    assessments.grant_extension(session, world["seminar"], p[7], NOW + timedelta(days=20), world["coordinator"], NOW)
    # Attendance: 8 JP + 2 JP recorded. Peserta 0 missed the 2 JP: 8/10 = 80,00 %, exactly the
    # minimum (passes); peserta 8 missed the 8 JP: 2/10 = 20,00 % (fails).
    cohort = session.get(Cohort, world["cohort"].id)
    for jp, absent in ((8, p[8]), (2, p[0])):
        lesson = attendance.save_session(
            session,
            cohort,
            None,
            day=date.today(),
            starts_at=time(8),
            ends_at=time(16),
            jp=jp,
            topic="Kepemimpinan",
            instructor_id=teacher.id,
        )
        session.flush()
        attendance.record(
            session,
            lesson,
            world["coordinator"],
            version=lesson.version,
            statuses={absent.id: Presence.ALPA},
            instructor_present=True,
        )
    session.commit()


def test_outcomes_final_scores_and_predikat_match_the_hand_computation(world, session):
    p = world["people"]
    _arrange_every_outcome(session, world)
    result = outcomes.cohort_outcomes(session, session.get(Cohort, world["cohort"].id))

    def of(i: int) -> outcomes.Outcome:
        return result[p[i].id]

    # 0: 0.20·90 + 0.25·90 + 0.35·90 + 0.20·90 = 90.00, exactly on the edge: "more than 90" is not met.
    assert (of(0).status, of(0).final_score, of(0).predikat) == ("lulus", Decimal("90.00"), "Memuaskan")
    assert of(0).reasons == [] and of(0).attendance_percent == Decimal("80.00")
    # 1: 18 + 22.5 + 31.5 + 0.20·90.05 (= 18.01) = 90.01: the top band.
    assert (of(1).status, of(1).final_score, of(1).predikat) == ("lulus", Decimal("90.01"), "Sangat Memuaskan")
    # 2: aksi perubahan 69.99 is under its minimum of 70: tidak lulus whatever the final score
    #    (18 + 22.5 + 0.35·69.99 = 24.4965 + 18 = 82.9965 → 83.00).
    assert (of(2).status, of(2).final_score) == ("tidak_lulus", Decimal("83.00"))
    assert of(2).codes == ["component_minimum"] and "Aksi perubahan" in of(2).reasons[0]
    # 3: conduct = mean(80, 80.10, 80.20) = 80.10 on both criteria; aksi exactly at its minimum passes;
    #    0.20·75 + 0.25·80.10 + 0.35·70 + 0.20·80 = 15 + 20.025 + 24.5 + 16 = 75.525 → 75.53 half-up
    #    (half-even would give 75.52).
    assert (of(3).status, of(3).final_score, of(3).predikat) == ("lulus", Decimal("75.53"), "Cukup Memuaskan")
    assert [c.score for c in of(3).components] == [
        Decimal("75.00"),
        Decimal("80.10"),
        Decimal("70.00"),
        Decimal("80.00"),
    ]
    # 4: the seminar is handed in, not graded: ditunda, no final score.
    assert (of(4).status, of(4).final_score, of(4).predikat) == ("ditunda", None, None)
    assert of(4).codes == ["ungraded"] and "Seminar" in of(4).reasons[0]
    # 5: two of the three required observers: conduct has no score yet.
    assert (of(5).status, of(5).final_score) == ("ditunda", None)
    assert of(5).components[1].score is None
    # 6: a disciplinary decision: tidak lulus, with the decision's words.
    assert of(6).status == "tidak_lulus" and of(6).codes == ["decision"]
    assert "SK No. 12/2026" in of(6).reasons[0]
    # 7: every score in (90.00), but an extension is open on the seminar: ditunda.
    assert (of(7).status, of(7).final_score, of(7).codes) == ("ditunda", Decimal("90.00"), ["extension"])
    # 8: every score in (90.00), attendance 20,00 % under the program's 80: tidak lulus.
    assert (of(8).status, of(8).final_score, of(8).codes) == ("tidak_lulus", Decimal("90.00"), ["attendance_minimum"])
    assert of(8).attendance_percent == Decimal("20.00")
    assert {o.status for o in result.values()} == {"lulus", "tidak_lulus", "ditunda"}


def test_weights_are_validated_and_a_started_cohort_keeps_its_version(world, session):
    cohort = session.get(Cohort, world["cohort"].id)
    program = session.get(Program, cohort.program_id)
    uneven = [*components()[:3], ComponentData("seminar", "Seminar", Decimal(19))]
    with pytest.raises(DomainError, match="99"):
        definitions.save_definition(
            session, program, uneven, world["coordinator"], NOW, sources={GROUP_REPORT}, base_version=1
        )
    session.rollback()
    program = session.get(Program, cohort.program_id)
    heavier = [
        ComponentData("sikap", "Sikap perilaku", Decimal(50)),
        ComponentData("aksi", "Aksi perubahan", Decimal(50)),
    ]
    second = definitions.save_definition(
        session, program, heavier, world["coordinator"], NOW, sources={GROUP_REPORT}, base_version=1
    )
    session.commit()
    cohort = session.get(Cohort, world["cohort"].id)
    first = definitions.versions(session, program)[-1]
    assert outcomes.definition_of(session, cohort).id == first.id  # the running cohort kept version 1
    # A stale editor (it showed version 1) cannot overwrite version 2.
    with pytest.raises(DomainError):
        definitions.save_definition(session, program, heavier, world["coordinator"], NOW, sources=set(), base_version=1)
    session.rollback()
    _graded(session, session.get(Assessment, world["aksi"].id), world["people"][0], world["teacher"], "80")
    session.commit()
    cohort = session.get(Cohort, world["cohort"].id)
    with pytest.raises(DomainError, match="say why"):
        definitions.reapply(session, cohort, second, world["coordinator"], "", NOW, first.id)
    session.rollback()
    cohort = session.get(Cohort, world["cohort"].id)
    definitions.reapply(session, cohort, second, world["coordinator"], "Keputusan rapat evaluasi", NOW, first.id)
    session.commit()
    event = session.scalars(select(SchemeEvent).where(SchemeEvent.action == "reapply")).one()
    assert (event.from_scheme_id, event.to_scheme_id, event.graded) == (first.id, second.id, 1)
    assert event.reason == "Keputusan rapat evaluasi"
    assert outcomes.definition_of(session, cohort).id == second.id


def test_api_rows_carry_outcome_reasons_components_and_attendance(app, world, session):
    pytest.importorskip("jsonschema")
    _arrange_every_outcome(session, world)
    p = world["people"]
    client = app.test_client()
    auth = bearer(token_for(session, world["coordinator"]))
    document = client.get(f"/api/v1/cohorts/{world['cohort'].id}/results", headers=auth).get_json()
    schema_validator("Results").validate(document)
    rows = {r["id"]: r for r in document["participants"]}
    assert rows[p[3].id]["outcome"] == "lulus" and rows[p[3].id]["final_score"] == 75.53
    assert rows[p[3].id]["components"] == [
        {"key": "stula", "name": "Studi Lapangan", "weight": 20.0, "minimum": None, "score": 75.0},
        {"key": "sikap", "name": "Sikap perilaku", "weight": 25.0, "minimum": None, "score": 80.1},
        {"key": "aksi", "name": "Aksi perubahan", "weight": 35.0, "minimum": 70.0, "score": 70.0},
        {"key": "seminar", "name": "Seminar", "weight": 20.0, "minimum": None, "score": 80.0},
    ]
    assert rows[p[8].id]["outcome"] == "tidak_lulus" and rows[p[8].id]["attendance_percent"] == 20.0
    assert len(rows[p[8].id]["outcome_reasons"]) == 1
    assert rows[p[4].id]["outcome"] == "ditunda" and rows[p[4].id]["final_score"] is None
    assert rows[p[0].id]["certificate"] is None


def test_results_page_shows_components_attendance_and_outcomes_with_reasons(app, world, session):
    _arrange_every_outcome(session, world)
    client = app.test_client()
    login(client, world["coordinator"])
    page = client.get(f"/cohorts/{world['cohort'].id}/results").get_data(as_text=True)
    assert "Sikap perilaku (25)" in page and "Aksi perubahan (35)" in page
    assert page.count('class="outcome"') == 9
    assert "SK No. 12/2026" in page  # the reason is on the page, not only in the export
    assert "20,00%" in page or "20.00%" in page


def test_a_peserta_sees_components_and_outcome_on_their_sheet_once_the_angkatan_is_closed(app, world, session):
    from lms.cohorts.models import CohortStatus

    _arrange_every_outcome(session, world)
    me = world["people"][3]
    client = app.test_client()
    login(client, me)
    url = f"/cohorts/{world['cohort'].id}/results/mine"
    running = client.get(url).get_data(as_text=True)
    assert (
        "Seminar" in running and 'class="text-end outcome"' not in running and 'data-component="sikap"' not in running
    )
    cohort = session.get(Cohort, world["cohort"].id)
    cohort.status = CohortStatus.CLOSED
    session.commit()
    closed = client.get(url).get_data(as_text=True)
    assert 'class="text-end outcome"' in closed and 'data-component="sikap"' in closed
    assert "75,53" in closed or "75.53" in closed


def test_issued_certificates_reach_the_api_and_the_csv(app, world, session):
    from lms.certificates import services as certificates

    _arrange_every_outcome(session, world)
    p = world["people"]
    cohort = session.get(Cohort, world["cohort"].id)
    certificates.save_template(
        session,
        cohort.program,
        letterhead="BPSDM",
        number_pattern="{seq}/PKA/{year}",
        signer_name="Kepala BPSDM",
        signer_nip="",
        signer_position="Kepala",
        place="Palangka Raya",
    )
    issued = certificates.issue_batch(
        session, cohort, None, outcomes.cohort_outcomes(session, cohort), today=date.today()
    )
    session.commit()
    assert sorted(c.participant_id for c in issued) == sorted([p[0].id, p[1].id, p[3].id])  # lulus only
    client = app.test_client()
    auth = bearer(token_for(session, world["coordinator"]))
    rows = {
        r["id"]: r for r in client.get(f"/api/v1/cohorts/{cohort.id}/results", headers=auth).get_json()["participants"]
    }
    number = next(c.number for c in issued if c.participant_id == p[3].id)
    assert rows[p[3].id]["certificate"]["number"] == number
    assert rows[p[3].id]["certificate"]["verify_url"].endswith(
        "/verify/" + next(c.code for c in issued if c.participant_id == p[3].id)
    )
    assert rows[p[2].id]["certificate"] is None and rows[p[4].id]["certificate"] is None
    login(client, world["coordinator"])
    csv_text = client.get(f"/cohorts/{cohort.id}/results/export?format=csv").get_data(as_text=True)
    assert number in csv_text
