"""Stored results: every peserta's computed result kept in ``participant_results`` and rewritten
when one of its inputs changes.

Why stored: a page of 50 of 3,000, a peserta's rank or a streamed export must not compute the
whole cohort first (issue 13). The computation stays the one in :func:`lms.results.table.score_rows`
(the only place the formula lives); :func:`refresh_results` stores what it gives, and the readers
(:mod:`lms.results.stored`) are queries over the stored rows, ranked by a window function.

When: a listener on every flush notes which (cohort, peserta) pairs an added, changed or deleted
row touches — grades, submissions, extensions, assessments (weights, aggregation), the result
definition and its tags, score sheets and their entries, attendance, disciplinary decisions,
memberships, the program's bands and minimums, and the plugins' models (``lms_result_inputs``).
The rows are rewritten **inside the same transaction**, just before it commits, so that a committed
input never sits beside an old result (no window in which another node reads a stale rank, and a
failure rolls both back), and a reader in the same transaction (a test, a page after a form)
refreshes what is still pending before it reads. One peserta's change rewrites their row only (the
rank is computed at read time, so the others stay valid). A change for a whole large cohort (a
definition re-applied) marks its rows stale and queues the ``results.refresh`` task; until it has
run, the first reader recomputes the stale rows itself. Rows whose outcome changes with time alone
(an open extension's cut-off) carry ``stale_at`` and are recomputed by the first reader after it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, delete, event, inspect, or_, select, text, update
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Extension, Submission
from lms.attendance.models import AttendanceRecord, ClassSession
from lms.certificates.models import Certificate, CertificateEvent
from lms.cohorts.models import Cohort, Membership, Program, Role
from lms.cohorts.services import participant_count
from lms.db import upsert, utcnow
from lms.grading.models import Grade
from lms.jobs.queue import TaskRun, enqueue, task
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultInput
from lms.results.models import (
    CohortFigures,
    CohortScheme,
    DisciplinaryDecision,
    ParticipantResult,
    ParticipantResultCell,
    ResultComponent,
    ResultScheme,
    WorkComponent,
)
from lms.results.table import CellState, ResultRow, score_rows
from lms.scoresheets.models import ScoreSheet, SheetCriterion, SheetEntry
from lms.users.models import ParticipantProfile, User

log = logging.getLogger("lms.results")

_STALE = "lms.results.stale"  # session.info: cohort id → participant ids, or None for all of them
_SHOWN = "lms.results.shown"  # session.info: cohorts whose shown results changed, no score among them
# A whole-cohort change of a cohort larger than this is left to the task (and the first reader).
INLINE_COHORT = 500
BATCH = 1000  # rows per INSERT statement

Stale = dict[int, set[int] | None]


# -- writing -------------------------------------------------------------------------------------


def _upsert(session: Session, model: Any, index: list[str], rows: list[dict[str, Any]]) -> None:
    """INSERT … VALUES (…), (…) … ON CONFLICT DO UPDATE, many rows per statement (one round trip
    per batch, not per row); two refreshes at once never fail on the key: the later one wins, and
    each wrote the same computation."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    names = [c.name for c in model.__table__.columns]
    # PostgreSQL takes 65,535 parameters per statement; SQLite builds may take only 999.
    per = max(1, (30000 if dialect == "postgresql" else 900) // len(names))
    for start in range(0, len(rows), per):
        stmt = upsert(session, model).values(rows[start : start + per])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=index, set_={c: stmt.excluded[c] for c in names if c not in index}
            )
        )


def _stored(row: ResultRow) -> dict[str, Any]:
    outcome = row.outcome
    assert outcome is not None  # score_rows gives every row its outcome
    return {
        "cohort_id": 0,  # set by the caller
        "participant_id": row.participant_id,
        "final": row.final,
        "predicate": row.predicate,
        "status": outcome.status,
        "attendance_percent": outcome.attendance_percent,
        "released": row.released,
        "components": {c.key: None if c.score is None else str(c.score) for c in outcome.components},
        "reasons": [[code, values] for code, values in outcome.facts],
        "stale_at": outcome.changes_at,
        "updated_at": utcnow(),
    }


