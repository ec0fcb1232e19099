"""The grading engine: states and transitions, the score formula, rubric versions, conflicts, audit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.assessments import services as assessments
from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.core.errors import Conflict, DomainError
from lms.grading import services as grading
from lms.grading.models import Grade, GradeEvent, GradeStatus
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from tests.support import count_queries, login, race

NOW = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


def rubric_data(criteria=(("Relevansi", 2), ("Kedalaman", 1))):
    return RubricData(
        title="Refleksi",
        criteria=[
            CriterionData(
                title=t,
                weight=Decimal(w),
                levels=[
                    LevelData("Kurang", Decimal(1)),
                    LevelData("Cukup", Decimal(2)),
                    LevelData("Baik", Decimal(3)),
                    LevelData("Sangat baik", Decimal(4)),
                ],
            )
            for t, w in criteria
        ],
    )


@pytest.fixture
def world(ctx, session, make_cohort):
    from lms.cohorts.models import Cohort

    cohort = make_cohort(participants=3, instructors=2)
    cohort = session.get(Cohort, cohort.id)
    rubric = rubrics.create_rubric(session, rubric_data(), actor=None, cohort=cohort)
    assessment = assessments.save_assessment(
        session,
        None,
        cohort,
        assessments.AssessmentFields(
            title="Refleksi benchmarking",
            due_at=NOW + timedelta(days=7),
            cutoff_at=NOW + timedelta(days=10),
            rubric_id=rubric.id,
        ),
    )
    session.commit()
    people = make_cohort.__self__ if False else None  # noqa: F841 - keep fixtures explicit
    from lms.users.models import User

    participants = [session.get(User, u.id) for u in cohort_people(session, cohort.id, "participant")]
    instructors = [session.get(User, u.id) for u in cohort_people(session, cohort.id, "instructor")]
    return {
        "cohort": cohort,
        "rubric": rubric,
        "assessment": assessment,
        "participants": participants,
        "instructors": instructors,
    }


def cohort_people(session, cohort_id, role):
    from lms.cohorts.models import Membership
    from lms.users.models import User

    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort_id, Membership.role == role)
            .order_by(User.id)
        )
    )


def submitted(session, world, who=0, text="Rumah sakit tanpa kelas di Pontianak.", at=NOW):
    person = world["participants"][who]
    submission = assessments.start_attempt(session, world["assessment"], person, at)
    assessments.save_draft(session, submission, text, submission.version, person, at)
    assessments.submit(session, submission, person, at)
    session.commit()
    return submission


def levels(rubric, picks):
    return {c.id: c.levels[p].id for c, p in zip(rubric.criteria, picks, strict=True)}


# -- the formula ---------------------------------------------------------------------------------


def test_score_example_from_the_documentation():
    # weights 2 and 1, levels 3/4 and 4/4 → (2·0.75 + 1·1) / 3 × 100 = 83.33
    assert grading.weighted_score(
        [(Decimal(2), Decimal(3), Decimal(4)), (Decimal(1), Decimal(4), Decimal(4))]
    ) == Decimal("83.33")


weights = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(100), places=2)
points = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)


@st.composite
def terms(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    out = []
    for _ in range(n):
        maximum = draw(st.decimals(min_value=Decimal("0.5"), max_value=Decimal(100), places=2))
        got = draw(st.decimals(min_value=Decimal(0), max_value=maximum, places=2))
        out.append((draw(weights), got, maximum))
    return out


@given(terms())
@settings(max_examples=200, deadline=None)
def test_score_is_between_0_and_100_with_two_decimals(items):
    score = grading.weighted_score(items)
    assert Decimal(0) <= score <= Decimal(100)
    assert score == score.quantize(Decimal("0.01"))


@given(terms())
@settings(max_examples=200, deadline=None)
def test_full_marks_give_100_and_zero_gives_0(items):
    assert grading.weighted_score([(w, m, m) for w, _p, m in items]) == Decimal(100)
    assert grading.weighted_score([(w, Decimal(0), m) for w, _p, m in items]) == Decimal(0)


@given(terms(), st.decimals(min_value=Decimal("0.1"), max_value=Decimal(10), places=1))
@settings(max_examples=200, deadline=None)
def test_scaling_every_weight_changes_nothing(items, factor):
    scaled = [(w * factor, p, m) for w, p, m in items]
    assert abs(grading.weighted_score(items) - grading.weighted_score(scaled)) <= Decimal("0.01")


@given(terms())
@settings(max_examples=200, deadline=None)
def test_score_matches_the_formula(items):
    exact = sum(w * p / m for w, p, m in items) / sum(w for w, _p, _m in items) * 100
    assert abs(grading.weighted_score(items) - exact) <= Decimal("0.005")


def _half_up_exact(value: Fraction) -> Decimal:
    """An independent half-up to 0.01: integer arithmetic on the exact fraction (scores are ≥ 0)."""
    hundredths = value * 100
    whole, rest = divmod(hundredths.numerator, hundredths.denominator)
    if 2 * rest >= hundredths.denominator:
        whole += 1
    return Decimal(whole) / 100


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # Exactly 28.125 = 225/8 through sixths and thirds: Decimal's 28 digits gave 28.12499… → 28.12.
        ([(5, 0, 4), (5, 1, 6), (5, 2, 3), (1, 2, 6)], "28.13"),
        ([(2, 3, 7), (4, 1, 7), (1, 3, 4), (1, 4, 7)], "34.38"),
        ([(5, 2, 3), (5, 4, 6), (5, 1, 6), (1, 0, 6)], "46.88"),
        ([(1, "65.625", 100)], "65.63"),
        ([(1, "0.005", 1)], "0.50"),
    ],
)
def test_score_rounds_exact_half_way_values_up(items, expected):
    terms = [(Decimal(w), Decimal(p), Decimal(m)) for w, p, m in items]
    assert grading.weighted_score(terms) == Decimal(expected)


@given(terms())
@settings(max_examples=300, deadline=None)
def test_score_is_the_exact_value_rounded_once_half_up(items):
    exact = (
        sum((Fraction(w) * Fraction(p) / Fraction(m) for w, p, m in items), Fraction(0))
        / sum((Fraction(w) for w, _p, _m in items), Fraction(0))
        * 100
    )
    assert grading.weighted_score(items) == _half_up_exact(exact)


@given(st.lists(points, min_size=1, max_size=8), st.integers(min_value=1, max_value=8))
@settings(max_examples=300, deadline=None)
def test_assessment_score_is_the_exact_mean_rounded_once(scores, best_n):
    from types import SimpleNamespace

    chosen = sorted(scores, reverse=True)[:best_n]
    expected = _half_up_exact(sum((Fraction(s) for s in chosen), Fraction(0)) / len(chosen))
    assert grading.aggregate(SimpleNamespace(aggregation="best", best_n=best_n), scores) == expected


# -- states and transitions ----------------------------------------------------------------------


def test_a_draft_cannot_be_graded(world, session):
    person = world["participants"][0]
    draft = assessments.start_attempt(session, world["assessment"], person, NOW)
    assessments.save_draft(session, draft, "belum selesai", draft.version, person, NOW)
    with pytest.raises(Conflict):
        grading.save_grade(
            session,
            draft,
            world["instructors"][0],
            grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}),
            None,
            NOW,
        )


def test_grade_draft_final_released(world, session):
    submission = submitted(session, world)
    teacher = world["instructors"][0]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [2, 3]), comments={world["rubric"].criteria[0].id: "Baik"}),
        None,
        NOW,
    )
    assert grade.status == GradeStatus.DRAFT and grade.score == Decimal("83.33")
    with pytest.raises(Conflict, match="finalize"):
        grading.release(session, grade, teacher, NOW)
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [2, 3]), comments={}, finalize=True),
        grade.version,
        NOW,
    )
    assert grade.status == GradeStatus.FINAL
    grading.release(session, grade, teacher, NOW)
    assert grade.status == GradeStatus.RELEASED and grade.released_at == NOW
    with pytest.raises(Conflict, match="already released"):
        grading.release(session, grade, teacher, NOW)


def test_finalizing_needs_every_criterion(world, session):
    submission = submitted(session, world)
    rubric = world["rubric"]
    with pytest.raises(DomainError):
        grading.save_grade(
            session,
            submission,
            world["instructors"][0],
            grading.GradeInput(
                levels={rubric.criteria[0].id: rubric.criteria[0].levels[0].id}, comments={}, finalize=True
            ),
            None,
            NOW,
        )


def test_changing_a_released_grade_needs_a_reason_and_is_audited(world, session):
    submission = submitted(session, world)
    teacher = world["instructors"][0]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, teacher, NOW)
    with pytest.raises(DomainError, match="say why"):
        grading.save_grade(
            session,
            submission,
            teacher,
            grading.GradeInput(levels=levels(world["rubric"], [1, 1]), comments={}),
            grade.version,
            NOW,
        )
    grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [1, 1]), comments={}, reason="Salah pilih tingkat"),
        grade.version,
        NOW,
    )
    session.commit()
    events = session.scalars(select(GradeEvent).where(GradeEvent.grade_id == grade.id).order_by(GradeEvent.id)).all()
    assert [e.action for e in events] == ["finalize", "release", "adjust"]
    assert events[-1].before["score"] == "100.00" and events[-1].after["score"] == "50.00"
    assert events[-1].reason == "Salah pilih tingkat" and events[-1].actor_id == teacher.id


def test_lost_update_is_a_conflict_showing_the_other_values(world, session):
    submission = submitted(session, world)
    first, second = world["instructors"]
    grade = grading.save_grade(
        session, submission, first, grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}), None, NOW
    )
    session.commit()
    seen = grade.version
    grading.save_grade(
        session,
        submission,
        first,
        grading.GradeInput(levels=levels(world["rubric"], [2, 2]), comments={}, feedback="versi pertama"),
        seen,
        NOW,
    )
    session.commit()
    with pytest.raises(grading.GradeConflict) as error:
        grading.save_grade(
            session,
            submission,
            second,
            grading.GradeInput(levels=levels(world["rubric"], [0, 0]), comments={}),
            seen,
            NOW,
        )
    assert error.value.grade.feedback == "versi pertama"
    session.rollback()
    assert session.scalar(select(Grade.score).where(Grade.id == grade.id)) == Decimal("75.00")


def test_two_graders_over_http_second_gets_409_and_nothing_overwritten(app, world, session):
    submission = submitted(session, world)
    rubric = world["rubric"]
    a, b = app.test_client(), app.test_client()
    login(a, world["instructors"][0])
    login(b, world["instructors"][1])
    form = {f"level-{c.id}": str(c.levels[3].id) for c in rubric.criteria} | {"version": "", "action": "save"}
    assert a.post(f"/grading/submissions/{submission.id}", data=form).status_code == 302
    other = {f"level-{c.id}": str(c.levels[0].id) for c in rubric.criteria} | {"version": "", "feedback": "punyaku"}
    response = b.post(f"/grading/submissions/{submission.id}", data=other)
    assert response.status_code == 409
    assert 'id="grade-conflict"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Grade.score)) == Decimal("100.00")
    assert session.scalar(select(func.count()).select_from(GradeEvent)) == 1


def test_return_for_revision_and_resubmit_keeps_history(world, session):
    submission = submitted(session, world)
    person = world["participants"][0]
    grading.return_for_revision(session, submission, world["instructors"][0], "Tambahkan bukti.", NOW)
    assert submission.state == SubmissionState.RETURNED
    assessments.save_draft(session, submission, "Versi kedua dengan bukti.", submission.version, person, NOW)
    assessments.submit(session, submission, person, NOW)
    session.commit()
    bodies = [r.body for r in assessments.revisions(session, submission.id)]
    assert "Versi kedua dengan bukti." in bodies and "Rumah sakit tanpa kelas di Pontianak." in bodies


def test_release_per_assessment_only_releases_final_grades(world, session):
    teacher = world["instructors"][0]
    s1, s2 = submitted(session, world, 0), submitted(session, world, 1)
    grading.save_grade(
        session,
        s1,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}, finalize=True),
        None,
        NOW,
    )
    grading.save_grade(
        session, s2, teacher, grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}), None, NOW
    )
    assert grading.release_assessment(session, world["assessment"], teacher, NOW) == 1
    assert grading.release_assessment(session, world["assessment"], teacher, NOW) == 0
    statuses = dict(session.execute(select(Grade.submission_id, Grade.status)).all())
    assert statuses == {s1.id: GradeStatus.RELEASED, s2.id: GradeStatus.DRAFT}


# -- rubric freezing and versions ----------------------------------------------------------------


def test_rubric_edit_after_grading_makes_a_new_version_and_old_grades_keep_theirs(world, session):
    submission = submitted(session, world)
    teacher = world["instructors"][0]
    old = world["rubric"]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(old, [3, 3]), comments={}, finalize=True),
        None,
        NOW,
    )
    session.commit()
    assert old.frozen
    new, created = rubrics.update_rubric(
        session, old, rubric_data((("Relevansi", 1), ("Kedalaman", 1), ("Bukti", 1))), actor=teacher
    )
    session.commit()
    assert created and new.id != old.id and new.version == 2
    assert session.get(Assessment, world["assessment"].id).rubric_id == new.id
    assert session.get(Grade, grade.id).rubric_id == old.id and session.get(Grade, grade.id).score == Decimal("100.00")


# -- participants' side --------------------------------------------------------------------------


def test_late_after_due_and_refused_after_cutoff_unless_extended(world, session):
    a = world["assessment"]
    late = submitted(session, world, 0, at=a.due_at + timedelta(hours=1))
    assert late.late
    person = world["participants"][1]
    draft = assessments.start_attempt(session, a, person, NOW)
    assessments.save_draft(session, draft, "teks", draft.version, person, NOW)
    session.commit()
    after = a.cutoff_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="cut-off"):
        assessments.save_draft(session, draft, "teks baru", draft.version, person, after)
    with pytest.raises(Conflict, match="cut-off"):
        assessments.submit(session, draft, person, after)
    assessments.grant_extension(session, a, person, a.cutoff_at + timedelta(days=2), world["instructors"][0])
    assessments.submit(session, draft, person, after)
    # Handed in within the extension: on time, never labelled late (issue 14).
    assert draft.state == SubmissionState.SUBMITTED and not draft.late
    assert assessments.is_late(session, a, person.id, a.cutoff_at + timedelta(days=3))
    assert not assessments.is_late(session, a, world["participants"][1].id, a.due_at)


def test_withdraw_only_before_due_and_before_grading(world, session):
    submission = submitted(session, world)
    person = world["participants"][0]
    assessments.withdraw(session, submission, person, NOW)
    assert submission.state == SubmissionState.DRAFT
    assessments.submit(session, submission, person, NOW)
    with pytest.raises(Conflict):
        assessments.withdraw(session, submission, person, world["assessment"].due_at + timedelta(seconds=1))
    grading.save_grade(
        session,
        submission,
        world["instructors"][0],
        grading.GradeInput(levels=levels(world["rubric"], [1, 1]), comments={}),
        None,
        NOW,
    )
    with pytest.raises(Conflict, match="Grading has started"):
        assessments.withdraw(session, submission, person, NOW)


def test_draft_conflict_keeps_both_texts(world, session):
    person = world["participants"][0]
    draft = assessments.start_attempt(session, world["assessment"], person, NOW)
    assessments.save_draft(session, draft, "dari tab satu", 0, person, NOW)
    with pytest.raises(assessments.DraftConflict):
        assessments.save_draft(session, draft, "dari tab dua", 0, person, NOW)
    session.commit()
    bodies = {r.body: r.reason for r in assessments.revisions(session, draft.id)}
    assert bodies == {"dari tab satu": "autosave", "dari tab dua": "conflict"}
    assert draft.body == "dari tab satu"


def test_participant_sees_grade_only_after_release(app, world, session):
    submission = submitted(session, world)
    teacher = world["instructors"][0]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(
            levels=levels(world["rubric"], [2, 3]),
            comments={world["rubric"].criteria[0].id: "Perdalam analisis"},
            feedback="**Bagus**",
            finalize=True,
        ),
        None,
        NOW,
    )
    session.commit()
    client = app.test_client()
    login(client, world["participants"][0])
    page = client.get(f"/assessments/{world['assessment'].id}").get_data(as_text=True)
    assert "83,33" not in page and "Perdalam analisis" not in page
    grading.release(session, grade, teacher, NOW)
    session.commit()
    page = client.get(f"/assessments/{world['assessment'].id}").get_data(as_text=True)
    assert "83,33" in page and "Perdalam analisis" in page and "<strong>Bagus</strong>" in page


def test_participant_cannot_reach_anothers_work(app, world, session):
    submission = submitted(session, world, 0)
    client = app.test_client()
    login(client, world["participants"][1])
    assert client.get(f"/submissions/{submission.id}/revisions").status_code == 403
    assert client.post(f"/submissions/{submission.id}/withdraw").status_code == 403
    assert client.get(f"/grading/submissions/{submission.id}").status_code == 403
    response = client.post(
        f"/assessments/{world['assessment'].id}/draft",
        json={"submission_id": submission.id, "body": "curang", "version": submission.version},
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Submission, submission.id).body == "Rumah sakit tanpa kelas di Pontianak."


# -- speed: fixed queries whatever the cohort size ------------------------------------------------


@pytest.mark.parametrize("page", ["queue", "grade", "progress"])
def test_grading_pages_run_a_fixed_number_of_queries(app_factory, make_cohort, page):
    app = app_factory()
    session = app.extensions["lms.db"].session
    counts = []
    for size in (10, 300):
        with app.test_request_context():
            cohort = make_cohort(participants=size, instructors=1, name=f"Angkatan {size}")
            from lms.cohorts.models import Cohort

            cohort_obj = session.get(Cohort, cohort.id)
            rubric = rubrics.create_rubric(session, rubric_data(), actor=None, cohort=cohort_obj)
            assessment = assessments.save_assessment(
                session,
                None,
                cohort_obj,
                assessments.AssessmentFields(title="Refleksi", due_at=NOW + timedelta(days=7), rubric_id=rubric.id),
            )
            teacher = cohort.people["instructors"][0]
            first = None
            for person in cohort.people["participants"]:
                s = Submission(
                    assessment=assessment,
                    participant_id=person.id,
                    attempt=1,
                    body="teks",
                    state=SubmissionState.SUBMITTED,
                    submitted_at=NOW,
                    version=1,
                )
                session.add(s)
                first = first or s
            session.flush()
            for s in session.scalars(
                select(Submission).where(Submission.assessment_id == assessment.id).limit(size // 2)
            ):
                grading.save_grade(
                    session, s, teacher, grading.GradeInput(levels=levels(rubric, [1, 2]), comments={}), None, NOW
                )
            session.commit()
            url = {
                "queue": f"/grading/?assessment={assessment.id}",
                "grade": f"/grading/submissions/{first.id}",
                "progress": f"/grading/assessments/{assessment.id}/progress",
            }[page]
        session.remove()
        client = app.test_client()
        login(client, teacher)
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_grading_refuses_work_changed_since_the_page_was_opened(world, session):
    submission = submitted(session, world)
    seen = submission.version
    person = world["participants"][0]
    assessments.withdraw(session, submission, person, NOW)
    assessments.save_draft(session, submission, "Teks yang diganti.", submission.version, person, NOW)
    assessments.submit(session, submission, person, NOW)
    session.commit()
    with pytest.raises(Conflict, match="changed this work"):
        grading.save_grade(
            session,
            submission,
            world["instructors"][0],
            grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}),
            None,
            NOW,
            seen_submission_version=seen,
        )


def test_a_final_grade_keeps_every_level_and_opening_the_editor_changes_nothing(app, world, session):
    submission = submitted(session, world)
    teacher = world["instructors"][0]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}, finalize=True),
        None,
        NOW,
    )
    rubric = world["rubric"]
    with pytest.raises(DomainError, match="every criterion"):
        grading.save_grade(
            session,
            submission,
            teacher,
            grading.GradeInput(levels={rubric.criteria[0].id: rubric.criteria[0].levels[0].id}, comments={}),
            grade.version,
            NOW,
        )
    session.rollback()
    client = app.test_client()
    login(client, world["participants"][1])
    before = session.scalar(select(func.count()).select_from(Submission))
    assert client.get(f"/assessments/{world['assessment'].id}/write").status_code == 302
    assert session.scalar(select(func.count()).select_from(Submission)) == before
    assert client.get("/grading/?cohort=%C2%B2&page=%C2%B2").status_code in (302, 403)


@pytest.mark.real_database
def test_a_stale_write_of_a_grade_fails_at_the_database(app, world, session):
    """Two writers that both read version n: the first UPDATE wins, the second matches no row."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    submission = submitted(session, world)
    grade = grading.save_grade(
        session,
        submission,
        world["instructors"][0],
        grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}),
        None,
        NOW,
    )
    session.commit()
    engine = app.extensions["lms.db"].engine
    with Session(engine) as first, Session(engine) as second:
        a, b = first.get(Grade, grade.id), second.get(Grade, grade.id)
        a.feedback, a.version = "pertama", a.version + 1
        first.commit()
        b.feedback, b.version = "kedua", b.version + 1
        with pytest.raises(StaleDataError):
            second.commit()
    session.expire_all()
    assert session.get(Grade, grade.id).feedback == "pertama"


