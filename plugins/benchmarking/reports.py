"""Group reports: one per group (kelompok), graded once; the score applies to every member, with
individual adjustments that are kept as an append-only trail."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.core.errors import DomainError
from lms.core.scores import exact, half_up
from lms.grading.models import Grade, GradeStatus
from lms.users.models import User
from plugins.benchmarking import seminar
from plugins.benchmarking.models import (
    REPORT_SECTIONS,
    FieldVisit,
    GroupMember,
    GroupReport,
    Practice,
    ScoreAdjustment,
    VisitGroup,
)

MAX_ADJUSTMENT = Decimal(20)

SECTIONS = REPORT_SECTIONS
SECTION_LABELS = {
    "lokus_profile": _l("Profile of the lokus"),
    "innovations": _l("Innovations found"),
    "success_factors": _l("Key success factors (kunci sukses)"),
    "lessons": _l("Lessons learned"),
    "adoption": _l("What to adopt or adapt, and why"),
    "recommendations": _l("Recommendations to the host"),
}
SECTION_LIMIT = 50000
MEMBER_BATCH = 500  # group members per fetch of a server-side cursor (a cohort's group scores)


def compose(sections: Mapping[str, str]) -> str:
    """The report's text as one Markdown document, a heading per section written: the submission's
    body, so each save is a revision and every reader of submissions sees the whole report."""
    parts = [
        f"## {SECTION_LABELS[name]}\n\n{sections[name].strip()}" for name in SECTIONS if sections.get(name, "").strip()
    ]
    return "\n\n".join(parts)


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
    sections: Mapping[str, str] | None = None,
) -> GroupReport:
    """Save the group's report as its leader; referenced practices must belong to the group's members.

    With ``sections`` (the template's sections by name) the report is written section by section and
    its body is made from them (:func:`compose`); ``body`` is then ignored.
    """
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
    if sections is not None:
        if set(sections) - set(SECTIONS):
            raise DomainError(_l("Unknown section of the report."))
        for name, text in sections.items():
            if len(text) > SECTION_LIMIT:
                raise DomainError(_l("A section is at most %(n)s characters.", n=SECTION_LIMIT), field=name)
        body = compose(sections)
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
    if sections is not None:
        for name in SECTIONS:
            setattr(report, name, sections.get(name, "").strip())
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


def member_scores(
    session: Session, visit_ids: list[int], user_ids: list[int] | None = None
) -> dict[int, dict[int, Decimal]]:
    """Per visit, each member's group score: the group report's released grade and the seminar
    presentation score (the mean of its panel), weighed by the visit's weights, plus the member's
    latest adjustment, kept within 0–100 and rounded once, half-up (four queries whatever the size).

    A part with weight 0 is not needed; a needed part missing leaves the member without a score.
    Keyed by visit id, then user id: a participant has one group per visit, so one score per visit.
    ``user_ids``: these members only (a page of the results), not every member of the visits.
    """
    scores: dict[int, dict[int, Decimal]] = {}
    for visit_id, user_id, score in member_score_rows(session, visit_ids, user_ids):
        scores.setdefault(visit_id, {})[user_id] = score
    return scores


def member_score_rows(
    session: Session, visit_ids: list[int], user_ids: list[int] | None = None
) -> Iterator[tuple[int, int, Decimal]]:
    """:func:`member_scores` as (visit id, user id, score) rows, the members read from a
    server-side cursor a batch at a time (a cohort's result columns keep the scores packed)."""
    if not visit_ids:
        return
    weights = {
        vid: (exact(wr), exact(wp))
        for vid, wr, wp in session.execute(
            select(FieldVisit.id, FieldVisit.report_weight, FieldVisit.presentation_weight).where(
                FieldVisit.id.in_(visit_ids)
            )
        )
    }
    presented = seminar.presentation_scores(session, visit_ids) if any(wp > 0 for _wr, wp in weights.values()) else {}
    latest: dict[tuple[int, int], Decimal] = {}
    for group_id, user_id, delta in session.execute(
        select(ScoreAdjustment.group_id, ScoreAdjustment.user_id, ScoreAdjustment.delta)
        .join(VisitGroup, VisitGroup.id == ScoreAdjustment.group_id)
        .where(
            VisitGroup.visit_id.in_(visit_ids),
            *([] if user_ids is None else [ScoreAdjustment.user_id.in_(user_ids)]),
        )
        .order_by(ScoreAdjustment.at, ScoreAdjustment.id)
    ):
        latest[(group_id, user_id)] = delta
    rows = session.execute(
        select(VisitGroup.visit_id, GroupMember.user_id, GroupMember.group_id, Grade.score)
        .join(VisitGroup, VisitGroup.id == GroupMember.group_id)
        .outerjoin(GroupReport, GroupReport.group_id == VisitGroup.id)
        .outerjoin(Grade, (Grade.submission_id == GroupReport.submission_id) & (Grade.status == GradeStatus.RELEASED))
        .where(VisitGroup.visit_id.in_(visit_ids), *([] if user_ids is None else [GroupMember.user_id.in_(user_ids)]))
        .execution_options(yield_per=MEMBER_BATCH)
    )
    for visit_id, user_id, group_id, report_score in rows:
        value = group_value(weights[visit_id], report_score, presented.get(group_id))
        if value is None:
            continue
        value += exact(latest.get((group_id, user_id), Decimal(0)))
        yield visit_id, user_id, half_up(min(Fraction(100), max(Fraction(0), value)))


def group_value(
    weights: tuple[Fraction, Fraction], report: Decimal | None, presentation: Fraction | None
) -> Fraction | None:
    """(w_r · report + w_p · presentation) ÷ (w_r + w_p), exact; None while a weighed part is missing."""
    wr, wp = weights
    if (wr > 0 and report is None) or (wp > 0 and presentation is None) or wr + wp <= 0:
        return None
    total = Fraction(0)
    if wr > 0:
        total += wr * exact(report)
    if wp > 0:
        total += wp * (presentation or Fraction(0))
    return total / (wr + wp)


def visit_ids_of_cohort(session: Session, cohort_id: int) -> list[int]:
    return list(session.scalars(select(FieldVisit.id).where(FieldVisit.cohort_id == cohort_id)))