def refresh_results(
    session: Session, cohort_id: int, participant_ids: Iterable[int] | None = None, app: Flask | None = None
) -> int:
    """Compute the results of ``participant_ids`` of the cohort (all of them: None) again with
    :func:`lms.results.table.score_rows` and store them; rows of people who are no longer peserta
    go. Returns the rows written. Flushes, never commits; needs an app (the plugins' columns).
    """
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        return 0
    some = None if participant_ids is None else sorted(set(participant_ids))
    if some is not None and not some:
        return 0
    table, _asked = score_rows(session, cohort, app, participant_ids=some)
    now = utcnow()
    results: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    for row in table.rows:
        values = _stored(row)
        values["cohort_id"] = cohort_id
        results.append(values)
        for aid, cell in row.cells.items():
            cells.append(
                {
                    "cohort_id": cohort_id,
                    "participant_id": row.participant_id,
                    "assessment_id": aid,
                    "state": str(cell.state),
                    "score": cell.score,
                }
            )
    kept = {r["participant_id"] for r in results}
    gone = (
        select(ParticipantResult.participant_id).where(ParticipantResult.cohort_id == cohort_id)
        if some is None
        else select(ParticipantResult.participant_id).where(
            ParticipantResult.cohort_id == cohort_id, ParticipantResult.participant_id.in_(some)
        )
    )
    leaving = [pid for pid in session.scalars(gone) if pid not in kept]
    for start in range(0, len(leaving), BATCH):
        chunk = leaving[start : start + BATCH]
        session.execute(
            delete(ParticipantResultCell).where(
                ParticipantResultCell.cohort_id == cohort_id, ParticipantResultCell.participant_id.in_(chunk)
            )
        )
        session.execute(
            delete(ParticipantResult).where(
                ParticipantResult.cohort_id == cohort_id, ParticipantResult.participant_id.in_(chunk)
            )
        )
    # Cells of assessments that no longer exist go with their assessment (ON DELETE CASCADE);
    # every other cell of these rows is written below.
    _upsert(session, ParticipantResult, ["cohort_id", "participant_id"], results)
    _upsert(session, ParticipantResultCell, ["cohort_id", "participant_id", "assessment_id"], cells)
    new_generation(session, cohort_id)
    if some is None and len(results) > INLINE_COHORT and session.get_bind().dialect.name == "postgresql":
        # Thousands of rows written at once (a large cohort's refresh, the first backfill): the
        # planner's statistics of an empty or small table would plan the readers' joins for a few
        # rows (an export of 3,000 took 10 s instead of 0.4 s) until autovacuum gets to the table.
        session.execute(text("ANALYZE participant_results, participant_result_cells"))
    log.debug("results of cohort %s refreshed: %s rows at %s", cohort_id, len(results), now)
    return len(results)


def mark_stale(session: Session, cohort_id: int, participant_ids: Iterable[int] | None = None) -> None:
    """Note that results of the cohort (of ``participant_ids``; all: None) must be computed again:
    before this session commits, or by the first reader. For changes the listener cannot see (a
    bulk UPDATE, a plugin's own bookkeeping)."""
    pending: Stale = session.info.setdefault(_STALE, {})
    if participant_ids is None:
        pending[cohort_id] = None
        return
    known = pending.get(cohort_id, set())
    if known is None:
        return
    pending[cohort_id] = known | set(participant_ids)


def mark_shown(session: Session, cohort_ids: Iterable[int]) -> None:
    """Note that what the cohorts' results show changed, though no score did (a name, a
    certificate, a plugin's practices): their generation moves on before this session commits, and
    nothing is computed again."""
    session.info.setdefault(_SHOWN, set()).update(cohort_ids)


def pending(session: Session) -> Stale:
    return dict(session.info.get(_STALE, {}))


def _app(app: Flask | None) -> Flask | None:
    if app is not None:
        return app
    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


def apply_pending(
    session: Session, cohort_id: int | None = None, app: Flask | None = None, *, defer_large: bool = False
) -> None:
    """Refresh what this session marked stale (only ``cohort_id``'s, if given). With
    ``defer_large`` a whole large cohort is marked stale in the table and queued instead."""
    app = _app(app)
    for _round in range(3):  # a refresh may flush pending objects, which may mark more
        if session.dirty or session.new or session.deleted:
            session.flush()
        shown: set[int] = session.info.get(_SHOWN, set())
        due = sorted(c for c in shown if cohort_id is None or c == cohort_id)
        if due:
            shown.difference_update(due)
            # One query for the cohorts that still exist (a host's rename reaches many at once).
            for cid in session.scalars(select(Cohort.id).where(Cohort.id.in_(due)).order_by(Cohort.id)):
                new_generation(session, cid)
        stale: Stale = session.info.get(_STALE, {})
        todo = [c for c in list(stale) if cohort_id is None or c == cohort_id]
        if not todo:
            return
        for cid in todo:
            ids = stale.pop(cid)
            if app is None:
                _invalidate(session, cid, ids)
            elif ids is None and defer_large and participant_count(session, cid) > INLINE_COHORT:
                _invalidate(session, cid, None)
                enqueue(session, "results.refresh", cohort_id=cid)
            else:
                refresh_results(session, cid, ids, app)