def test_grade_history_prints_scores_like_the_rest_of_the_ui(app, world, session, make_user):
    """Item 10.20: the audit printed 83.33 where every other page prints 83,33."""
    from lms.cohorts.models import Membership, Role

    submission = submitted(session, world)
    teacher = world["instructors"][0]
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [2, 3]), comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, teacher, NOW)
    grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels=levels(world["rubric"], [3, 3]), comments={}, finalize=True, reason="Salah pilih"),
        grade.version,
        NOW,
    )
    coordinator = make_user(name="Koordinator audit")
    session.add(Membership(cohort_id=world["cohort"].id, user_id=coordinator.id, role=Role.COORDINATOR))
    session.commit()
    client = app.test_client()
    login(client, coordinator)
    page = client.get(f"/grading/assessments/{world['assessment'].id}/audit").get_data(as_text=True)
    table = page[page.index('id="audit"') :]
    assert "83,33" in table and "100,00" in table
    assert "83.33" not in table and "100.00" not in table


@pytest.mark.real_database
@pytest.mark.parametrize("rounds", [3])
def test_two_graders_releasing_the_same_grade_at_once_release_it_once(app, world, session, rounds):
    """Item 10.13: two simultaneous releases → one release, the other a clear refusal (was a 500)."""
    for _ in range(rounds):
        session.execute(GradeEvent.__table__.delete())
        session.execute(Grade.__table__.delete())
        session.execute(Submission.__table__.delete())
        session.commit()
        session.expunge_all()
        submission = submitted(session, world)
        grading.save_grade(
            session,
            submission,
            world["instructors"][0],
            grading.GradeInput(levels=levels(world["rubric"], [2, 3]), comments={}, finalize=True),
            None,
            NOW,
        )
        session.commit()
        clients = [app.test_client(), app.test_client()]
        for client, teacher in zip(clients, world["instructors"], strict=True):
            login(client, teacher)
        url = f"/grading/submissions/{submission.id}/release"
        statuses = [r.status_code for r in race(*(lambda c=c, url=url: c.post(url) for c in clients))]
        assert sorted(statuses) == [302, 303], statuses  # released; refused and sent back with a message
        events = session.scalars(select(GradeEvent.action).where(GradeEvent.submission_id == submission.id)).all()
        assert sorted(events) == ["finalize", "release"]


