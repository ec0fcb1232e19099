"""The cohort result table: the one module that turns grades into results.

The screen, the CSV, XLSX and PDF exports and the API all read the table built here; no score is
stored twice. The rules:

- **Assessment score**: a participant's *released* grades of the assessment, aggregated as the
  assessment says (:func:`lms.grading.services.aggregate`: mean, or mean of the best N). Work handed
  in without a released grade is *not graded*; no work handed in is *not submitted*; a released
  grade without a score (an assessment without rubric) is *graded without a score*. None of these
  ever counts as 0.
- **Final score**: Σ wₐ·sₐ ÷ Σ wₐ over the assessments with weight > 0, half-up to 0.01, and only
  when every one of them has a score. Until then the row is *incomplete*: no final score, no
  predicate, no rank (a partial average would rank people on different work). Assessments of
  weight 0 are shown and never count.
- **Predicate** from the program's bands (:func:`lms.core.predicates.predicate_for`).
- **Rank** by final score, highest first; equal scores share a rank (1, 2, 2, 4).
- **Plugin columns** from ``lms_result_columns``, called once with every participant id.

Every function here runs a fixed number of queries whatever the cohort size.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import Float, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Cohort, Membership, Role
from lms.core.predicates import predicate_for
from lms.core.scores import TWO_PLACES, exact, half_up
from lms.core.scores import mean as exact_mean
from lms.db import utcnow
from lms.grading.models import Grade, GradeCriterion, GradeStatus
from lms.grading.services import exact_aggregate
from lms.plugins.types import ResultColumn, ResultSheet
from lms.rubrics.models import Criterion, Level, Rubric
from lms.users.models import ParticipantProfile, User

COLUMN_KINDS = ("number", "score", "text")


class CellState(enum.StrEnum):
    SCORED = "scored"  # released grade(s) with a score
    UNSCORED = "unscored"  # released, but the assessment gives feedback only (no rubric)
    NOT_GRADED = "not_graded"  # handed in; no released grade yet
    NOT_SUBMITTED = "not_submitted"  # nothing handed in


class Cell(NamedTuple):
    """One participant's result for one assessment (a tuple: a large cohort has tens of thousands)."""

    state: CellState
    score: Decimal | None = None  # rounded once, half-up, to 0.01: what is shown
    exact: Fraction | None = None  # the unrounded value the final score is computed from


_UNSCORED, _NOT_GRADED, _NOT_SUBMITTED = Cell(CellState.UNSCORED), Cell(CellState.NOT_GRADED), Cell(CellState.NOT_SUBMITTED)


@dataclass(frozen=True)
class AssessmentColumn:
    id: int
    title: str
    kind: str
    weight: Decimal
    aggregation: str
    best_n: int
    max_submissions: int = 1

    @property
    def counts(self) -> bool:
        """Whether the assessment counts towards the final score."""
        return self.weight > 0


@dataclass
class ResultRow:
    participant_id: int
    name: str
    email: str
    nip: str
    instansi: str
    unit: str
    jabatan: str
    golongan: str
    cells: dict[int, Cell]
    final: Decimal | None = None
    complete: bool = False
    predicate: str | None = None
    rank: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # plugin column key → value (None: nothing yet)

    @property
    def released(self) -> bool:
        """Whether any grade of this participant is released (their results sheet may be shown)."""
        return any(c.state in (CellState.SCORED, CellState.UNSCORED) for c in self.cells.values())


@dataclass
class ResultTable:
    cohort: Cohort
    assessments: list[AssessmentColumn]
    rows: list[ResultRow]
    columns: list[ResultColumn]  # plugin columns, in order
    generated_at: datetime
    ranked: int = 0  # participants of the whole cohort with a rank (the table may hold fewer rows)

    @property
    def weighted(self) -> list[AssessmentColumn]:
        return [a for a in self.assessments if a.counts]

    @property
    def total_weight(self) -> Decimal:
        return sum((a.weight for a in self.weighted), Decimal(0))

    @property
    def titles(self) -> dict[int, str]:
        return {a.id: a.title for a in self.assessments}

    @property
    def complete_rows(self) -> list[ResultRow]:
        return [r for r in self.rows if r.complete]


def _plugin_manager(app: Flask | None) -> Any:
    from lms.plugins.manager import get_plugin_manager

    return get_plugin_manager(app or current_app)


