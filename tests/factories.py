"""World-builders shared by every test: fixtures that return callables (``make_user(role=...)``), and
cohorts with graded work (``arrange``, ``give``, ``graded_world``, ``demo_with_results``).

Each builder commits in the test's ``session``; under the shared-schema fixture that commit only
releases a SAVEPOINT, so what a test builds is gone after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from lms import db
from lms.assessments import services as assessments
from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.auth.services import set_password
from lms.cohorts.models import Cohort, CohortStatus, Membership, Program, Role
from lms.cohorts.services import save_cohort
from lms.demo import load_demo
from lms.grading import services as grading
from lms.grading.models import Grade, GradeStatus
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from lms.users.models import ParticipantProfile, User
from tests.support import FAST_HASH, PASSWORD, make_nip


@pytest.fixture
def make_user(session: Any) -> Callable[..., Any]:
    counter = iter(range(1, 100000))

    def make(
        name: str | None = None,
        email: str | None = None,
        *,
        password: str | None = PASSWORD,
        is_admin: bool = False,
        is_manager: bool = False,
        nip: str | None = None,
        active: bool = True,
        **profile: Any,
    ) -> User:
        n = next(counter)
        user = User(
            email=email or f"user{n}@example.go.id",
            name=name or f"User {n}",
            is_admin=is_admin,
            is_manager=is_manager,
            active=active,
        )
        if password:
            set_password(user, password, FAST_HASH)
        if nip or profile:
            user.profile = ParticipantProfile(nip=nip or make_nip(n), **profile)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def make_cohort(session: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    def make(
        *,
        participants: int = 0,
        instructors: int = 0,
        coordinator: Any = None,
        status: CohortStatus = CohortStatus.RUNNING,
        program: Any = None,
        name: str | None = None,
    ) -> Any:
        if program is None:
            program = session.query(Program).filter_by(code="PKA").one_or_none()
            if program is None:
                program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
                session.add(program)
                session.flush()
        coordinator = coordinator or make_user(name="Koordinator")
        cohort = save_cohort(
            session,
            None,
            program=program,
            actor=coordinator,
            name=name or f"Angkatan {len(program.cohorts) + 1}",
            year=2026,
            start_date=date(2026, 8, 3),
            end_date=date(2026, 11, 20),
            status=CohortStatus.RUNNING,
        )
        cohort.people = {"coordinator": coordinator, "participants": [], "instructors": []}
        for _ in range(participants):
            person = make_user(instansi="Pemprov Kalteng")
            session.add(Membership(cohort=cohort, user=person, role=Role.PARTICIPANT))
            cohort.people["participants"].append(person)
        for _ in range(instructors):
            person = make_user(name="Widyaiswara")
            session.add(Membership(cohort=cohort, user=person, role=Role.INSTRUCTOR))
            cohort.people["instructors"].append(person)
        cohort.status = status
        session.commit()
        return cohort

    return make


# -- cohorts with grades (the results, exports, API, jobs and certificates tests) ------------------


NOW = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


# -- arranging cohorts with grades ---------------------------------------------------------------


def rubric_data() -> RubricData:
    """Two criteria, weights 2 and 1, four levels worth 1–4 points: levels (3, 3) give 100."""
    return RubricData(
        title="Refleksi",
        criteria=[
            CriterionData(
                title=t,
                weight=Decimal(w),
                levels=[
                    LevelData(label, Decimal(p))
                    for p, label in enumerate(("Kurang", "Cukup", "Baik", "Sangat baik"), 1)
                ],
            )
            for t, w in (("Relevansi", 2), ("Kedalaman", 1))
        ],
    )


def people(session: Any, cohort_id: int, role: str) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort_id, Membership.role == role)
            .order_by(User.id)
        )
    )


def arrange(
    session: Any,
    make_cohort: Any,
    participants: int = 4,
    *,
    weights: tuple[int, ...] = (1, 2, 0),
    **assessment_fields: Any,
) -> dict[str, Any]:
    """A running cohort with a rubric and one assessment per weight (titles "Tugas 1", "Tugas 2"...)."""
    cohort = make_cohort(participants=participants, instructors=1)
    cohort = session.get(Cohort, cohort.id)
    rubric = rubrics.create_rubric(session, rubric_data(), actor=None, cohort=cohort)
    items = []
    for n, weight in enumerate(weights, start=1):
        items.append(
            assessments.save_assessment(
                session,
                None,
                cohort,
                assessments.AssessmentFields(
                    title=f"Tugas {n}",
                    due_at=NOW + timedelta(days=n),
                    cutoff_at=NOW + timedelta(days=10),
                    rubric_id=rubric.id,
                    weight=Decimal(weight),
                    **assessment_fields,
                ),
            )
        )
    session.commit()
    return {
        "cohort": cohort,
        "rubric": rubric,
        "assessments": items,
        "participants": people(session, cohort.id, "participant"),
        "teacher": people(session, cohort.id, "instructor")[0],
    }


def give(
    session: Any,
    world: dict[str, Any],
    assessment: Assessment,
    who: int,
    picks: tuple[int, int] | None,
    status: GradeStatus | None = GradeStatus.RELEASED,
) -> Submission:
    """``who`` hands in work; with ``picks`` (level indexes) it is graded up to ``status``.

    Levels (3, 3) score 100, (2, 2) 75, (1, 1) 50, (0, 0) 25 (see :func:`rubric_data`).
    """
    person = world["participants"][who]
    submission = assessments.start_attempt(session, assessment, person, NOW)
    assessments.save_draft(session, submission, "Rumah sakit tanpa kelas.", submission.version, person, NOW)
    assessments.submit(session, submission, person, NOW)
    if picks is not None and status is not None:
        rubric = world["rubric"]
        levels = {c.id: c.levels[p].id for c, p in zip(rubric.criteria, picks, strict=True)}
        grade = grading.save_grade(
            session,
            submission,
            world["teacher"],
            grading.GradeInput(
                levels=levels,
                comments={rubric.criteria[0].id: "Analisis baik"},
                feedback="Bagus.",
                finalize=status != GradeStatus.DRAFT,
            ),
            None,
            NOW,
        )
        if status == GradeStatus.RELEASED:
            grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    return submission


def graded_world(session: Any, make_cohort: Any, participants: int = 4) -> dict[str, Any]:
    """Weights 1, 2 and 0. Participant 0 complete (100 and 75 → 83.33); 1 complete with a tie on
    participant 2's score; 3: a final-not-released grade and a draft-only submission; the rest nothing."""
    world = arrange(session, make_cohort, participants)
    a1, a2, a0 = world["assessments"]
    give(session, world, a1, 0, (3, 3))
    give(session, world, a2, 0, (2, 2))
    give(session, world, a0, 0, (0, 0))
    give(session, world, a1, 1, (1, 1))
    give(session, world, a2, 1, (1, 1))
    give(session, world, a1, 2, (1, 1))
    give(session, world, a2, 2, (1, 1))
    if participants > 3:
        give(session, world, a1, 3, (3, 3), GradeStatus.FINAL)
        give(session, world, a2, 3, None)
    for who in range(4, participants):  # larger cohorts for the query counts: everyone complete
        give(session, world, a1, who, (who % 4, who % 4))
        give(session, world, a2, who, ((who + 1) % 4, who % 4))
    return world


