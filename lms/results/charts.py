"""Figures for the results page's charts and the exports' summary: score bands, predicate counts,
plugin column totals and each rubric criterion's average."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Submission
from lms.core.scores import TWO_PLACES, exact, half_up
from lms.core.scores import mean as exact_mean
from lms.grading.models import Grade, GradeCriterion, GradeStatus
from lms.results.table import ResultTable
from lms.rubrics.models import Criterion, Level, Rubric


@dataclass(frozen=True)
class Bin:
    label: str
    low: int
    high: int
    count: int


def histogram(scores: Iterable[Decimal | None], width: int = 10) -> list[Bin]:
    """Counts per score band of ``width`` points: [0, w], (w, 2w] … (100 − w, 100].

    Bands are closed on the right like the predicate thresholds ("more than 90" is the top band).
    """
    edges = list(range(0, 100, width))
    counts = [0] * len(edges)
    for score in scores:
        if score is None:
            continue
        upper = int((Decimal(score) / width).to_integral_value(rounding=ROUND_CEILING))
        counts[min(max(upper - 1, 0), len(edges) - 1)] += 1
    return [
        Bin(label=f"{low}–{min(low + width, 100)}", low=low, high=min(low + width, 100), count=n)
        for low, n in zip(edges, counts, strict=True)
    ]


def predicate_counts(table: ResultTable) -> list[tuple[str, int]]:
    """How many complete participants got each band of the program, top band first."""
    counts = {band["label"]: 0 for band in table.cohort.program.predicate_bands}
    for row in table.complete_rows:
        if row.predicate in counts:
            counts[row.predicate] += 1
    return list(counts.items())


def mean(values: Iterable[Decimal | None]) -> Decimal | None:
    value = exact_mean(v for v in values if v is not None)
    return None if value is None else half_up(value)


@dataclass(frozen=True)
class CriterionAverage:
    assessment_id: int
    criterion_id: int
    title: str
    rubric_version: int
    position: int
    average: Decimal  # points, rounded once
    max_points: Decimal
    graded: int
    total: Decimal = Decimal(0)  # the exact sum of points the average and share come from

    @property
    def percent(self) -> Decimal:
        if self.max_points <= 0 or not self.graded:
            return Decimal(0)
        return half_up(exact(self.total) / self.graded / exact(self.max_points) * 100)


def _decimal(value: Any) -> Decimal:
    """A sum or maximum of two-place points; SQLite answers a float, read back to its two places."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(TWO_PLACES)
    return Decimal(value)


def criterion_average_rows(session: Session, assessment_ids: list[int]) -> list[list[Any]]:
    """Per assessment and rubric criterion: [assessment id, criterion id, title, position, rubric
    version, maximum points, sum of points, graded] over released grades (one query), as plain data
    (points as text) that :class:`lms.results.models.CohortFigures` keeps as JSON."""
    if not assessment_ids:
        return []
    maximum = (
        select(Level.criterion_id.label("criterion_id"), func.max(Level.points).label("max_points"))
        .group_by(Level.criterion_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Submission.assessment_id,
            Criterion.id,
            Criterion.title,
            Criterion.position,
            Rubric.version,
            maximum.c.max_points,
            func.sum(GradeCriterion.points),
            func.count(GradeCriterion.id),
        )
        .select_from(GradeCriterion)
        .join(Grade, Grade.id == GradeCriterion.grade_id)
        .join(Submission, Submission.id == Grade.submission_id)
        .join(Criterion, Criterion.id == GradeCriterion.criterion_id)
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .outerjoin(maximum, maximum.c.criterion_id == Criterion.id)
        .where(
            Submission.assessment_id.in_(assessment_ids),
            Grade.status == GradeStatus.RELEASED,
            GradeCriterion.points.is_not(None),
        )
        .group_by(
            Submission.assessment_id,
            Criterion.id,
            Criterion.title,
            Criterion.position,
            Rubric.version,
            maximum.c.max_points,
        )
    )
    return [
        [aid, cid, title, position, version, str(_decimal(max_points)), str(_decimal(total)), graded]
        for aid, cid, title, position, version, max_points, total, graded in rows
    ]


def criterion_averages_of(rows: list[list[Any]]) -> dict[int, list[CriterionAverage]]:
    """:func:`criterion_average_rows` as each assessment's criterion averages, rounded once."""
    out: dict[int, list[CriterionAverage]] = {}
    for aid, cid, title, position, version, max_points, total, graded in rows:
        out.setdefault(aid, []).append(
            CriterionAverage(
                assessment_id=aid,
                criterion_id=cid,
                title=title,
                rubric_version=version,
                position=position,
                average=half_up(exact(Decimal(total)) / graded),
                max_points=Decimal(max_points),
                graded=graded,
                total=Decimal(total),
            )
        )
    for items in out.values():
        items.sort(key=lambda c: (-c.rubric_version, c.position, c.criterion_id))
    return out


def criterion_averages(session: Session, table: ResultTable) -> dict[int, list[CriterionAverage]]:
    """Per assessment, each rubric criterion's average points over released grades (one query).

    Grades on an older rubric version keep their own criteria, listed with their version.
    """
    return criterion_averages_of(criterion_average_rows(session, [a.id for a in table.assessments]))