def plugin_columns(cohort: Cohort, participant_ids: list[int], app: Flask | None = None) -> list[ResultColumn]:
    """Every enabled plugin's result columns, called once for all participants, sorted by order.

    A malformed column (unknown kind, a key given twice) is a plugin bug and raises.
    """
    columns: list[ResultColumn] = []
    seen: set[str] = set()
    for contributed in _plugin_manager(app).hook.lms_result_columns(cohort=cohort, participant_ids=list(participant_ids)):
        for column in contributed or []:
            if not isinstance(column, ResultColumn):
                raise TypeError(f"lms_result_columns returned {column!r}, not a ResultColumn")
            if column.kind not in COLUMN_KINDS:
                raise ValueError(f"result column {column.key!r} has kind {column.kind!r}; expected one of {COLUMN_KINDS}")
            if column.key in seen:
                raise ValueError(f"result column {column.key!r} is contributed twice")
            seen.add(column.key)
            columns.append(column)
    return sorted(columns, key=lambda c: (c.order, c.key))


def _participants(session: Session, cohort_id: int) -> list[Any]:
    return list(session.execute(
        select(User.id, User.name, User.email, ParticipantProfile.nip, ParticipantProfile.instansi,
               ParticipantProfile.unit, ParticipantProfile.jabatan, ParticipantProfile.golongan)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        .order_by(User.name, User.id)
    ))


def _assessments(session: Session, cohort_id: int) -> list[AssessmentColumn]:
    """In the order of the cohort's timeline (by due time, undated last), as the assessments page."""
    rows = session.execute(
        select(Assessment.id, Assessment.title, Assessment.kind, Assessment.weight, Assessment.aggregation,
               Assessment.best_n, Assessment.max_submissions)
        .where(Assessment.cohort_id == cohort_id)
        .order_by(Assessment.due_at.is_(None), Assessment.due_at, Assessment.id)
    )
    return [AssessmentColumn(id=r.id, title=r.title, kind=r.kind, weight=Decimal(r.weight or 0),
                             aggregation=str(r.aggregation.value if hasattr(r.aggregation, "value") else r.aggregation),
                             best_n=r.best_n or 1, max_submissions=r.max_submissions or 1) for r in rows]


def _cells(session: Session, assessments: list[AssessmentColumn], people: set[int]) -> dict[int, dict[int, Cell]]:
    """Participant id → assessment id → cell, from one query over every submission and its grade."""
    ids = [a.id for a in assessments]
    released: dict[tuple[int, int], list[Decimal | None]] = {}
    handed_in: set[tuple[int, int]] = set()
    if ids:
        # Core execution: rows of plain values, without the ORM's per-row work (a row per submission).
        rows = session.connection().execute(
            select(Submission.assessment_id, Submission.participant_id, Submission.state, Grade.status, Grade.score)
            .outerjoin(Grade, Grade.submission_id == Submission.id)
            .where(Submission.assessment_id.in_(ids))
        )
        for assessment_id, participant_id, state, status, score in rows:
            key = (participant_id, assessment_id)
            if status == GradeStatus.RELEASED:
                released.setdefault(key, []).append(score)
            elif state == SubmissionState.SUBMITTED:
                handed_in.add(key)
    out: dict[int, dict[int, Cell]] = {}
    for pid in people:
        mine: dict[int, Cell] = {}
        for a in assessments:
            key = (pid, a.id)
            if key in released:
                scores = [s for s in released[key] if s is not None]
                value = exact_aggregate(a, scores) if scores else None
                mine[a.id] = Cell(CellState.SCORED, half_up(value), value) if value is not None else _UNSCORED
            elif key in handed_in:
                mine[a.id] = _NOT_GRADED
            else:
                mine[a.id] = _NOT_SUBMITTED
        out[pid] = mine
    return out


def final_score(assessments: Sequence[AssessmentColumn], cells: dict[int, Cell]) -> Decimal | None:
    """Σ wₐ·sₐ ÷ Σ wₐ over weighted assessments, half-up to 0.01; None unless each has a score.

    The sₐ are the exact assessment scores (not the rounded ones shown), so the final score is
    rounded once. None too when no assessment carries weight (there is nothing to rank on).
    """
    total = Fraction(0)
    earned = Fraction(0)
    for a in assessments:
        if not a.counts:
            continue
        cell = cells.get(a.id)
        if cell is None or cell.score is None:
            return None
        total += exact(a.weight)
        earned += exact(a.weight) * (cell.exact if cell.exact is not None else exact(cell.score))
    if total <= 0:
        return None
    return half_up(earned / total)


