"""Reports and grading as programs do them (issue 16): practices with key success factors, reasons
for not adopting and recommendations for the host; the individual report graded as one submission;
the group report's sections; the seminar with its panel; the group score in the final result; the
host summary PDF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pypdf
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.assessments.models import Submission
from lms.cohorts.models import Cohort, Program
from lms.grading import services as grading
from lms.mail.models import MailMessage
from lms.results import definitions
from lms.results.definitions import ComponentData
from lms.results.outcomes import cohort_outcomes
from plugins.benchmarking import individual, practices, reports, seminar, services
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.models import FieldVisit, GroupReport, PanelMember, PanelScore, Practice, SeminarSession
from plugins.benchmarking.results import GROUP_REPORT, INDIVIDUAL_REPORT
from tests.support import login as login_once


def login(client: Any, user: Any) -> Any:
    client.post("/logout")
    return login_once(client, user)


# Every endpoint this module adds, each attacked below (tests/test_access.py checks the list is complete).
ATTACKED_RULES = {
    "/benchmarking/visits/<id>/grading",  # a coordinator of another cohort; a peserta; an instructor
    "/benchmarking/visits/<id>/individual-report",  # a peserta of another cohort; staff
    "/benchmarking/assessments/<id>/individual",  # a peserta of another cohort
    "/benchmarking/visits/<id>/seminar",  # a coordinator of another cohort; a peserta; an instructor
    "/benchmarking/seminar/<id>/edit",  # a coordinator of another cohort; a peserta
    "/benchmarking/seminar/<id>/score",  # a peserta (also one put on the panel), staff off the panel, another cohort
    "/benchmarking/panel",  # a peserta; lists only one's own sessions
    "/benchmarking/visits/<id>/host-summary.pdf",  # a coordinator of another cohort; a peserta
    "/benchmarking/visits/<id>/host-summary/send",  # a coordinator of another cohort; a peserta
}

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


# -- a cohort through the reports, the seminar and the final result ------------------------------


def half_up(value: Fraction | float) -> Decimal:
    """Independent of lms.core.scores: the exact value rounded half-up to two places."""
    value = Fraction(value)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class World:
    cohort: Any
    visit: FieldVisit
    people: list[Any]
    panel: list[Any]
    grader: Any
    coordinator: Any
    expected: dict[str, Any] = field(default_factory=dict)


def score_as_program(session: Any, cohort: Any, visit: FieldVisit, coordinator: Any) -> None:
    """The program's result = Studi Lapangan (group score) 60 + individual report 40; the visit's
    individual reports are one submission each, its group score 60 % report and 40 % presentation."""
    definitions.save_definition(
        session,
        session.get(Program, cohort.program_id),
        [
            ComponentData("stula", "Studi Lapangan", Decimal(60), source=GROUP_REPORT),
            ComponentData("individu", "Laporan perseorangan", Decimal(40), source=INDIVIDUAL_REPORT),
        ],
        coordinator,
        datetime.now(UTC),
        sources={GROUP_REPORT, INDIVIDUAL_REPORT},
    )
    individual.set_grading(
        session,
        visit,
        coordinator,
        report_mode=individual.ONE_REPORT,
        report_weight=Decimal(60),
        presentation_weight=Decimal(40),
    )


def build(session: Any, make_cohort: Any, *, peserta: int = 8, groups: int = 2, panel: int = 3) -> World:
    """A cohort of ``peserta`` in ``groups`` groups, a panel of ``panel`` widyaiswara and one grader,
    its program's result = Studi Lapangan (group score) 60 + individual report 40, and a visit whose
    individual reports are one submission each, its group score 60 % report and 40 % presentation."""
    made = make_cohort(participants=peserta, instructors=panel + 1)
    cohort = session.get(Cohort, made.id)
    coordinator = made.people["coordinator"]
    host = services.save_host(
        session,
        None,
        name=f"Pemerintah Kota Pontianak {cohort.id}",
        contact_name="Bagian Organisasi",
        contact_email="organisasi@pontianak.go.id",
    )
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Inovasi pelayanan publik",
        start_date=date.today() - timedelta(days=2),
        end_date=date.today() - timedelta(days=1),
    )
    services.split_groups(session, visit, groups)
    visit.min_practices = 2  # each peserta logs two below
    practices.ensure_assessments(session, visit, coordinator)
    score_as_program(session, cohort, visit, coordinator)
    session.commit()
    staff = made.people["instructors"]
    return World(made, visit, made.people["participants"], staff[:panel], staff[panel], coordinator)


def log_two(session: Any, visit: FieldVisit, person: Any, n: int) -> None:
    """An adopted practice with success factors and a recommendation, and one identified but not taken."""
    practices.create_practice(
        session,
        visit,
        person,
        practices.PracticeFields(
            title=f"Mal pelayanan publik {n}",
            stage="adopted",
            identified="Semua layanan perizinan di satu gedung.",
            adoption_plan="Di DPMPTSP provinsi.",
            success_factors="Komitmen pimpinan\nSatu SOP untuk semua loket",
            host_recommendations=f"Rekomendasi {n}: buka layanan pada hari Sabtu",
        ),
        NOW,
    )
    practices.create_practice(
        session,
        visit,
        person,
        practices.PracticeFields(
            title=f"Rumah sakit tanpa kelas {n}",
            identified="Satu standar layanan untuk semua pasien.",
            not_adopted_reason="Regulasi tarif daerah belum memungkinkan",
        ),
        NOW,
    )


def grade_at(session: Any, submission: Any, grader: Any, picks: list[int]) -> Decimal:
    """Grade with level index ``picks[i]`` for criterion i, release; returns the expected score,
    computed here from the rubric's weights and points (Σ w·p/max ÷ Σ w × 100, half-up once)."""
    rubric = submission.assessment.rubric
    levels, terms = {}, []
    for criterion, pick in zip(rubric.criteria, picks, strict=True):
        level = criterion.levels[pick]
        levels[criterion.id] = level.id
        top = max(lv.points for lv in criterion.levels)
        terms.append((Fraction(criterion.weight), Fraction(level.points) / Fraction(top)))
    expected = half_up(sum(w * r for w, r in terms) / sum(w for w, _r in terms) * 100)
    grade = grading.save_grade(
        session, submission, grader, grading.GradeInput(levels=levels, comments={}, finalize=True), None, NOW
    )
    grading.release(session, grade, grader, NOW)
    assert grade.score == expected
    return expected


