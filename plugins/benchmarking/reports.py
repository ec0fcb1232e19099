"""Group reports: one per group (kelompok), graded once; the score applies to every member, with
individual adjustments that are kept as an append-only trail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.core.errors import DomainError
from lms.core.scores import half_up
from lms.grading.models import Grade, GradeStatus
from lms.users.models import User
from plugins.benchmarking.models import (
    FieldVisit,
    GroupMember,
    GroupReport,
    Practice,
    ScoreAdjustment,
    VisitGroup,
)

MAX_ADJUSTMENT = Decimal(20)


def report_of(session: Session, group_id: int) -> tuple[GroupReport | None, Submission | None]:
    report = session.scalar(select(GroupReport).where(GroupReport.group_id == group_id))
    if report is None:
        return None, None
    return report, report.submission


def write(
    session: Session,
    group: VisitGroup,
    actor: User,
    body: str,
    practice_ids: list[int],
    base_version: int,
    now: datetime,
) -> GroupReport:
    """Save the group's report as its leader; referenced practices must belong to the group's members."""
    if group.leader_id != actor.id:
        raise DomainError(_l("The group's leader writes and submits its report."), status=403)
    visit = group.visit
    if visit.report_assessment_id is None:
        raise DomainError(_l("This visit has no group report."), status=409)
    members = {m.user_id for m in group.members}
    chosen: list[Practice] = []
    if practice_ids:
        chosen = list(
            session.scalars(
                select(Practice)
                .where(Practice.id.in_(practice_ids), Practice.visit_id == visit.id)
                .order_by(Practice.id)
            )
        )
        if set(practice_ids) - {p.id for p in chosen} or {p.participant_id for p in chosen} - members:
            raise DomainError(_l("A report can only refer to practices of the group's members."), field="practice_ids")
    report = session.scalar(select(GroupReport).where(GroupReport.group_id == group.id))
    if report is None:
        assert visit.report_assessment is not None  # report_assessment_id is checked above
        submission = assessments.start_attempt(session, visit.report_assessment, actor, now)
        report = GroupReport(group_id=group.id, submission=submission)
        session.add(report)
        base_version = submission.version
    elif report.submission.participant_id != actor.id:
        report.submission.participant_id = actor.id  # the leader changed: the report passes to the new one
    assessments.save_draft(session, report.submission, body, base_version, actor, now, reason="save")
    report.practices = chosen
    session.flush()
    return report


def adjust(
    session: Session, group: VisitGroup, member_id: int, delta: Decimal, reason: str, actor: User
) -> ScoreAdjustment:
    """Change one member's share of the group score by ``delta`` points (±20 at most), with a reason."""
    if member_id not in {m.user_id for m in group.members}:
        raise DomainError(_l("Only members of the group can have their score adjusted."), field="member_id")
    if not delta.is_finite() or abs(delta) > MAX_ADJUSTMENT:
        raise DomainError(_l("An adjustment is at most %(n)s points either way.", n=MAX_ADJUSTMENT), field="delta")
    if not reason.strip():
        raise DomainError(_l("Say why this member's score differs from the group's."), field="reason")
    row = ScoreAdjustment(group_id=group.id, user_id=member_id, delta=delta, reason=reason.strip(), actor_id=actor.id)
    session.add(row)
    session.flush()
    return row


def adjustments(session: Session, group_id: int) -> list[ScoreAdjustment]:
    return list(
        session.scalars(
            select(ScoreAdjustment)
            .where(ScoreAdjustment.group_id == group_id)
            .order_by(ScoreAdjustment.at.desc(), ScoreAdjustment.id.desc())
        )
    )


def member_scores(session: Session, visit_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """Per visit, each member's group-report score: the released grade of their group's report plus
    their latest adjustment, kept within 0–100 (two queries whatever the cohort size).

    Keyed by visit id, then user id: a participant has one group per visit, so one score per visit.
    """
    if not visit_ids:
        return {}
    rows = session.execute(
        select(VisitGroup.visit_id, GroupMember.user_id, GroupMember.group_id, Grade.score)
        .join(VisitGroup, VisitGroup.id == GroupMember.group_id)
        .join(GroupReport, GroupReport.group_id == VisitGroup.id)
        .join(Grade, (Grade.submission_id == GroupReport.submission_id) & (Grade.status == GradeStatus.RELEASED))
        .where(VisitGroup.visit_id.in_(visit_ids))
    ).all()
    latest: dict[tuple[int, int], Decimal] = {}
    for group_id, user_id, delta in session.execute(
        select(ScoreAdjustment.group_id, ScoreAdjustment.user_id, ScoreAdjustment.delta)
        .join(VisitGroup, VisitGroup.id == ScoreAdjustment.group_id)
        .where(VisitGroup.visit_id.in_(visit_ids))
        .order_by(ScoreAdjustment.at, ScoreAdjustment.id)
    ):
        latest[(group_id, user_id)] = delta
    scores: dict[int, dict[int, Decimal]] = {}
    for visit_id, user_id, group_id, score in rows:
        if score is None:
            continue
        value = score + latest.get((group_id, user_id), Decimal(0))
        scores.setdefault(visit_id, {})[user_id] = half_up(min(Decimal(100), max(Decimal(0), value)))
    return scores


def visit_ids_of_cohort(session: Session, cohort_id: int) -> list[int]:
    return list(session.scalars(select(FieldVisit.id).where(FieldVisit.cohort_id == cohort_id)))