def rank_rows(rows: Iterable[ResultRow]) -> None:
    """Competition ranking (1, 2, 2, 4) by final score, highest first; incomplete rows get none."""
    ranked = sorted((r for r in rows if r.final is not None), key=lambda r: r.final, reverse=True)  # type: ignore[arg-type, return-value]
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        if row.final != previous:
            rank, previous = position, row.final
        row.rank = rank


def canonical_order(row: ResultRow) -> tuple[Any, ...]:
    """Ranked rows first by rank, then the rest; by name within."""
    return (row.rank is None, row.rank or 0, row.name.casefold(), row.participant_id)


def build_table(session: Session, cohort: Cohort, *, participant_ids: Iterable[int] | None = None,
                app: Flask | None = None) -> ResultTable:
    """The cohort's result table, ranked, in four queries plus the plugins' own (fixed) ones.

    ``participant_ids`` keeps only those rows (ranks are still computed over the whole cohort);
    plugins are always asked about the rows that are kept.
    """
    people = _participants(session, cohort.id)
    assessments = _assessments(session, cohort.id)
    ids = {p.id for p in people}
    cells = _cells(session, assessments, ids)
    bands = cohort.program.predicate_bands
    rows: list[ResultRow] = []
    for p in people:
        row = ResultRow(participant_id=p.id, name=p.name, email=p.email, nip=p.nip or "", instansi=p.instansi or "",
                        unit=p.unit or "", jabatan=p.jabatan or "", golongan=p.golongan or "", cells=cells[p.id])
        row.final = final_score(assessments, row.cells)
        row.complete = row.final is not None
        row.predicate = predicate_for(float(row.final), bands) if row.final is not None else None
        rows.append(row)
    rank_rows(rows)
    ranked = sum(1 for r in rows if r.rank is not None)
    if participant_ids is not None:
        keep = set(participant_ids)
        rows = [r for r in rows if r.participant_id in keep]
    rows.sort(key=canonical_order)
    columns = plugin_columns(cohort, [r.participant_id for r in rows], app)
    for row in rows:
        row.extra = {c.key: c.values.get(row.participant_id) for c in columns}
    return ResultTable(cohort=cohort, assessments=assessments, rows=rows, columns=columns, generated_at=utcnow(),
                       ranked=ranked)


# -- sorting the screen table --------------------------------------------------------------------

def sort_rows(table: ResultTable, key: str, descending: bool) -> list[ResultRow]:
    """Rows sorted by a column: a core key, ``a<assessment id>`` or ``c<plugin column key>``.

    Empty cells (not graded, incomplete, nothing yet) always go last, whatever the direction; an
    unknown key falls back to the canonical order.
    """
    getter: Callable[[ResultRow], Any] | None = None
    if key in ("name", "nip", "instansi", "jabatan", "predicate"):
        getter = lambda r: (getattr(r, key) or "").casefold() or None  # noqa: E731
    elif key == "golongan":
        from lms.core.civil_service import GOLONGAN

        order = {code: i for i, code in enumerate(GOLONGAN)}
        getter = lambda r: order.get(r.golongan)  # noqa: E731
    elif key == "final":
        getter = lambda r: r.final  # noqa: E731
    elif key == "rank":
        getter = lambda r: r.rank  # noqa: E731
    elif key.startswith("a") and key[1:].isascii() and key[1:].isdigit() and len(key) < 12 and any(a.id == int(key[1:]) for a in table.assessments):
        aid = int(key[1:])
        getter = lambda r: r.cells[aid].score  # noqa: E731
    elif key.startswith("c") and any(c.key == key[1:] for c in table.columns):
        ckey = key[1:]
        getter = lambda r: r.extra.get(ckey)  # noqa: E731
    if getter is None:
        return sorted(table.rows, key=canonical_order)
    present = [r for r in table.rows if getter(r) is not None]
    missing = [r for r in table.rows if getter(r) is None]
    present.sort(key=lambda r: (getter(r), canonical_order(r)), reverse=descending)
    missing.sort(key=canonical_order)
    return present + missing


# -- figures for the charts ----------------------------------------------------------------------

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
    return [Bin(label=f"{low}–{min(low + width, 100)}", low=low, high=min(low + width, 100), count=n)
            for low, n in zip(edges, counts, strict=True)]


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


