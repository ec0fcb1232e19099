"""Listed pages render at most their page size of rows, and filter and sort in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.assessments import services as assessments
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort
from lms.grading import services as grading
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from tests.support import login

NOW = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
PAGE_SIZE = 3


def body_rows(page: str, table_id: str) -> list[str]:
    body = page[page.index(f'id="{table_id}"') :].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr")[1:]


@pytest.fixture
def graded_cohort(app, make_cohort, session):
    """Eight participants: two submitted nothing, three submitted ungraded work, three have final grades."""
    cohort = make_cohort(participants=8, instructors=1)
    with app.test_request_context():
        owner = session.get(Cohort, cohort.id)
        rubric = rubrics.create_rubric(
            session,
            RubricData(
                title="Refleksi",
                criteria=[
                    CriterionData(
                        title="Relevansi",
                        weight=1,
                        levels=[LevelData(label="Cukup", points=1), LevelData(label="Baik", points=2)],
                    )
                ],
            ),
            actor=None,
            cohort=owner,
        )
        assessment = assessments.save_assessment(
            session,
            None,
            owner,
            assessments.AssessmentFields(title="Refleksi", due_at=NOW + timedelta(days=7), rubric_id=rubric.id),
        )
        teacher = cohort.people["instructors"][0]
        for person in cohort.people["participants"][2:]:
            session.add(
                Submission(
                    assessment=assessment,
                    participant_id=person.id,
                    attempt=1,
                    body="teks",
                    state=SubmissionState.SUBMITTED,
                    submitted_at=NOW,
                    version=1,
                )
            )
        session.flush()
        criterion = rubric.criteria[0]
        for s in session.scalars(
            select(Submission).where(Submission.assessment_id == assessment.id).order_by(Submission.id).limit(3)
        ):
            grading.save_grade(
                session,
                s,
                teacher,
                grading.GradeInput(levels={criterion.id: criterion.levels[1].id}, comments={}, finalize=True),
                None,
                NOW,
            )
        session.commit()
    app.config["PAGE_SIZE"] = PAGE_SIZE
    return cohort, assessment.id, teacher


def test_grading_queue_and_progress_render_at_most_a_page(client, graded_cohort):
    cohort, assessment_id, teacher = graded_cohort
    login(client, teacher)
    queue = client.get(f"/grading/?assessment={assessment_id}").get_data(as_text=True)
    assert len(body_rows(queue, "queue")) == PAGE_SIZE  # six submissions, pages of three
    assert (
        len(body_rows(client.get(f"/grading/?assessment={assessment_id}&page=2").get_data(as_text=True), "queue"))
        == PAGE_SIZE
    )
    url = f"/grading/assessments/{assessment_id}/progress"
    first = client.get(url).get_data(as_text=True)
    assert len(body_rows(first, "progress-table")) == PAGE_SIZE
    last = client.get(f"{url}?page=3").get_data(as_text=True)
    assert len(body_rows(last, "progress-table")) == 2  # 8 = 3 + 3 + 2
    assert 'id="counts"' in last and ">8<" in last, "the totals count everyone, not the page"


@pytest.mark.parametrize(
    ("show", "expected"), [("missing", 2), ("ungraded", 3), ("graded", 3), ("released", 0), ("", 8)]
)
def test_progress_filters_in_the_database(client, graded_cohort, show, expected, app):
    cohort, assessment_id, teacher = graded_cohort
    app.config["PAGE_SIZE"] = 50
    login(client, teacher)
    page = client.get(f"/grading/assessments/{assessment_id}/progress?show={show}").get_data(as_text=True)
    rows = body_rows(page, "progress-table") if expected else []
    assert len(rows) == expected
    if show == "missing":
        names = {p.name for p in cohort.people["participants"][:2]}
        assert {r.split("<td>", 1)[1].split("</td>", 1)[0] for r in rows} == names


def test_progress_sorts_by_name_both_ways_and_searches(client, graded_cohort, app):
    cohort, assessment_id, teacher = graded_cohort
    app.config["PAGE_SIZE"] = 50
    login(client, teacher)
    url = f"/grading/assessments/{assessment_id}/progress"

    def names(query: str) -> list[str]:
        page = client.get(url + query).get_data(as_text=True)
        return [r.split("<td>", 1)[1].split("</td>", 1)[0] for r in body_rows(page, "progress-table")]

    ascending = names("")
    assert ascending == sorted(ascending, key=str.lower)
    assert names("?dir=desc") == ascending[::-1]
    someone = cohort.people["participants"][4]
    assert names(f"?q={someone.name.upper()}") == [someone.name]


def test_dashboard_counts_submitted_work_without_a_final_grade(client, graded_cohort, session, app):
    cohort, assessment_id, teacher = graded_cohort
    with app.test_request_context():  # a draft grade leaves the work waiting
        waiting = session.scalars(
            select(Submission).where(Submission.assessment_id == assessment_id).order_by(Submission.id.desc())
        ).first()
        from lms.assessments.models import Assessment

        criterion = session.get(Assessment, assessment_id).rubric.criteria[0]
        grading.save_grade(
            session,
            waiting,
            teacher,
            grading.GradeInput(levels={criterion.id: criterion.levels[0].id}, comments={}),
            None,
            NOW,
        )
        session.commit()
    login(client, teacher)
    page = client.get("/").get_data(as_text=True)
    notice = page[page.index('id="to-grade"') :].split("</span>", 1)[0]
    assert ">3 " in notice, notice  # six submitted, three final; the draft-graded one still waits


def test_results_page_renders_a_page_and_counts_everyone(client, graded_cohort, app):
    cohort, _assessment_id, teacher = graded_cohort
    login(client, cohort.people["coordinator"])
    url = f"/cohorts/{cohort.id}/results"
    first = client.get(url).get_data(as_text=True)
    assert len(body_rows(first, "results")) == PAGE_SIZE
    assert 'id="stat-participants">8<' in first, "the figures count the cohort, not the page"
    last = client.get(f"{url}?page=3&sort=name").get_data(as_text=True)
    assert len(body_rows(last, "results")) == 2  # 8 = 3 + 3 + 2
    assert "sort=name" in last.split("pagination", 1)[1].split("</nav>", 1)[0], "the pages keep the sort"
    names = []
    for number in (1, 2, 3):
        page = client.get(f"{url}?page={number}&sort=name&dir=desc").get_data(as_text=True)
        names += [
            row.split('class="name">', 1)[1].split("</a>", 1)[0].rsplit(">", 1)[-1]
            for row in body_rows(page, "results")
        ]
    assert names == sorted((p.name for p in cohort.people["participants"]), key=str.casefold, reverse=True)


def test_results_search_and_status_filter_in_the_database(client, graded_cohort, app, session):
    cohort, _assessment_id, teacher = graded_cohort
    app.config["PAGE_SIZE"] = 50
    login(client, cohort.people["coordinator"])
    url = f"/cohorts/{cohort.id}/results"
    someone = cohort.people["participants"][4]
    found = client.get(f"{url}?q={someone.name.upper()}").get_data(as_text=True)
    expected = {p.id for p in cohort.people["participants"] if someone.name.casefold() in p.name.casefold()}
    shown = {int(r.split('data-participant="', 1)[1].split('"', 1)[0]) for r in body_rows(found, "results")}
    assert someone.id in shown and shown == expected
    by_nip = client.get(f"{url}?q={someone.profile.nip[-6:]}").get_data(as_text=True) if someone.profile else found
    assert f'data-participant="{someone.id}"' in by_nip
    assert 'id="stat-participants">8<' in found
    # No grade is released: nobody has a final score yet.
    page = client.get(f"{url}?status=complete").get_data(as_text=True)
    assert "No participant matches the search." in page or "Tidak ada peserta yang cocok dengan pencarian." in page
    assert len(body_rows(client.get(f"{url}?status=incomplete").get_data(as_text=True), "results")) == 8
    assert client.get(f"{url}?status=sideways&page=-4&sort=x&f_nothing=1").status_code == 200