def _invalidate(session: Session, cohort_id: int, participant_ids: set[int] | None) -> None:
    """Mark stored rows stale (a reader computes them again): where no app is at hand, or a large
    cohort waits for its task."""
    stmt = update(ParticipantResult).where(ParticipantResult.cohort_id == cohort_id).values(stale_at=utcnow())
    if participant_ids is not None:
        stmt = stmt.where(ParticipantResult.participant_id.in_(sorted(participant_ids)))
    session.execute(stmt, execution_options={"synchronize_session": False})
    if session.get(Cohort, cohort_id) is not None:
        new_generation(session, cohort_id)


def generation_token() -> int:
    """A new generation: random (62 bits), not a count, so that a generation names one state of one
    cohort's results for good — a cohort created again under a reused id (SQLite reuses the highest
    one), or a database emptied and filled again, never meets a generation a cache kept before."""
    return secrets.randbits(62) + 1


def new_generation(session: Session, cohort_id: int) -> None:
    """The cohort's results change in this transaction: its kept figures
    (:class:`lms.results.models.CohortFigures`) and kept pages (:mod:`lms.results.page_cache`) are
    out of date from its commit on. One upsert; a concurrent writer of the same cohort waits for
    this one's commit (the row's lock), so that no two writers leave one generation."""
    stmt = upsert(session, CohortFigures).values(cohort_id=cohort_id, generation=generation_token())
    session.execute(
        stmt.on_conflict_do_update(index_elements=["cohort_id"], set_={"generation": stmt.excluded.generation})
    )


def ensure_fresh(session: Session, cohort: Cohort, app: Flask | None = None) -> None:
    """Before reading a cohort's stored results: refresh what this session changed, then every
    peserta whose row is missing (new peserta, data from before the table) or stale (one query
    when nothing is)."""
    apply_pending(session, cohort.id, app)
    now = utcnow()
    missing = list(
        session.scalars(
            select(Membership.user_id)
            .outerjoin(
                ParticipantResult,
                and_(
                    ParticipantResult.cohort_id == Membership.cohort_id,
                    ParticipantResult.participant_id == Membership.user_id,
                ),
            )
            .where(
                Membership.cohort_id == cohort.id,
                Membership.role == Role.PARTICIPANT,
                or_(ParticipantResult.participant_id.is_(None), ParticipantResult.stale_at <= now),
            )
        )
    )
    if missing:
        everyone = len(missing) > INLINE_COHORT or len(missing) * 2 > participant_count(session, cohort.id)
        refresh_results(session, cohort.id, None if everyone else missing, app)


def refresh_all(
    session: Session, app: Flask | None = None, cohort_ids: Sequence[int] | None = None
) -> Iterator[tuple[int, int]]:
    """Refresh every cohort (or ``cohort_ids``), yielding (cohort id, rows) as each is done."""
    ids = list(cohort_ids) if cohort_ids is not None else list(session.scalars(select(Cohort.id).order_by(Cohort.id)))
    for cid in ids:
        yield cid, refresh_results(session, cid, None, app)


@task("results.refresh", retries=2, retry_delay=30)
def refresh_task(run: TaskRun, *, cohort_id: int) -> None:
    """A whole cohort computed again (a definition changed); committed by the task runner."""
    refresh_results(run.session, cohort_id)


# -- noticing changes ----------------------------------------------------------------------------


def _plugin_inputs() -> list[ResultInput]:
    if not has_app_context():
        return []
    app = current_app
    found = app.extensions.get("lms.results.inputs")
    if found is None:
        found = [i for part in get_plugin_manager(app).hook.lms_result_inputs() for i in part or []]
        app.extensions["lms.results.inputs"] = found
    return found