def column_totals(table: ResultTable) -> list[tuple[ResultColumn, Decimal, int]]:
    """For each count column of a plugin: its total and how many participants have more than 0.

    With the benchmarking plugin's stage columns in order (identified, adopted or adapted,
    implemented) this is the cohort's adoption funnel.
    """
    out = []
    for column in table.columns:
        if column.kind != "number":
            continue
        values = [Decimal(str(r.extra.get(column.key))) for r in table.rows if r.extra.get(column.key) is not None]
        out.append((column, sum(values, Decimal(0)), sum(1 for v in values if v > 0)))
    return out


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


def criterion_averages(session: Session, table: ResultTable) -> dict[int, list[CriterionAverage]]:
    """Per assessment, each rubric criterion's average points over released grades (one query).

    Grades on an older rubric version keep their own criteria, listed with their version.
    """
    ids = [a.id for a in table.assessments]
    if not ids:
        return {}
    maximum = (select(Level.criterion_id.label("criterion_id"), func.max(Level.points).label("max_points"))
               .group_by(Level.criterion_id).subquery())
    rows = session.execute(
        select(Submission.assessment_id, Criterion.id, Criterion.title, Criterion.position, Rubric.version,
               maximum.c.max_points, func.sum(GradeCriterion.points), func.count(GradeCriterion.id))
        .select_from(GradeCriterion)
        .join(Grade, Grade.id == GradeCriterion.grade_id)
        .join(Submission, Submission.id == Grade.submission_id)
        .join(Criterion, Criterion.id == GradeCriterion.criterion_id)
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .outerjoin(maximum, maximum.c.criterion_id == Criterion.id)
        .where(Submission.assessment_id.in_(ids), Grade.status == GradeStatus.RELEASED,
               GradeCriterion.points.is_not(None))
        .group_by(Submission.assessment_id, Criterion.id, Criterion.title, Criterion.position, Rubric.version,
                  maximum.c.max_points)
    )
    out: dict[int, list[CriterionAverage]] = {}
    for aid, cid, title, position, version, max_points, total, graded in rows:
        out.setdefault(aid, []).append(CriterionAverage(
            assessment_id=aid, criterion_id=cid, title=title, rubric_version=version, position=position,
            average=half_up(exact(_decimal(total)) / graded), max_points=_decimal(max_points),
            graded=graded, total=_decimal(total)))
    for items in out.values():
        items.sort(key=lambda c: (-c.rubric_version, c.position, c.criterion_id))
    return out


# -- detail rows for the criteria sheet and the participants' sheets ------------------------------

class CriterionRow(NamedTuple):
    """A tuple, not a dataclass: a large export makes ~100,000 of them, and tuples are made in C."""

    participant_id: int
    assessment_id: int
    grade_id: int
    attempt: int
    criterion: str
    level: str | None
    points: float | None
    max_points: float | None
    comment: str
    grader: str | None
    graded_at: datetime | None  # the same object for every row of one grade


