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

Every function here runs a fixed number of queries whatever the cohort size. The figures for the
charts are in :mod:`lms.results.charts`, the screen's sorting in :mod:`lms.results.sorting`, the
exports' detail rows in :mod:`lms.results.details` and the plugins' sheets in
:mod:`lms.results.sheets`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.certificates.services import issued_by_participant, verify_url
from lms.cohorts.models import Cohort, Membership, Role
from lms.core.scores import exact, half_up
from lms.db import utcnow
from lms.grading.models import Grade, GradeStatus
from lms.grading.services import exact_aggregate
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultColumn
from lms.results import components
from lms.results.models import WORK_SOURCE
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


_UNSCORED, _NOT_GRADED, _NOT_SUBMITTED = (
    Cell(CellState.UNSCORED),
    Cell(CellState.NOT_GRADED),
    Cell(CellState.NOT_SUBMITTED),
)


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


@dataclass(frozen=True, slots=True)
class CertificateRef:
    """A peserta's issued, unrevoked certificate as results show it (lms.certificates numbers it)."""

    number: str
    verify_url: str


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
    outcome: components.Outcome | None = None  # components, final score, predikat, lulus / tidak lulus / ditunda
    certificate: CertificateRef | None = None  # the valid certificate, once issued (lulus only)

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
    # The program's result components the cohort uses (empty: no definition, the assessments' weights decide).
    components: list[components.ComponentDef] = field(default_factory=list)
    definition_version: int | None = None
    attendance_minimum: Decimal | None = None

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
    return get_plugin_manager(app or current_app)


def plugin_columns(cohort: Cohort, participant_ids: list[int], app: Flask | None = None) -> list[ResultColumn]:
    """Every enabled plugin's result columns, called once for all participants, sorted by order.

    A malformed column (unknown kind, a key given twice) is a plugin bug and raises.
    """
    columns: list[ResultColumn] = []
    seen: set[str] = set()
    for contributed in _plugin_manager(app).hook.lms_result_columns(
        cohort=cohort, participant_ids=list(participant_ids)
    ):
        for column in contributed or []:
            if not isinstance(column, ResultColumn):
                raise TypeError(f"lms_result_columns returned {column!r}, not a ResultColumn")
            if column.kind not in COLUMN_KINDS:
                raise ValueError(
                    f"result column {column.key!r} has kind {column.kind!r}; expected one of {COLUMN_KINDS}"
                )
            if column.key in seen:
                raise ValueError(f"result column {column.key!r} is contributed twice")
            seen.add(column.key)
            columns.append(column)
    return sorted(columns, key=lambda c: (c.order, c.key))


def _participants(session: Session, cohort_id: int, only: Iterable[int] | None = None) -> list[Any]:
    stmt = (
        select(
            User.id,
            User.name,
            User.email,
            ParticipantProfile.nip,
            ParticipantProfile.instansi,
            ParticipantProfile.unit,
            ParticipantProfile.jabatan,
            ParticipantProfile.golongan,
        )
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        .order_by(User.name, User.id)
    )
    if only is not None:
        stmt = stmt.where(User.id.in_(sorted(set(only))))
    return list(session.execute(stmt))


def _assessments(session: Session, cohort_id: int) -> list[AssessmentColumn]:
    """In the order of the cohort's timeline (by due time, undated last), as the assessments page."""
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.title,
            Assessment.kind,
            Assessment.weight,
            Assessment.aggregation,
            Assessment.best_n,
            Assessment.max_submissions,
        )
        .where(Assessment.cohort_id == cohort_id)
        .order_by(Assessment.due_at.is_(None), Assessment.due_at, Assessment.id)
    )
    return [
        AssessmentColumn(
            id=r.id,
            title=r.title,
            kind=r.kind,
            weight=Decimal(r.weight or 0),
            aggregation=str(r.aggregation.value if hasattr(r.aggregation, "value") else r.aggregation),
            best_n=r.best_n or 1,
            max_submissions=r.max_submissions or 1,
        )
        for r in rows
    ]