# The columns of a changed row that can change a result, where most changes of it cannot: a draft's
# autosave (its body, every few seconds while a peserta types) leaves the stored result alone.
_RELEVANT_CHANGES: dict[type, tuple[str, ...]] = {
    Submission: ("state", "submitted_at", "late", "attempt", "assessment_id", "participant_id"),
    # What the results show of a person (a login, a password or a photo changes nothing there).
    User: ("name", "email"),
    ParticipantProfile: ("nip", "instansi", "unit", "jabatan", "golongan", "user_id"),
}


def _relevant_changes() -> dict[type, tuple[str, ...]]:
    """:data:`_RELEVANT_CHANGES` and the plugins' (``ResultInput.columns``), built once per app."""
    if not has_app_context():
        return _RELEVANT_CHANGES
    found = current_app.extensions.get("lms.results.relevant")
    if found is None:
        found = {**_RELEVANT_CHANGES, **{i.model: i.columns for i in _plugin_inputs() if i.columns}}
        current_app.extensions["lms.results.relevant"] = found
    return found


def _changed(session: Session) -> dict[type, list[Any]]:
    by_type: dict[type, list[Any]] = {}
    for obj in list(session.new) + list(session.deleted):
        by_type.setdefault(type(obj), []).append(obj)
    relevant_changes = _relevant_changes()
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        relevant = next((cols for cls, cols in relevant_changes.items() if isinstance(obj, cls)), None)
        if relevant is not None:
            attrs = inspect(obj).attrs
            if not any(attrs[name].history.has_changes() for name in relevant):
                continue
        by_type.setdefault(type(obj), []).append(obj)
    return by_type


def _values(session: Session, stmt: Any) -> list[Any]:
    return list(session.connection().execute(stmt))


def _affected(session: Session, changed: dict[type, list[Any]]) -> Iterator[tuple[int, int | None]]:
    """(cohort id, participant id or None) for every changed row that feeds results."""
    by_assessment: list[tuple[int, int | None]] = []  # (assessment id, participant id or None)
    for s in changed.get(Submission, []):
        by_assessment.append((s.assessment_id, s.participant_id))
    grades = [g.submission_id for g in changed.get(Grade, []) if g.submission_id is not None]
    if grades:
        by_assessment += [
            (aid, pid)
            for aid, pid in _values(
                session,
                select(Submission.assessment_id, Submission.participant_id).where(
                    Submission.id.in_(sorted(set(grades)))
                ),
            )
        ]
    for e in changed.get(Extension, []):
        by_assessment.append((e.assessment_id, e.participant_id))
    for w in changed.get(WorkComponent, []):
        by_assessment.append((w.assessment_id, None))
    for a in changed.get(Assessment, []):
        if a.cohort_id is not None:
            yield a.cohort_id, None
    if by_assessment:
        cohort_of = dict(
            _values(
                session,
                select(Assessment.id, Assessment.cohort_id).where(
                    Assessment.id.in_(sorted({aid for aid, _p in by_assessment if aid is not None}))
                ),
            )
        )
        for aid, pid in by_assessment:
            if aid in cohort_of:
                yield cohort_of[aid], pid
    for m in changed.get(Membership, []):
        yield m.cohort_id, m.user_id
    for d in changed.get(DisciplinaryDecision, []):
        yield d.cohort_id, d.participant_id
    for c in changed.get(CohortScheme, []):
        yield c.cohort_id, None
    for sheet in changed.get(ScoreSheet, []):
        yield sheet.cohort_id, None
    for session_row in changed.get(ClassSession, []):
        yield session_row.cohort_id, None
    by_sheet = [(e.sheet_id, e.participant_id) for e in changed.get(SheetEntry, [])]
    by_sheet += [(c.sheet_id, None) for c in changed.get(SheetCriterion, [])]
    if by_sheet:
        sheet_cohort = dict(
            _values(
                session,
                select(ScoreSheet.id, ScoreSheet.cohort_id).where(ScoreSheet.id.in_(sorted({s for s, _p in by_sheet}))),
            )
        )
        for sid, pid in by_sheet:
            if sid in sheet_cohort:
                yield sheet_cohort[sid], pid
    records = [(r.session_id, r.participant_id) for r in changed.get(AttendanceRecord, [])]
    if records:
        class_cohort = dict(
            _values(
                session,
                select(ClassSession.id, ClassSession.cohort_id).where(
                    ClassSession.id.in_(sorted({s for s, _p in records}))
                ),
            )
        )
        for sid, pid in records:
            if sid in class_cohort:
                yield class_cohort[sid], pid
    programs = {p.id for p in changed.get(Program, [])}
    schemes = {s.id for s in changed.get(ResultScheme, [])} | {c.scheme_id for c in changed.get(ResultComponent, [])}
    programs |= {s.program_id for s in changed.get(ResultScheme, [])}
    if schemes:
        programs |= {
            pid
            for (pid,) in _values(session, select(ResultScheme.program_id).where(ResultScheme.id.in_(sorted(schemes))))
        }
    if programs:
        for (cid,) in _values(session, select(Cohort.id).where(Cohort.program_id.in_(sorted(programs)))):
            yield cid, None
    for item in _plugin_inputs():
        rows = [obj for cls, objs in changed.items() if issubclass(cls, item.model) for obj in objs]
        if not rows:
            continue
        if item.recompute:
            yield from item.affected(session, rows)
        else:
            mark_shown(session, {cohort_id for cohort_id, _p in item.affected(session, rows)})