# -- the queue's search, the reminders -------------------------------------------------------------


def test_the_queue_finds_work_by_name_or_by_nip_typed_with_spaces(app, world, session):
    from lms.users.models import ParticipantProfile

    first, second = submitted(session, world, 0), submitted(session, world, 1)
    person = world["participants"][1]
    nip = session.scalar(select(ParticipantProfile.nip).where(ParticipantProfile.user_id == person.id))
    client = app.test_client()
    login(client, world["instructors"][0])

    def shown(query):
        page = client.get("/grading/", query_string={"q": query}).get_data(as_text=True)
        return {s.id for s in (first, second) if f"/grading/submissions/{s.id}?" in page}

    assert shown(person.name.upper()) == {second.id}
    assert shown(f"{nip[:8]} {nip[8:14]} {nip[14]}") == {second.id}
    assert shown("nobody-by-this-name") == set()
    # The search travels to the grading page's previous/next links.
    page = client.get(f"/grading/submissions/{second.id}", query_string={"q": person.name}).get_data(as_text=True)
    assert 'id="next"' not in page and 'data-key="j"' not in page


def test_reminders_reach_those_without_work_once_a_day(app, world, session):
    from lms.notifications.models import Notification

    submitted(session, world, 0)
    assessment, teacher = world["assessment"], world["instructors"][0]
    reminded, missing = grading.remind_missing(session, assessment, teacher, NOW, "2026-10-01")
    assert (reminded, missing) == (2, 2)
    again, _missing = grading.remind_missing(session, assessment, teacher, NOW, "2026-10-01")
    assert again == 0
    tomorrow, _missing = grading.remind_missing(session, assessment, teacher, NOW, "2026-10-02")
    assert tomorrow == 2
    kind = Notification.kind == "submission_reminder"
    recipients = set(session.scalars(select(Notification.recipient_id).where(kind)))
    assert recipients == {p.id for p in world["participants"][1:]}