def demo_with_results(app: Any) -> dict[str, Any]:
    """`flask lms demo`'s data plus released grades on every weighted assessment for five participants
    (two of them tied), so that finals, predicates and ranks exist. Returns ids by name."""
    with app.app_context():
        demo = load_demo(db.session, app)
        session = db.session
        cohort = demo["cohort"]
        people_ = demo["participants"]
        weighted = [
            a for a in session.scalars(select(Assessment).where(Assessment.cohort_id == cohort.id)) if a.weight > 0
        ]
        scores = [Decimal("95.50"), Decimal("81.25"), Decimal("81.25"), Decimal("70.00"), Decimal("55.55")]
        for person, score in zip(people_[:5], scores, strict=True):
            for assessment in weighted:
                submission = session.scalar(
                    select(Submission).where(
                        Submission.assessment_id == assessment.id, Submission.participant_id == person.id
                    )
                )
                if submission is None:
                    submission = Submission(
                        assessment=assessment,
                        participant=person,
                        attempt=1,
                        body="demo",
                        state=SubmissionState.SUBMITTED,
                        submitted_at=NOW,
                        version=1,
                    )
                    session.add(submission)
                    session.flush()
                grade = session.scalar(select(Grade).where(Grade.submission_id == submission.id))
                if grade is None:
                    grade = Grade(submission_id=submission.id, version=1)
                    session.add(grade)
                if grade.status != GradeStatus.RELEASED or grade.score is None:
                    grade.status, grade.score, grade.released_at = GradeStatus.RELEASED, score, NOW
        session.commit()
        return {
            "cohort_id": cohort.id,
            "coordinator_id": demo["coordinator"].id,
            "participant_ids": [p.id for p in people_],
            "instructor_id": demo["instructors"][0].id,
        }


def zero_first_released_grade(session: Any) -> Grade:
    """The first released grade down to 0 points on every criterion (not flushed): a change of the
    results that moves the final scores, the score bands and the criterion averages."""
    grade = session.scalar(
        select(Grade).join(Grade.submission).where(Grade.status == GradeStatus.RELEASED).order_by(Grade.id).limit(1)
    )
    for row in grade.criteria:
        row.points = Decimal(0)
    grade.score = Decimal(0)
    return grade