def run_cohort(session: Any, client: Any, world: World) -> None:
    """Every peserta logs two practices and hands in one individual report; each is graded once;
    every group writes its report in sections and presents; three panel members score each group."""
    visit = session.get(FieldVisit, world.visit.id)
    for n, person in enumerate(world.people):
        log_two(session, visit, person, n)
    session.commit()
    # One peserta hands in through the page, the rest through the service.
    login(client, world.people[0])
    assert client.post(f"/benchmarking/visits/{visit.id}/individual-report").status_code == 302
    for person in world.people[1:]:
        individual.submit_report(session, visit, person, NOW)
    session.commit()
    reports_ = list(
        session.scalars(
            select(Submission)
            .where(Submission.assessment_id == visit.individual_assessment_id)
            .order_by(Submission.participant_id)
        )
    )
    assert len(reports_) == len(world.people) and all(r.state == "submitted" for r in reports_)
    # The grader sees every practice of the peserta on the one grading screen.
    login(client, world.grader)
    page = client.get(f"/grading/submissions/{reports_[0].id}").get_data(as_text=True)
    assert page.count("data-practice=") == 2 and "Regulasi tarif daerah" in page
    # The queue lists the individual reports, not the practices they hold (unless asked for them).
    queue = client.get("/grading/?state=ungraded").get_data(as_text=True)
    practice_subs = list(
        session.scalars(select(Practice.submission_id).where(Practice.visit_id == visit.id).order_by(Practice.id))
    )
    assert all(f"/grading/submissions/{r.id}" in queue for r in reports_[:5])
    assert not any(
        f"/grading/submissions/{sid}?" in queue or f'/grading/submissions/{sid}"' in queue for sid in practice_subs
    )
    asked = client.get(f"/grading/?state=ungraded&assessment={visit.assessment_id}").get_data(as_text=True)
    assert any(f"/grading/submissions/{sid}?" in asked for sid in practice_subs)  # (a page of them)
    individual_scores = {}
    criteria = len(reports_[0].assessment.rubric.criteria)
    for i, report in enumerate(reports_):
        picks = [(i + c) % 4 for c in range(criteria)]
        individual_scores[report.participant_id] = grade_at(session, report, world.grader, picks)
    session.commit()
    # Group reports, written in sections by each leader (the first through the page).
    group_scores: dict[int, Decimal] = {}
    for g, group in enumerate(visit.groups):
        leader = next(m.user for m in group.members if m.user_id == group.leader_id)
        sections = {name: f"{name} kelompok {g}" for name in reports.SECTIONS}
        sections["recommendations"] = f"Rekomendasi kelompok {g}: perluas layanan daring"
        if g == 0:
            login(client, leader)
            form = {f"section-{k}": v for k, v in sections.items()} | {"version": "0", "action": "submit"}
            assert client.post(f"/benchmarking/groups/{group.id}/report", data=form).status_code == 302
        else:
            row = reports.write(session, group, leader, "", [], 0, NOW, sections=sections)
            practices.assessments.submit(session, row.submission, leader, NOW)
        session.commit()
        row = session.scalar(select(GroupReport).where(GroupReport.group_id == group.id))
        assert row.recommendations == sections["recommendations"] and row.submission.state == "submitted"
        assert "## " in row.submission.body  # the body is made from the sections: every save is a revision
        group_scores[group.id] = grade_at(session, row.submission, world.grader, [(g + 1) % 4, 3, g % 4])
    session.commit()
    # The seminar: one session, every group in reverse order, a panel of three.
    login(client, world.coordinator)
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    form = {"title": "Seminar kelompok", "day": start, "start": "09:00", "place": "Aula Lt. 2"}
    for position, group in enumerate(reversed(visit.groups)):
        form |= {f"group-{group.id}": "1", f"order-{group.id}": str(position + 1)}
    data = MultiDict(list(form.items()) + [("panel", str(p.id)) for p in world.panel])
    assert client.post(f"/benchmarking/visits/{visit.id}/seminar", data=data).status_code == 303
    seminar_row = session.scalar(select(SeminarSession).where(SeminarSession.visit_id == visit.id))
    assert [s.group_id for s in seminar_row.slots] == [g.id for g in reversed(visit.groups)]
    panel_scores: dict[int, list[Decimal]] = {g.id: [] for g in visit.groups}
    for p, member in enumerate(world.panel):
        login(client, member)
        assert f'data-session="{seminar_row.id}"' in client.get("/benchmarking/panel").get_data(as_text=True)
        form = {}
        for g, group in enumerate(visit.groups):
            value = Decimal(70) + Decimal(p * 7) + Decimal(g) + Decimal("0.33") * p
            panel_scores[group.id].append(value)
            form[f"score-{group.id}"] = str(value).replace(".", ",")  # typed the Indonesian way
        assert client.post(f"/benchmarking/seminar/{seminar_row.id}/score", data=form).status_code == 303
    assert session.scalar(select(func.count(PanelScore.id)).where(PanelScore.session_id == seminar_row.id)) == len(
        world.panel
    ) * len(visit.groups)
    # Expected, independently: group score = (60 · report + 40 · mean of panel) ÷ 100, half-up once;
    # final = (60 · group score + 40 · individual score) ÷ 100, half-up once.
    members = {m.user_id: m.group_id for g in visit.groups for m in g.members}
    for person in world.people:
        gid = members[person.id]
        presentation = sum((Fraction(v) for v in panel_scores[gid]), Fraction(0)) / len(panel_scores[gid])
        group_score = half_up((60 * Fraction(group_scores[gid]) + 40 * presentation) / 100)
        final = half_up((60 * Fraction(group_score) + 40 * Fraction(individual_scores[person.id])) / 100)
        world.expected[person.id] = (group_score, individual_scores[person.id], final)