def criterion_rows(session: Session, table: ResultTable, participant_ids: Iterable[int] | None = None,
                   batch: int = 2000) -> Iterator[CriterionRow]:
    """One row per released grade × criterion, by participant name, assessment and criterion.

    Four queries: the cohort's criteria and levels, the graders, the grading times, and the rows
    themselves, streamed ``batch`` at a time so that a large cohort's sheet never sits in memory
    whole. The stream carries ids and numbers only; names come from the small lookups (per-row
    strings, decimals and dates cost more than the query). Rows of people who are no longer
    participants of the cohort are left out.
    """
    ids = [a.id for a in table.assessments]
    if not ids:
        return
    keep = set(participant_ids) if participant_ids is not None else {r.participant_id for r in table.rows}
    criteria: dict[int, tuple[str, float]] = {}
    levels: dict[int, str] = {}
    for cid, title, level_id, label, points in session.execute(
        select(Criterion.id, Criterion.title, Level.id, Level.label, type_coerce(Level.points, Float))
        .join(Rubric, Rubric.id == Criterion.rubric_id).outerjoin(Level, Level.criterion_id == Criterion.id)
        .where(Rubric.cohort_id == table.cohort.id)
    ):
        best = criteria.get(cid, (title, 0.0))[1]
        criteria[cid] = (title, max(best, points or 0.0))
        if level_id is not None:
            levels[level_id] = label
    released = (select(Grade.id).join(Submission, Submission.id == Grade.submission_id)
                .where(Submission.assessment_id.in_(ids), Grade.status == GradeStatus.RELEASED))
    if participant_ids is not None:
        released = released.where(Submission.participant_id.in_(list(keep)))
    graders = dict(session.execute(select(User.id, User.name).where(
        User.id.in_(select(Grade.grader_id).where(Grade.id.in_(released))))).all())
    graded_at = dict(session.execute(select(Grade.id, Grade.updated_at).where(Grade.id.in_(released))).all())
    participant = aliased(User)
    stmt = (
        select(Submission.participant_id, Submission.assessment_id, Grade.id, Submission.attempt,
               GradeCriterion.criterion_id, GradeCriterion.level_id, type_coerce(GradeCriterion.points, Float),
               GradeCriterion.comment, Grade.grader_id)
        .select_from(GradeCriterion)
        .join(Grade, Grade.id == GradeCriterion.grade_id)
        .join(Submission, Submission.id == Grade.submission_id)
        .join(Assessment, Assessment.id == Submission.assessment_id)
        .join(participant, participant.id == Submission.participant_id)
        .join(Criterion, Criterion.id == GradeCriterion.criterion_id)
        .where(Submission.assessment_id.in_(ids), Grade.status == GradeStatus.RELEASED)
        .order_by(participant.name, participant.id, Assessment.due_at.is_(None), Assessment.due_at, Assessment.id,
                  Submission.attempt, Criterion.position, Criterion.id)
    )
    if participant_ids is not None:
        stmt = stmt.where(Submission.participant_id.in_(list(keep)))
    # Core, not ORM, execution: plain rows of ids and numbers need none of the ORM's row handling.
    # On the statement, not the connection: Connection.execution_options() changes the session's
    # connection in place, and every later statement of the request (an INSERT) would then be sent
    # as a server-side cursor, which PostgreSQL refuses.
    result = session.connection().execute(stmt.execution_options(yield_per=batch))
    for pid, aid, grade_id, attempt, cid, level_id, points, comment, grader_id, in result:
        if pid not in keep:
            continue
        title, max_points = criteria.get(cid, ("", 0.0))
        yield CriterionRow(pid, aid, grade_id, attempt, title, levels.get(level_id) if level_id else None, points,
                           max_points, comment or "", graders.get(grader_id), graded_at.get(grade_id))


@dataclass(frozen=True, slots=True)
class Feedback:
    assessment_id: int
    attempt: int
    score: Decimal | None
    feedback: str
    released_at: datetime | None


def feedback_of(session: Session, table: ResultTable,
                participant_ids: Iterable[int] | None = None) -> dict[int, list[Feedback]]:
    """Released grades' feedback (Markdown) per participant of the table, or of ``participant_ids``,
    for the results sheets (one query)."""
    ids = [a.id for a in table.assessments]
    if not ids:
        return {}
    keep = set(participant_ids) if participant_ids is not None else {r.participant_id for r in table.rows}
    stmt = (
        select(Submission.participant_id, Submission.assessment_id, Submission.attempt, Grade.score, Grade.feedback,
               Grade.released_at)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(Submission.assessment_id.in_(ids), Grade.status == GradeStatus.RELEASED)
        .order_by(Submission.participant_id, Submission.assessment_id, Submission.attempt)
    )
    if participant_ids is not None:
        stmt = stmt.where(Submission.participant_id.in_(list(keep)))
    out: dict[int, list[Feedback]] = {}
    for pid, aid, attempt, score, feedback, released_at in session.execute(stmt):
        if pid in keep:
            out.setdefault(pid, []).append(Feedback(aid, attempt, None if score is None else Decimal(score),
                                                    feedback or "", released_at))
    order = {a.id: i for i, a in enumerate(table.assessments)}
    for items in out.values():
        items.sort(key=lambda f: (order.get(f.assessment_id, 0), f.attempt))
    return out


# -- extra XLSX sheets ---------------------------------------------------------------------------

ExtraSheet = ResultSheet  # the name the exports use


def extra_sheets(session: Session, table: ResultTable, app: Flask | None = None) -> list[ResultSheet]:
    """Sheets enabled plugins add to the XLSX export, through the batched ``lms_result_sheets`` hook."""
    from lms.plugins.manager import get_plugin_manager

    app = app or current_app
    ids = [r.participant_id for r in table.rows]
    sheets: list[ResultSheet] = []
    for contributed in get_plugin_manager(app).hook.lms_result_sheets(cohort=table.cohort, participant_ids=ids):
        sheets.extend(contributed or [])
    return sorted(sheets, key=lambda s: s.order)
