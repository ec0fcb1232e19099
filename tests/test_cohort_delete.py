"""Deleting a cohort with graded work: every row of its work goes, in a fixed number of statements
(grades keep rubrics with ON DELETE RESTRICT, so the order matters on PostgreSQL); other cohorts
and the people stay."""

from __future__ import annotations

from sqlalchemy import event, func, select

from lms.assessments.models import Assessment, Submission
from lms.cohorts.models import Cohort, Membership
from lms.grading.models import Grade, GradeCriterion
from lms.rubrics.models import Rubric
from lms.users.models import User
from tests.factories import graded_world


def counts(session, cohort_id):
    assessments = select(Assessment.id).where(Assessment.cohort_id == cohort_id)
    submissions = select(Submission.id).where(Submission.assessment_id.in_(assessments))
    return {
        "cohort": session.scalar(select(func.count()).select_from(Cohort).where(Cohort.id == cohort_id)),
        "memberships": session.scalar(
            select(func.count()).select_from(Membership).where(Membership.cohort_id == cohort_id)
        ),
        "rubrics": session.scalar(select(func.count()).select_from(Rubric).where(Rubric.cohort_id == cohort_id)),
        "assessments": session.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.cohort_id == cohort_id)
        ),
        "submissions": session.scalar(
            select(func.count()).select_from(Submission).where(Submission.id.in_(submissions))
        ),
        "grades": session.scalar(select(func.count()).select_from(Grade).where(Grade.submission_id.in_(submissions))),
        "criteria": session.scalar(
            select(func.count()).select_from(GradeCriterion).join(Grade).where(Grade.submission_id.in_(submissions))
        ),
    }


def test_a_cohort_with_graded_work_is_deleted_in_three_statements(ctx, session, make_cohort):
    doomed = graded_world(session, make_cohort, participants=6)
    other = graded_world(session, make_cohort, participants=4)
    session.commit()
    doomed_id, other_id = doomed["cohort"].id, other["cohort"].id
    before = counts(session, doomed_id)
    assert before["grades"] and before["criteria"] and before["rubrics"], before
    kept = counts(session, other_id)
    people = session.scalar(select(func.count()).select_from(User))

    from lms.cohorts.services import delete_cohort

    engine = session.get_bind()
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        delete_cohort(session, session.get(Cohort, doomed_id))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    session.commit()
    assert [s.split()[0] for s in statements] == ["DELETE", "DELETE", "DELETE"], statements
    assert set(counts(session, doomed_id).values()) == {0}
    assert counts(session, other_id) == kept
    assert session.scalar(select(func.count()).select_from(User)) == people


def test_the_command_deletes_a_cohort(app, session, make_cohort):
    with app.test_request_context():
        world = graded_world(session, make_cohort, participants=3)
        session.commit()
    cohort_id = world["cohort"].id
    result = app.test_cli_runner().invoke(args=["lms", "delete-cohort", str(cohort_id), "--yes"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert set(counts(session, cohort_id).values()) == {0}
    missing = app.test_cli_runner().invoke(args=["lms", "delete-cohort", "999999", "--yes"])
    assert missing.exit_code != 0 and "no cohort" in missing.output