@pytest.mark.parametrize("peserta,groups", [(8, 2), (40, 6)])
def test_reports_graded_once_groups_scored_by_a_panel_and_the_host_summary(
    client, session, ctx, make_cohort, peserta, groups
):
    world = build(session, make_cohort, peserta=peserta, groups=groups)
    run_cohort(session, client, world)
    outcomes = cohort_outcomes(session, session.get(Cohort, world.cohort.id))
    for person in world.people:
        group_score, individual_score, final = world.expected[person.id]
        components = {c.key: c.score for c in outcomes[person.id].components}
        assert components == {"stula": group_score, "individu": individual_score}
        assert outcomes[person.id].final_score == final
    # The host summary: the PDF holds the peserta's and the groups' recommendations, and no names.
    login(client, world.coordinator)
    response = client.get(f"/benchmarking/visits/{world.visit.id}/host-summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Rekomendasi 0: buka layanan pada hari Sabtu" in text
    assert "Rekomendasi kelompok 1: perluas layanan daring" in text
    assert "Regulasi tarif daerah belum memungkinkan" in text
    assert world.people[0].name not in text
    # … and the button sends the same summary to the host's contact through the outbox.
    assert client.post(f"/benchmarking/visits/{world.visit.id}/host-summary/send").status_code == 302
    mail = session.scalar(select(MailMessage).where(MailMessage.purpose == "benchmarking.host_summary"))
    assert mail.recipient == "organisasi@pontianak.go.id" and "Rekomendasi 3: buka layanan" in mail.text_body


# -- access: an attacker from another cohort, a peserta, staff off the panel ---------------------


@pytest.fixture
def two(session, ctx, make_cohort):
    """Our cohort's visit with one scheduled session (panel: the first instructor), and another cohort."""
    ours = build(session, make_cohort, peserta=4, groups=2, panel=2)
    theirs = make_cohort(participants=1, instructors=1, name="Angkatan lain")
    visit = session.get(FieldVisit, ours.visit.id)
    row = seminar.save_session(
        session,
        None,
        visit,
        title="Sesi 1",
        starts_at=datetime.now(UTC) + timedelta(days=1),
        place="Aula",
        group_ids=[g.id for g in visit.groups],
        panel_ids=[ours.panel[0].id],
    )
    session.commit()
    return {"ours": ours, "theirs": theirs, "session": row}


def test_another_cohort_a_peserta_and_staff_off_the_panel_are_refused(client, session, two):
    ours, theirs, row = two["ours"], two["theirs"], two["session"]
    visit = ours.visit
    manage = [
        ("get", f"/benchmarking/visits/{visit.id}/grading"),
        ("post", f"/benchmarking/visits/{visit.id}/grading"),
        ("get", f"/benchmarking/visits/{visit.id}/seminar"),
        ("post", f"/benchmarking/visits/{visit.id}/seminar"),
        ("get", f"/benchmarking/seminar/{row.id}/edit"),
        ("post", f"/benchmarking/seminar/{row.id}/edit"),
        ("get", f"/benchmarking/visits/{visit.id}/host-summary.pdf"),
        ("post", f"/benchmarking/visits/{visit.id}/host-summary/send"),
    ]
    score = [("get", f"/benchmarking/seminar/{row.id}/score"), ("post", f"/benchmarking/seminar/{row.id}/score")]
    attackers = {
        "coordinator of another cohort": (theirs.people["coordinator"], manage + score),
        "instructor of another cohort": (theirs.people["instructors"][0], manage + score),
        "peserta of this cohort": (ours.people[0], manage + score),
        "instructor of this cohort off the panel": (ours.panel[1], manage + score),
    }
    for who, (user, pages) in attackers.items():
        login(client, user)
        for method, url in pages:
            status = getattr(client, method)(url, data={"score-1": "100"}).status_code
            assert status in (403, 404), f"{who}: {method} {url} answered {status}"
    # A peserta of another cohort can neither hand in nor open this visit's individual report.
    login(client, theirs.people["participants"][0])
    assert client.post(f"/benchmarking/visits/{visit.id}/individual-report").status_code == 403
    assert client.get(f"/benchmarking/assessments/{visit.individual_assessment_id}/individual").status_code == 403
    assert client.get("/benchmarking/panel").status_code == 403  # a peserta sits on no panel
    # Staff hand in no individual report.
    login(client, ours.coordinator)
    assert client.post(f"/benchmarking/visits/{visit.id}/individual-report").status_code == 403
    # The other panel-less instructor sees no session on their panel page; the panel member sees theirs.
    login(client, ours.panel[1])
    assert f'data-session="{row.id}"' not in client.get("/benchmarking/panel").get_data(as_text=True)
    login(client, ours.panel[0])
    assert f'data-session="{row.id}"' in client.get("/benchmarking/panel").get_data(as_text=True)
    assert client.get(f"/benchmarking/seminar/{row.id}/score").status_code == 200
    assert session.scalar(select(func.count(PanelScore.id))) == 0


def test_a_peserta_cannot_be_put_on_a_panel_nor_score(client, session, two):
    ours, row = two["ours"], two["session"]
    visit = session.get(FieldVisit, ours.visit.id)
    login(client, ours.coordinator)
    data = MultiDict(
        [("title", "Sesi 1"), ("day", "2026-12-10"), ("start", "09:00"), (f"group-{visit.groups[0].id}", "1")]
        + [("panel", str(ours.people[0].id))]
    )
    response = client.post(f"/benchmarking/seminar/{row.id}/edit", data=data)
    assert response.status_code == 422
    assert [p.user_id for p in session.get(SeminarSession, row.id).panel] == [ours.panel[0].id]
    # Even a peserta who is (by a hand-made row) on the panel cannot score: the rule checks the role.
    session.add(PanelMember(session_id=row.id, user_id=ours.people[1].id))
    session.commit()
    login(client, ours.people[1])
    assert client.post(f"/benchmarking/seminar/{row.id}/score", data={}).status_code == 403


def test_a_panel_score_out_of_range_or_of_another_group_saves_nothing(client, session, two):
    ours, row = two["ours"], two["session"]
    visit = session.get(FieldVisit, ours.visit.id)
    g1, g2 = visit.groups
    login(client, ours.panel[0])
    for bad in ("101", "-1", "abc", "80,123"):
        response = client.post(
            f"/benchmarking/seminar/{row.id}/score", data={f"score-{g1.id}": "80", f"score-{g2.id}": bad}
        )
        assert response.status_code == 422, bad
    assert session.scalar(select(func.count(PanelScore.id))) == 0
    assert client.post(f"/benchmarking/seminar/{row.id}/score", data={f"score-{g1.id}": "80,5"}).status_code == 303
    assert session.scalar(select(PanelScore.score).where(PanelScore.group_id == g1.id)) == Decimal("80.50")


def test_the_mode_is_fixed_once_grading_started_and_per_practice_stays_the_default(session, two):
    ours = two["ours"]
    visit = session.get(FieldVisit, ours.visit.id)
    person = ours.people[0]
    log_two(session, visit, person, 0)
    report = individual.submit_report(session, visit, person, NOW)
    grade_at(session, report, ours.grader, [3] * len(report.assessment.rubric.criteria))
    with pytest.raises(Exception, match="no longer change"):
        individual.set_grading(
            session,
            visit,
            ours.coordinator,
            report_mode=individual.PER_PRACTICE,
            report_weight=Decimal(100),
            presentation_weight=Decimal(0),
        )
    assert FieldVisit.__table__.c.report_mode.server_default.arg == individual.PER_PRACTICE


def test_a_summary_per_lokus_holds_only_the_work_of_the_groups_that_went_there(client, session, two):
    ours = two["ours"]
    visit = session.get(FieldVisit, ours.visit.id)
    rsud_host = services.save_host(session, None, name="RSUD Sultan Syarif Mohamad Alkadrie", contact_email="rsud@x.id")
    first = lokus_service.save(session, visit, None, lokus_service.LokusFields(host_id=visit.host_id, name="DPMPTSP"))
    second = lokus_service.save(session, visit, None, lokus_service.LokusFields(host_id=rsud_host.id, name="RSUD"))
    g1, g2 = visit.groups
    g1.lokus_id, g2.lokus_id = first.id, second.id
    for n, person in enumerate(ours.people):
        log_two(session, visit, person, n)
        individual.submit_report(session, visit, person, NOW)
    session.commit()
    in_second = {m.user_id for m in g2.members}
    expect = {f"Rekomendasi {n}: buka" for n, p in enumerate(ours.people) if p.id in in_second}
    absent = {f"Rekomendasi {n}: buka" for n, p in enumerate(ours.people) if p.id not in in_second}
    login(client, ours.coordinator)
    response = client.get(f"/benchmarking/visits/{visit.id}/host-summary.pdf?lokus={second.id}")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages))
    assert "RSUD" in text and all(e in text for e in expect) and not any(a in text for a in absent)
    # An unknown lokus (or another visit's) is a 404; the e-mail goes to the lokus's own host.
    assert client.get(f"/benchmarking/visits/{visit.id}/host-summary.pdf?lokus=999999").status_code == 404
    assert (
        client.post(f"/benchmarking/visits/{visit.id}/host-summary/send", data={"lokus": second.id}).status_code == 302
    )
    mail = session.scalar(select(MailMessage).where(MailMessage.purpose == "benchmarking.host_summary"))
    assert mail.recipient == "rsud@x.id"