def _cells(
    session: Session, assessments: list[AssessmentColumn], people: set[int], some: bool = False
) -> dict[int, dict[int, Cell]]:
    """Participant id → assessment id → cell, from one query over every submission and its grade."""
    ids = [a.id for a in assessments]
    released: dict[tuple[int, int], list[Decimal | None]] = {}
    handed_in: set[tuple[int, int]] = set()
    if ids:
        # Core execution: rows of plain values, without the ORM's per-row work (a row per submission).
        stmt = (
            select(Submission.assessment_id, Submission.participant_id, Submission.state, Grade.status, Grade.score)
            .outerjoin(Grade, Grade.submission_id == Submission.id)
            .where(Submission.assessment_id.in_(ids))
        )
        if some:
            stmt = stmt.where(Submission.participant_id.in_(sorted(people)))
        rows = session.connection().execute(stmt)
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
                if len(scores) == 1 and isinstance(scores[0], Decimal) and scores[0] == (shown := half_up(scores[0])):
                    # One two-place score is its own mean and best: no fraction to build (most cells).
                    mine[a.id] = Cell(CellState.SCORED, shown, None)
                    continue
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
    # Sums of products of two exact decimals are exact decimals; fractions only where a cell's
    # score is itself one (a mean of several grades), and for the one division.
    total = Decimal(0)
    earned_decimal = Decimal(0)
    earned_fraction = Fraction(0)
    for a in assessments:
        if not a.counts:
            continue
        cell = cells.get(a.id)
        if cell is None or cell.score is None:
            return None
        total += a.weight
        if cell.exact is None:
            earned_decimal += a.weight * cell.score
        else:
            earned_fraction += exact(a.weight) * cell.exact
    if total <= 0:
        return None
    return half_up((exact(earned_decimal) + earned_fraction) / exact(total))


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


def score_rows(
    session: Session, cohort: Cohort, app: Flask | None = None, participant_ids: Iterable[int] | None = None
) -> tuple[ResultTable, bool]:
    """The whole cohort's table: every participant's row with cells, outcome, final score, predikat
    and rank, in the canonical order, in a fixed number of queries; and whether the plugins' columns
    are in it.

    The final score, predikat and outcome come from the cohort's result components
    (:mod:`lms.results.components`). When a component is built from a plugin's scores the plugins
    are asked here about every participant and each row's ``extra`` is filled (True); otherwise the
    table has no plugin columns (False) and the caller asks the plugins about the rows it keeps
    (:func:`add_plugin_columns`): a page asks about its own rows only.

    This is the computation of record: :func:`lms.results.services.refresh_results` stores what it
    gives (``participant_ids``: only those peserta, whose ranks then mean nothing), and every reader
    reads the stored rows.
    """
    people = _participants(session, cohort.id, participant_ids)
    assessments = _assessments(session, cohort.id)
    ids = {p.id for p in people}
    cells = _cells(session, assessments, ids, some=participant_ids is not None)
    scheme = components.scheme_for(session, cohort)
    uses_plugins = any(c.source != WORK_SOURCE for c in components.component_defs(scheme))
    columns = plugin_columns(cohort, sorted(ids), app) if uses_plugins else []
    context = components.gather(session, cohort, assessments, ids, columns, utcnow())
    rows: list[ResultRow] = []
    for p in people:
        row = ResultRow(
            participant_id=p.id,
            name=p.name,
            email=p.email,
            nip=p.nip or "",
            instansi=p.instansi or "",
            unit=p.unit or "",
            jabatan=p.jabatan or "",
            golongan=p.golongan or "",
            cells=cells[p.id],
        )
        row.outcome = components.outcome_of(context, p.id, row.cells)
        row.final = row.outcome.final_score
        row.complete = row.final is not None
        row.predicate = row.outcome.predikat
        if uses_plugins:
            row.extra = {c.key: c.values.get(p.id) for c in columns}
        rows.append(row)
    rank_rows(rows)
    rows.sort(key=canonical_order)
    certificates = issued_by_participant(session, cohort)
    for row in rows:
        issued = certificates.get(row.participant_id)
        if issued is not None:
            row.certificate = CertificateRef(issued.number, verify_url(issued))
    table = ResultTable(
        cohort=cohort,
        assessments=assessments,
        rows=rows,
        columns=columns,
        generated_at=utcnow(),
        ranked=sum(1 for r in rows if r.rank is not None),
        components=context.components if scheme is not None else [],
        definition_version=scheme.version if scheme is not None else None,
        attendance_minimum=context.attendance_minimum,
    )
    return table, uses_plugins


def add_plugin_columns(cohort: Cohort, rows: Sequence[ResultRow], app: Flask | None = None) -> list[ResultColumn]:
    """Ask the enabled plugins once about ``rows`` and fill each row's ``extra``."""
    columns = plugin_columns(cohort, [r.participant_id for r in rows], app)
    for row in rows:
        row.extra = {c.key: c.values.get(row.participant_id) for c in columns}
    return columns


def build_table(
    session: Session, cohort: Cohort, *, participant_ids: Iterable[int] | None = None, app: Flask | None = None
) -> ResultTable:
    """The cohort's result table, ranked (:func:`score_rows`), with the plugins' columns.

    ``participant_ids`` keeps only those rows (ranks are still computed over the whole cohort);
    plugins are asked about the rows that are kept, or about every participant when a component is
    built from a plugin's scores.
    """
    table, asked = score_rows(session, cohort, app)
    if participant_ids is not None:
        keep = set(participant_ids)
        table.rows = [r for r in table.rows if r.participant_id in keep]
    if not asked:
        table.columns = add_plugin_columns(cohort, table.rows, app)
    return table