def _shown_cohorts(session: Session, changed: dict[type, list[Any]]) -> set[int]:
    """Cohorts whose results show a changed row that moves no score: a peserta's name or profile
    (in every cohort they are a peserta of), a certificate issued or revoked."""
    cohorts = {c.cohort_id for c in changed.get(Certificate, []) if c.cohort_id is not None}
    events = {e.certificate_id for e in changed.get(CertificateEvent, [])}
    if events:  # a revocation is an UPDATE statement (the listener does not see it) and its event
        cohorts |= {
            cid for (cid,) in _values(session, select(Certificate.cohort_id).where(Certificate.id.in_(sorted(events))))
        }
    people = {u.id for u in changed.get(User, [])} | {p.user_id for p in changed.get(ParticipantProfile, [])}
    people.discard(None)
    if people:
        cohorts |= {
            cid
            for (cid,) in _values(
                session,
                select(Membership.cohort_id)
                .where(Membership.user_id.in_(sorted(people)), Membership.role == Role.PARTICIPANT)
                .distinct(),
            )
        }
    return cohorts


_SHOWN_MODELS: tuple[type, ...] = (User, ParticipantProfile, Certificate, CertificateEvent)

_WATCHED: tuple[type, ...] = (
    Submission,
    Grade,
    Extension,
    WorkComponent,
    Assessment,
    Membership,
    DisciplinaryDecision,
    CohortScheme,
    ScoreSheet,
    ClassSession,
    SheetEntry,
    SheetCriterion,
    AttendanceRecord,
    Program,
    ResultScheme,
    ResultComponent,
)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    # After the flush the new rows have their ids and foreign keys, while new/dirty/deleted and the
    # attributes' history still describe what the flush wrote (deleted rows keep their values).
    changed = _changed(session)
    plugin_models = tuple(i.model for i in _plugin_inputs())
    merged: dict[type, list[Any]] = {}
    shown: dict[type, list[Any]] = {}
    for cls, objs in changed.items():
        base = next((b for b in _WATCHED if issubclass(cls, b)), None)
        if base is not None:
            merged.setdefault(base, []).extend(objs)
        elif plugin_models and issubclass(cls, plugin_models):
            merged.setdefault(cls, []).extend(objs)
        else:
            seen = next((b for b in _SHOWN_MODELS if issubclass(cls, b)), None)
            if seen is not None:
                shown.setdefault(seen, []).extend(objs)
    if shown:
        mark_shown(session, _shown_cohorts(session, shown))
    if not merged:
        return
    for cohort_id, participant_id in _affected(session, merged):
        mark_stale(session, cohort_id, None if participant_id is None else [participant_id])


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.info.get(_STALE) or session.info.get(_SHOWN) or session.new or session.dirty or session.deleted:
        apply_pending(session, defer_large=True)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_STALE, None)
    session.info.pop(_SHOWN, None)


def stored_final(session: Session, cohort_id: int, participant_id: int) -> Decimal | None:
    """The stored final score of one peserta (None: incomplete or not stored)."""
    return session.scalar(
        select(ParticipantResult.final).where(
            ParticipantResult.cohort_id == cohort_id, ParticipantResult.participant_id == participant_id
        )
    )


__all__ = ["CellState", "ensure_fresh", "mark_shown", "mark_stale", "refresh_results"]
