"""The final result of each peserta: component scores, the final score, predikat and outcome.

The rules (docs/results.md says the same for people):

- A cohort's **definition** is the version pinned to it (:class:`~lms.results.models.CohortScheme`),
  or, while none is pinned, its program's newest. Without any definition the cohort has one implicit
  component, *Assessments* (weight 100): the weighted mean of its assessments, as before components.
- A **component** built from the cohort's *work* is Σ w·s ÷ Σ w over the assessments and score
  sheets tagged with its key (w: the assessment's or sheet's weight; a plain mean when every weight
  is 0). One built from a plugin *source* is the mean of the plugin's score columns naming it.
  A component lacking any of its scores has no score: its peserta are pending, never given 0.
- **Final score** = Σ w_c·s_c ÷ Σ w_c over the components (the weights sum to 100), computed
  exactly from unrounded component scores and rounded once, half-up, to 0.01.
- **Minimums** compare with the two-place scores people see (a component shown as 70,00 meets a
  minimum of 70).
- **Outcome**: *tidak lulus* when a disciplinary decision stands, a scored component is under its
  minimum, attendance is under the program's minimum, or the final score is under the definition's
  pass minimum; otherwise *ditunda* while a component lacks a score, an extension is open or the
  attendance is not recorded; otherwise *lulus*.

Everything is gathered in a fixed number of queries for the whole cohort.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessments.models import Extension
from lms.attendance.services import attendance_totals
from lms.cohorts.models import Cohort, CohortStatus
from lms.core.numbers import format_score
from lms.core.predicates import predicate_for
from lms.core.scores import exact, half_up
from lms.results.models import (
    WORK_SOURCE,
    CohortScheme,
    DisciplinaryDecision,
    ResultScheme,
    WorkComponent,
)
from lms.scoresheets import scoring as sheets
from lms.scoresheets.models import ScoreSheet

if TYPE_CHECKING:
    from lms.plugins.types import ResultColumn

LULUS, TIDAK_LULUS, DITUNDA = "lulus", "tidak_lulus", "ditunda"
STATUSES = (LULUS, TIDAK_LULUS, DITUNDA)
STATUS_LABELS = {LULUS: _l("Lulus"), TIDAK_LULUS: _l("Tidak lulus"), DITUNDA: _l("Ditunda")}
IMPLICIT_KEY = "assessments"


class CellLike(Protocol):
    # Read-only members: the result table's cells are named tuples.
    @property
    def state(self) -> Any: ...
    @property
    def score(self) -> Decimal | None: ...
    @property
    def exact(self) -> Fraction | None: ...


class AssessmentLike(Protocol):
    # Read-only members: the result table's assessment columns are frozen dataclasses.
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def weight(self) -> Decimal: ...


@dataclass(frozen=True)
class ComponentDef:
    """A component as the computation needs it (the stored one, or the implicit one)."""

    key: str
    name: str
    weight: Decimal
    minimum: Decimal | None = None
    source: str = WORK_SOURCE


@dataclass(frozen=True)
class ComponentScore:
    key: str
    name: str
    weight: Decimal
    minimum: Decimal | None
    score: Decimal | None  # two places, rounded once; None while anything is missing
    exact: Fraction | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": str(self.weight), "score": None if self.score is None else str(self.score)}


@dataclass(frozen=True)
class Reason:
    code: str  # decision | component_minimum | attendance_minimum | final_minimum | ungraded | extension | attendance_missing
    text: str
    # What the text is worded from, in plain JSON values (stored with the result and worded again
    # in the reader's language): component key, scores as text, the assessment id, the decision.
    values: dict[str, Any] = field(default_factory=dict)


def reason_text(code: str, values: Mapping[str, Any], names: Mapping[str, str], titles: Mapping[int, Any]) -> str:
    """The words of one reason from its code and values (``names``: component key → name,
    ``titles``: assessment id → title), in the current language."""
    if code == "ungraded":
        return _(
            "%(component)s: not every score is in yet.", component=names.get(values["component"], values["component"])
        )
    if code == "component_minimum":
        return _(
            "%(component)s: %(score)s is under the minimum of %(minimum)s.",
            component=names.get(values["component"], values["component"]),
            score=format_score(Decimal(values["score"])),
            minimum=format_score(Decimal(values["minimum"])),
        )
    if code == "final_minimum":
        return _(
            "The final score %(score)s is under the minimum of %(minimum)s.",
            score=format_score(Decimal(values["score"])),
            minimum=format_score(Decimal(values["minimum"])),
        )
    if code == "decision":
        return _("Disciplinary decision: %(reason)s", reason=values["reason"])
    if code == "attendance_missing":
        return _("Attendance is not recorded yet.")
    if code == "attendance_minimum":
        return _(
            "Attendance %(percent)s%% is under the minimum of %(minimum)s%%.",
            percent=format_score(Decimal(values["percent"])),
            minimum=format_score(Decimal(values["minimum"])),
        )
    if code == "extension":
        return _("An extension is open for %(title)s.", title=titles.get(values["assessment"], ""))
    raise ValueError(f"unknown result reason {code!r}")


@dataclass(frozen=True)
class Outcome:
    """One peserta's result. ``status`` is one of :data:`STATUSES`; ``reasons`` say why it is not
    *lulus* (people's words, in the current language); ``codes`` are the same reasons for machines."""

    status: str
    reasons: list[str]
    final_score: Decimal | None
    predikat: str | None
    components: list[ComponentScore]
    attendance_percent: Decimal | None = None
    codes: list[str] = field(default_factory=list)
    # The reasons as (code, values): what a stored result keeps (lms.results.models.ParticipantResult).
    facts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # The first open extension's cut-off: the outcome changes then without any write.
    changes_at: datetime | None = None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Context:
    """Everything the outcomes of one cohort are computed from, gathered once."""

    scheme: ResultScheme | None
    components: list[ComponentDef]
    pass_minimum: Decimal | None
    bands: list[Any]
    assessments: dict[int, AssessmentLike]
    work: dict[str, list[int]]  # component key → assessment ids
    sheets: dict[str, list[ScoreSheet]]  # component key → sheets
    sheet_scores: dict[int, dict[int, Fraction | None]]  # sheet id → participant id → score
    plugin_values: dict[str, dict[int, list[Any]]]  # source key → participant id → column values
    extensions: dict[int, list[tuple[int, datetime]]]  # participant id → (assessment id, cut-off)
    decisions: dict[int, list[str]]  # participant id → reasons
    attendance: Mapping[int, Any] = field(default_factory=dict)  # participant id → AttendanceTotal
    attendance_minimum: Decimal | None = None

    @property
    def uses_plugins(self) -> bool:
        return any(c.source != WORK_SOURCE for c in self.components)


# -- which definition a cohort uses ---------------------------------------------------------------


def latest_scheme(session: Session, program_id: int) -> ResultScheme | None:
    return session.scalar(
        select(ResultScheme).where(ResultScheme.program_id == program_id).order_by(ResultScheme.version.desc()).limit(1)
    )


def pinned(session: Session, cohort: Cohort) -> CohortScheme | None:
    return session.get(CohortScheme, cohort.id)


def scheme_for(session: Session, cohort: Cohort) -> ResultScheme | None:
    """The version pinned to the cohort, else (a cohort not pinned yet) its program's newest."""
    pin = pinned(session, cohort)
    if pin is not None:
        return pin.scheme
    return latest_scheme(session, cohort.program_id)


def is_started(cohort: Cohort) -> bool:
    return cohort.status != CohortStatus.PLANNED


def component_defs(scheme: ResultScheme | None) -> list[ComponentDef]:
    if scheme is None or not scheme.components:
        return [ComponentDef(IMPLICIT_KEY, str(_l("Assessments")), Decimal(100))]
    return [
        ComponentDef(c.key, c.name, Decimal(c.weight), None if c.minimum is None else Decimal(c.minimum), c.source)
        for c in scheme.components
    ]


# -- gathering -----------------------------------------------------------------------------------


def gather(
    session: Session,
    cohort: Cohort,
    assessments: Sequence[AssessmentLike],
    participant_ids: Iterable[int],
    columns: Sequence[ResultColumn],
    now: datetime,
) -> Context:
    """The cohort's definition, tags, sheet scores, open extensions, decisions and attendance
    (a fixed number of queries)."""
    scheme = scheme_for(session, cohort)
    defs = component_defs(scheme)
    people = set(participant_ids)
    by_id = {a.id: a for a in assessments}
    work: dict[str, list[int]] = {}
    if scheme is None or not scheme.components:
        work[IMPLICIT_KEY] = [a.id for a in assessments if a.weight > 0]
    elif by_id:
        for aid, key in session.execute(
            select(WorkComponent.assessment_id, WorkComponent.component_key).where(
                WorkComponent.assessment_id.in_(list(by_id))
            )
        ):
            work.setdefault(key, []).append(aid)
    tagged = [a for ids in work.values() for a in ids]
    sheet_rows = (
        []
        if scheme is None or not scheme.components
        else list(
            session.scalars(
                select(ScoreSheet)
                .where(ScoreSheet.cohort_id == cohort.id, ScoreSheet.component_key != "")
                .order_by(ScoreSheet.id)
            )
        )
    )
    by_key: dict[str, list[ScoreSheet]] = {}
    for sheet in sheet_rows:
        by_key.setdefault(sheet.component_key, []).append(sheet)
    plugin_values: dict[str, dict[int, list[Any]]] = {}
    for column in columns:
        if column.source:
            values = plugin_values.setdefault(column.source, {})
            for pid in people:
                values.setdefault(pid, []).append(column.values.get(pid))
    extensions: dict[int, list[tuple[int, datetime]]] = {}
    if tagged:
        for aid, pid, cutoff in session.execute(
            select(Extension.assessment_id, Extension.participant_id, Extension.cutoff_at).where(
                Extension.assessment_id.in_(tagged), Extension.cutoff_at > now
            )
        ):
            extensions.setdefault(pid, []).append((aid, cutoff))
    decisions: dict[int, list[str]] = {}
    for pid, reason in session.execute(
        select(DisciplinaryDecision.participant_id, DisciplinaryDecision.reason)
        .where(DisciplinaryDecision.cohort_id == cohort.id, DisciplinaryDecision.withdrawn_at.is_(None))
        .order_by(DisciplinaryDecision.decided_at, DisciplinaryDecision.id)
    ):
        decisions.setdefault(pid, []).append(reason)
    return Context(
        scheme=scheme,
        components=defs,
        pass_minimum=None if scheme is None or scheme.pass_minimum is None else Decimal(scheme.pass_minimum),
        bands=cohort.program.predicate_bands,
        assessments=by_id,
        work=work,
        sheets=by_key,
        sheet_scores=sheets.sheet_scores(session, sheet_rows, people),
        plugin_values=plugin_values,
        extensions=extensions,
        decisions=decisions,
        attendance=attendance_totals(session, cohort),
        attendance_minimum=None
        if cohort.program.attendance_minimum is None
        else Decimal(cohort.program.attendance_minimum),
    )


# -- computing -----------------------------------------------------------------------------------


def _weighted(items: list[tuple[Decimal, Fraction]]) -> Fraction:
    total = sum((exact(w) for w, _s in items), Fraction(0))
    if total <= 0:
        return sum((s for _w, s in items), Fraction(0)) / len(items)
    return sum((exact(w) * s for w, s in items), Fraction(0)) / total


def _work_score(ctx: Context, key: str, pid: int, cells: Mapping[int, CellLike]) -> Fraction | None:
    items: list[tuple[Decimal, Fraction]] = []
    for aid in ctx.work.get(key, []):
        cell = cells.get(aid)
        if cell is None or cell.score is None:
            return None
        items.append((ctx.assessments[aid].weight, cell.exact if cell.exact is not None else exact(cell.score)))
    for sheet in ctx.sheets.get(key, []):
        value = ctx.sheet_scores.get(sheet.id, {}).get(pid)
        if value is None:
            return None
        items.append((Decimal(sheet.weight), value))
    return _weighted(items) if items else None


def _plugin_score(ctx: Context, source: str, pid: int) -> Fraction | None:
    values = ctx.plugin_values.get(source, {}).get(pid)
    if not values or any(v is None for v in values):
        return None
    return sum((exact(v) for v in values), Fraction(0)) / len(values)


def outcome_of(ctx: Context, pid: int, cells: Mapping[int, CellLike]) -> Outcome:
    """One peserta's outcome from the gathered context and their assessment cells."""
    names = {c.key: c.name for c in ctx.components}
    titles = {aid: a.title for aid, a in ctx.assessments.items()}

    def reason(code: str, **values: Any) -> Reason:
        return Reason(code, reason_text(code, values, names, titles), values)

    scores: list[ComponentScore] = []
    fails: list[Reason] = []
    pending: list[Reason] = []
    for c in ctx.components:
        value = _plugin_score(ctx, c.source, pid) if c.source != WORK_SOURCE else _work_score(ctx, c.key, pid, cells)
        shown = None if value is None else half_up(value)
        scores.append(ComponentScore(c.key, c.name, c.weight, c.minimum, shown, value))
        if shown is None:
            pending.append(reason("ungraded", component=c.key))
        elif c.minimum is not None and shown < c.minimum:
            fails.append(reason("component_minimum", component=c.key, score=str(shown), minimum=str(c.minimum)))
    final: Decimal | None = None
    if all(s.exact is not None for s in scores):
        total = sum((exact(s.weight) for s in scores), Fraction(0))
        if total > 0:
            final = half_up(
                sum((exact(s.weight) * s.exact for s in scores if s.exact is not None), Fraction(0)) / total
            )
    if final is not None and ctx.pass_minimum is not None and final < ctx.pass_minimum:
        fails.append(reason("final_minimum", score=str(final), minimum=str(ctx.pass_minimum)))
    for text in ctx.decisions.get(pid, []):
        fails.append(reason("decision", reason=text))
    percent: Decimal | None = None
    total_row = ctx.attendance.get(pid)
    if total_row is not None:
        percent = total_row.percent
    if ctx.attendance_minimum is not None:
        if percent is None:
            pending.append(reason("attendance_missing"))
        elif percent < ctx.attendance_minimum:
            fails.append(reason("attendance_minimum", percent=str(percent), minimum=str(ctx.attendance_minimum)))
    cutoffs = []
    for aid, cutoff in ctx.extensions.get(pid, []):
        pending.append(reason("extension", assessment=aid))
        cutoffs.append(cutoff)
    if fails:
        status, reasons = TIDAK_LULUS, fails
    elif pending:
        status, reasons = DITUNDA, pending
    else:
        status, reasons = LULUS, []
    predikat = predicate_for(float(final), ctx.bands) if final is not None else None
    return Outcome(
        status=status,
        reasons=[r.text for r in reasons],
        final_score=final,
        predikat=predikat,
        components=scores,
        attendance_percent=percent,
        codes=[r.code for r in reasons],
        facts=[(r.code, r.values) for r in reasons],
        changes_at=min(cutoffs) if cutoffs else None,
    )
