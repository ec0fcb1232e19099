"""The individual report (laporan perseorangan): graded per practice, or as one submission.

A visit's ``report_mode`` says which. ``per_practice`` (every visit made before this existed): each
practice is its own submission to the visit's practice assessment and gets its own grade.
``one_report``: the peserta still logs each practice (they are published, followed up and counted
as before), but hands in one *individual report* — a submission to the visit's individual-report
assessment (kind ``benchmarking.individual_report``) that holds all of their practices — graded once
against one rubric. Its released grade is the peserta's individual score for the visit, read by
:mod:`plugins.benchmarking.results` exactly where the per-practice scores were read.

Services flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.assessments import services as assessments
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.core.timezones import to_utc
from lms.grading.models import Grade
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, RubricData
from lms.users.models import User
from plugins.benchmarking import practices
from plugins.benchmarking.models import FieldVisit, Practice

PER_PRACTICE = "per_practice"
ONE_REPORT = "one_report"
MODES = (PER_PRACTICE, ONE_REPORT)
MODE_LABELS = {
    PER_PRACTICE: _l("One grade per practice"),
    ONE_REPORT: _l("One individual report holding all practices, graded once"),
}
INDIVIDUAL_KIND = "benchmarking.individual_report"
# What a visit scheduled on its form starts with (a PKA's Studi Lapangan, see docs/benchmarking.md):
# one individual report per peserta, and a group score of the report and the seminar, half each.
# Visits made before these settings, and those made by code, keep per-practice grading and the
# report alone (the columns' defaults).
PKA_MODE, PKA_REPORT_WEIGHT, PKA_PRESENTATION_WEIGHT = ONE_REPORT, Decimal(50), Decimal(50)
HUNDRED = Decimal(100)


def individual_rubric() -> RubricData:
    """The default rubric of the individual report: the practice rubric's criteria, read over the
    whole report, and whether the practices together answer the visit's questions."""
    base = practices.practice_rubric()
    return RubricData(
        title=str(_l("Individual field-visit report")),
        criteria=[
            *base.criteria,
            CriterionData(
                str(_l("Coverage of the visit")),
                weight=Decimal(1),
                levels=practices._levels(
                    _l("One practice, loosely described."),
                    _l("Several practices, unconnected."),
                    _l("Practices that together answer the guiding questions."),
                    _l("Practices compared, with the reasons for what was not taken."),
                ),
            ),
        ],
    )


def apply_pka_defaults(session: Session, visit: FieldVisit, actor: User | None) -> FieldVisit:
    """Set a newly scheduled visit to what a PKA program expects (see :data:`PKA_MODE`)."""
    return set_grading(
        session,
        visit,
        actor,
        report_mode=PKA_MODE,
        report_weight=PKA_REPORT_WEIGHT,
        presentation_weight=PKA_PRESENTATION_WEIGHT,
    )


def graded_work_exists(session: Session, visit: FieldVisit) -> bool:
    """Any grade on the visit's practices or individual reports (the mode is then fixed)."""
    ids = [a for a in (visit.assessment_id, visit.individual_assessment_id) if a]
    if not ids:
        return False
    return (
        session.scalar(
            select(Grade.id)
            .join(Submission, Submission.id == Grade.submission_id)
            .where(Submission.assessment_id.in_(ids))
            .limit(1)
        )
        is not None
    )


def set_grading(
    session: Session,
    visit: FieldVisit,
    actor: User | None,
    *,
    report_mode: str,
    report_weight: Decimal,
    presentation_weight: Decimal,
) -> FieldVisit:
    """Choose how the visit's individual report is graded and how the group score weighs the group
    report against the seminar presentation.

    The mode is fixed once any practice or individual report is graded (grades would otherwise
    count twice or vanish); weights are 0–100 each, not both 0.
    """
    ensure_editable(visit.cohort)
    if report_mode not in MODES:
        raise DomainError(_l("Choose how the individual report is graded."), field="report_mode")
    for name, value in (("report_weight", report_weight), ("presentation_weight", presentation_weight)):
        if not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
            raise DomainError(_l("A weight lies between 0 and 100."), field=name)
    if report_weight + presentation_weight <= 0:
        raise DomainError(_l("Give the report or the presentation a weight."), field="report_weight")
    if report_mode != visit.report_mode and graded_work_exists(session, visit):
        raise Conflict(
            _l("Grading has started on this visit's individual work: the way it is graded can no longer change."),
            field="report_mode",
        )
    visit.report_mode = report_mode
    visit.report_weight, visit.presentation_weight = report_weight, presentation_weight
    practices.ensure_assessments(session, visit, actor)
    if report_mode == ONE_REPORT:
        ensure_individual_assessment(session, visit, actor)
    _weigh(visit)
    session.flush()
    return visit


def _weigh(visit: FieldVisit) -> None:
    """The assessment that carries the individual score counts (weight 2, as the practices did); the
    other one counts for nothing, so the implicit *Assessments* component never counts both."""
    practice, individual = visit.assessment, visit.individual_assessment
    if visit.report_mode == ONE_REPORT:
        if practice is not None:
            practice.weight = Decimal(0)
        if individual is not None:
            individual.weight = Decimal(2)
    else:
        if practice is not None and practice.weight == 0:
            practice.weight = Decimal(2)
        if individual is not None:
            individual.weight = Decimal(0)


