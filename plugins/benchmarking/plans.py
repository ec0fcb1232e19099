"""The pre-visit plan: the questions each group prepares for its lokus before the visit.

Group work, done the way group reports are (reports.py): one core submission per group, owned by
its leader, at the visit's assessment of kind ``benchmarking.plan``; graded with a rubric when the
visit says so (``FieldVisit.plan_graded``), otherwise handed in and read without a grade. It is due
the day before the visit starts. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.core.errors import DomainError
from lms.core.timezones import to_utc
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from lms.users.models import User
from plugins.benchmarking import settings
from plugins.benchmarking.models import FieldVisit, GroupPlan, VisitGroup

PLAN_KIND = "benchmarking.plan"


def plan_rubric() -> RubricData:
    def levels(*descriptors: object) -> list[LevelData]:
        labels = (_l("Beginning"), _l("Developing"), _l("Proficient"), _l("Exemplary"))
        return [
            LevelData(label=str(label), points=Decimal(i + 1), descriptor=str(d))
            for i, (label, d) in enumerate(zip(labels, descriptors, strict=True))
        ]

    return RubricData(
        title=str(_l("Pre-visit plan")),
        criteria=[
            CriterionData(
                str(_l("Questions fit the lokus and what it is chosen for")),
                weight=Decimal(2),
                levels=levels(
                    _l("General questions."),
                    _l("Some questions about the lokus."),
                    _l("Questions about the lokus's innovation."),
                    _l("Questions that probe why the innovation works and what it needs."),
                ),
            ),
            CriterionData(
                str(_l("Link to the peserta's agencies")),
                weight=Decimal(1),
                levels=levels(_l("None."), _l("Implicit."), _l("Named problems."), _l("Named problems with data.")),
            ),
        ],
    )


def ensure_plan_assessment(session: Session, visit: FieldVisit, actor: User | None) -> FieldVisit:
    """Give the visit its pre-visit plan assessment (weight 0: it never moves the final score by
    itself), with a rubric when the plan is graded; due at 23:59 the day before the visit."""
    if visit.plan_assessment_id is not None:
        return visit
    rubric_id = None
    if visit.plan_graded:
        rubric_id = rubrics.create_rubric(session, plan_rubric(), actor=actor, cohort=visit.cohort).id
    due = to_utc(datetime.combine(visit.start_date - timedelta(days=1), time(23, 59)))
    name = settings.activity_name(session, visit)
    plan = assessments.save_assessment(
        session,
        None,
        visit.cohort,
        assessments.AssessmentFields(
            title=str(_l("Pre-visit plan, %(activity)s: %(host)s", activity=name, host=visit.host.name)),
            kind=PLAN_KIND,
            instructions=str(
                _l("Each group writes the questions it will ask at its lokus; the group's leader submits them.")
            ),
            due_at=due,
            weight=Decimal(0),
            rubric_id=rubric_id,
        ),
        known_kinds={PLAN_KIND},
    )
    visit.plan_assessment_id = plan.id
    session.flush()
    return visit


def plan_of(session: Session, group_id: int) -> tuple[GroupPlan | None, Submission | None]:
    row = session.scalar(select(GroupPlan).where(GroupPlan.group_id == group_id))
    return (row, row.submission) if row else (None, None)


def write(session: Session, group: VisitGroup, actor: User, body: str, base_version: int, now: datetime) -> GroupPlan:
    """Save the group's plan as its leader (the questions, Markdown); a stale version is refused."""
    if group.leader_id != actor.id:
        raise DomainError(_l("The group's leader writes and submits its plan."), status=403)
    visit = group.visit
    if visit.plan_assessment is None:
        raise DomainError(_l("This visit has no pre-visit plan."), status=409)
    if not body.strip():
        raise DomainError(_l("Write the group's questions."), field="body")
    row = session.scalar(select(GroupPlan).where(GroupPlan.group_id == group.id))
    if row is None:
        submission = assessments.start_attempt(session, visit.plan_assessment, actor, now)
        row = GroupPlan(group_id=group.id, submission=submission)
        session.add(row)
        base_version = submission.version
    elif row.submission.participant_id != actor.id:
        row.submission.participant_id = actor.id  # the leader changed: the plan passes to the new one
    assessments.save_draft(session, row.submission, body, base_version, actor, now, reason="save")
    session.flush()
    return row


def submit(session: Session, group: VisitGroup, actor: User, now: datetime) -> GroupPlan:
    row, submission = plan_of(session, group.id)
    if row is None or submission is None:
        raise DomainError(_l("Write the group's questions."), field="body")
    assessments.submit(session, submission, actor, now)
    return row


def plans_shown(session: Session, submission_ids: list[int]) -> dict[int, GroupPlan]:
    """The plan kind's batch loader: each plan with its group (one query)."""
    return {
        row.submission_id: row
        for row in session.scalars(select(GroupPlan).where(GroupPlan.submission_id.in_(submission_ids)))
    }