def test_reminding_is_confirmed_first_and_refused_to_other_cohorts_staff(app, world, session, make_cohort):
    from lms.notifications.models import Notification

    assessment = world["assessment"]
    stranger = make_cohort(participants=1, instructors=1, name="Angkatan lain").people["instructors"][0]
    client = app.test_client()
    login(client, stranger)
    assert client.get(f"/grading/assessments/{assessment.id}/remind").status_code == 403
    assert client.post(f"/grading/assessments/{assessment.id}/remind").status_code == 403
    client = app.test_client()
    login(client, world["instructors"][0])
    page = client.get(f"/grading/assessments/{assessment.id}/remind").get_data(as_text=True)
    assert page.count("data-user-id=") == 3 and 'id="remind-confirm"' in page
    assert session.scalar(select(func.count()).select_from(Notification)) == 0  # asking sends nothing
    response = client.post(f"/grading/assessments/{assessment.id}/remind")
    assert response.status_code == 302
    sent = select(func.count()).select_from(Notification).where(Notification.kind == "submission_reminder")
    assert session.scalar(sent) == 3


def test_work_awaiting_a_final_grade_is_counted_right_after_every_change(world, session):
    """The staff dashboard's count reads ``Submission.awaiting_grade`` (a flush listener keeps it):
    after each write that moves work in or out of the pile it equals the anti-join of every
    submitted piece against its grade, and the loaded submissions agree."""
    from lms.cohorts.services import delete_cohort
    from lms.grading.queries import awaiting_final_grade

    cohort_id, rubric, teacher = world["cohort"].id, world["rubric"], world["instructors"][0]
    first, second, third = world["participants"]

    def waiting(expected):
        session.flush()
        final = select(Grade.id).where(Grade.submission_id == Submission.id, Grade.status != GradeStatus.DRAFT)
        truth = session.scalar(
            select(func.count()).where(Submission.state == SubmissionState.SUBMITTED, ~final.exists())
        )
        assert awaiting_final_grade(session, [cohort_id]) == truth == expected
        for work in session.scalars(select(Submission)):
            assert work.awaiting_grade == (work.id in flagged()), work.id
        session.commit()  # and the same once committed, read again
        assert awaiting_final_grade(session, [cohort_id]) == expected

    def flagged():
        return set(session.execute(select(Submission.id).where(Submission.awaiting_grade)).scalars())

    a = submitted(session, world, 0)
    waiting(1)
    b = submitted(session, world, 1)
    draft = assessments.start_attempt(session, world["assessment"], third, NOW)
    assessments.save_draft(session, draft, "Belum selesai.", draft.version, third, NOW)  # a draft never waits
    waiting(2)
    assessments.withdraw(session, b, second, NOW)
    waiting(1)
    assessments.submit(session, b, second, NOW)
    waiting(2)
    grade = grading.save_grade(
        session, a, teacher, grading.GradeInput(levels=levels(rubric, [2, 3]), comments={}), None, NOW
    )
    waiting(2)  # a draft grade: still waiting
    grade = grading.save_grade(
        session,
        a,
        teacher,
        grading.GradeInput(levels=levels(rubric, [2, 3]), comments={}, finalize=True),
        grade.version,
        NOW,
    )
    assert a.awaiting_grade is False
    waiting(1)
    grading.release(session, grade, teacher, NOW)
    waiting(1)
    grading.return_for_revision(session, b, teacher, "Tambahkan bukti.", NOW)
    waiting(0)
    assessments.save_draft(session, b, "Versi kedua dengan bukti.", b.version, second, NOW)
    assessments.submit(session, b, second, NOW)
    waiting(1)  # handed in again, its grade a draft
    returned = grading.grade_of(session, b.id)
    finalize = grading.GradeInput(levels=levels(rubric, [1, 1]), comments={}, finalize=True)
    b_grade = grading.save_grade(session, b, teacher, finalize, returned.version, NOW)
    waiting(0)
    session.delete(b_grade)
    waiting(1)
    session.delete(b)
    waiting(0)
    assessments.submit(session, draft, third, NOW)
    waiting(1)
    delete_cohort(session, world["cohort"])
    session.flush()
    assert awaiting_final_grade(session, [cohort_id]) == 0 and not flagged()