def ensure_individual_assessment(session: Session, visit: FieldVisit, actor: User | None) -> None:
    """Give the visit its individual-report assessment (one submission per peserta, one rubric
    copied into the cohort), due with the practices."""
    if visit.individual_assessment_id is not None:
        return
    rubric = rubrics.create_rubric(session, individual_rubric(), actor=actor, cohort=visit.cohort)
    due = to_utc(datetime.combine(visit.end_date + timedelta(days=14), time(23, 59)))
    assessment = assessments.save_assessment(
        session,
        None,
        visit.cohort,
        assessments.AssessmentFields(
            title=str(_l("Individual field-visit report: %(host)s", host=visit.host.name)),
            kind=INDIVIDUAL_KIND,
            instructions=str(
                _l(
                    "Log your practices, then hand them in together as your individual report: "
                    "it is graded once, as a whole."
                )
            ),
            due_at=due,
            cutoff_at=due + timedelta(days=7),
            weight=Decimal(2),
            rubric_id=rubric.id,
        ),
        known_kinds={INDIVIDUAL_KIND},
    )
    visit.individual_assessment_id = assessment.id
    visit.individual_assessment = assessment
    session.flush()


def report_of(session: Session, visit: FieldVisit, participant_id: int) -> Submission | None:
    """The peserta's individual report for the visit (the latest attempt), if they started one."""
    if visit.individual_assessment_id is None:
        return None
    return session.scalar(
        select(Submission)
        .where(Submission.assessment_id == visit.individual_assessment_id, Submission.participant_id == participant_id)
        .order_by(Submission.attempt.desc())
        .limit(1)
    )


def compose(items: list[Practice]) -> str:
    """The report's body: a list of the practices it holds (their text lives with each practice)."""
    lines = [str(_l("Practices in this report:"))]
    lines += [f"- {p.title} ({practices.STAGE_LABELS[p.stage]})" for p in items]
    return "\n".join(lines)


def submit_report(session: Session, visit: FieldVisit, participant: User, now: datetime) -> Submission:
    """Hand in the peserta's individual report: every practice of theirs not yet handed in is
    submitted with it (their sharing consent as it stands), then the report itself.

    Refused when the visit grades per practice, when the peserta has no practice, or when the report
    is already handed in. A returned report is handed in again the same way.
    """
    if visit.report_mode != ONE_REPORT or visit.individual_assessment is None:
        raise Conflict(_l("This visit grades each practice on its own: submit your practices one by one."))
    items = list(
        session.scalars(
            select(Practice)
            .where(Practice.visit_id == visit.id, Practice.participant_id == participant.id)
            .options(selectinload(Practice.submission))
            .order_by(Practice.id)
        )
    )
    if not items:
        raise DomainError(_l("Log at least one practice before you hand in your report."))
    practices.check_minimum(session, visit, participant.id)  # the visit's minimum, as at a practice's submit
    report = report_of(session, visit, participant.id)
    if report is not None and report.state == SubmissionState.SUBMITTED:
        raise Conflict(_l("Your individual report is already handed in."))
    for practice in items:
        if practice.submission.state != SubmissionState.SUBMITTED:
            practices.submit_practice(session, practice, participant, now, share_consent=practice.share_consent)
    if report is None:
        report = assessments.start_attempt(session, visit.individual_assessment, participant, now)
    assessments.save_draft(session, report, compose(items), report.version, participant, now, reason="submit")
    assessments.submit(session, report, participant, now)
    session.flush()
    return report


def practices_graded_in_reports() -> Any:
    """The practice assessments of visits whose individual report is one submission: their practices
    are graded in the report, so the grading queue leaves them out (a SQL select of assessment ids)."""
    return select(FieldVisit.assessment_id).where(
        FieldVisit.report_mode == ONE_REPORT, FieldVisit.assessment_id.is_not(None)
    )


def reports_shown(session: Session, submission_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The individual report kind's batch loader: each report with its author's practices of the
    visit, with their evidence (three queries for the whole page)."""
    if not submission_ids:
        return {}
    rows = session.execute(
        select(Submission.id, Submission.participant_id, FieldVisit)
        .join(FieldVisit, FieldVisit.individual_assessment_id == Submission.assessment_id)
        .where(Submission.id.in_(submission_ids))
    ).all()
    if not rows:
        return {}
    wanted = {(visit.id, pid) for _sid, pid, visit in rows}
    found: dict[tuple[int, int], list[Practice]] = {}
    for practice in session.scalars(
        select(Practice)
        .where(
            Practice.visit_id.in_({v for v, _p in wanted}),
            Practice.participant_id.in_({p for _v, p in wanted}),
        )
        .options(selectinload(Practice.attachments))
        .order_by(Practice.id)
    ):
        found.setdefault((practice.visit_id, practice.participant_id), []).append(practice)
    return {sid: {"visit": visit, "practices": found.get((visit.id, pid), [])} for sid, pid, visit in rows}
