"""The plugin's columns in a cohort's results: practices per stage, implemented, visit and group scores.
Batched: every participant at once, a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.grading.models import Grade, GradeStatus
from lms.grading.services import aggregate
from lms.plugins.types import ResultColumn
from plugins.benchmarking import practices, reports
from plugins.benchmarking.models import FieldVisit, ImplementationStatus, Practice, Stage


def columns(session: Session, cohort_id: int, participant_ids: list[int]) -> list[ResultColumn]:
    ids = set(participant_ids)
    visits = list(session.scalars(select(FieldVisit).where(FieldVisit.cohort_id == cohort_id)))
    visit_ids = [v.id for v in visits]
    counts: dict[str, dict[int, int]] = {k: defaultdict(int) for k in ("identified", "adopted", "adapted", "implemented")}
    rows = session.execute(
        select(Practice.id, Practice.participant_id, Practice.stage)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(Practice.visit_id.in_(visit_ids), Submission.state == SubmissionState.SUBMITTED)
    ).all() if visit_ids else []
    statuses = practices.latest_status(session, [pid for pid, _u, _s in rows])
    for pid, user_id, stage in rows:
        counts["identified"][user_id] += 1
        if stage == Stage.ADOPTED:
            counts["adopted"][user_id] += 1
        elif stage == Stage.ADAPTED:
            counts["adapted"][user_id] += 1
        if pid in statuses and statuses[pid].status == ImplementationStatus.IMPLEMENTED:
            counts["implemented"][user_id] += 1
    visit_scores: dict[int, Decimal | None] = {}
    assessment_ids = [v.assessment_id for v in visits if v.assessment_id]
    if assessment_ids:
        by_assessment = {a.id: a for a in session.scalars(select(Assessment).where(Assessment.id.in_(assessment_ids)))}
        scores: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
        for assessment_id, user_id, score in session.execute(
            select(Submission.assessment_id, Submission.participant_id, Grade.score)
            .join(Grade, Grade.submission_id == Submission.id)
            .where(Submission.assessment_id.in_(assessment_ids), Grade.status == GradeStatus.RELEASED,
                   Grade.score.is_not(None))
        ):
            scores[user_id][assessment_id].append(score)
        for user_id, per_assessment in scores.items():
            values = [aggregate(by_assessment[a], s) for a, s in per_assessment.items()]
            values = [v for v in values if v is not None]
            visit_scores[user_id] = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")) if values else None
    group_scores = reports.member_scores(session, visit_ids)
    return [
        ResultColumn("benchmarking_identified", _l("Practices identified"), {u: counts["identified"].get(u, 0) for u in ids}, order=60),
        ResultColumn("benchmarking_adopted", _l("Practices adopted"), {u: counts["adopted"].get(u, 0) for u in ids}, order=61),
        ResultColumn("benchmarking_adapted", _l("Practices adapted"), {u: counts["adapted"].get(u, 0) for u in ids}, order=62),
        ResultColumn("benchmarking_implemented", _l("Practices implemented"), {u: counts["implemented"].get(u, 0) for u in ids}, order=63),
        ResultColumn("benchmarking_visit_score", _l("Benchmarking visit score"), {u: visit_scores.get(u) for u in ids},
                     kind="score", order=64),
        ResultColumn("benchmarking_group_score", _l("Group report score"), {u: group_scores.get(u) for u in ids},
                     kind="score", order=65),
    ]
