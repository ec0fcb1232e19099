"""Reading the stored results (:mod:`lms.results.services` keeps them): a page, one peserta's row
with their rank, or every row streamed, each a query over ``participant_results``.

The rank is ``RANK() OVER (PARTITION BY cohort ORDER BY final DESC)`` over the cohort's current
peserta at read time (equal scores share a rank: 1, 2, 2, 4; incomplete rows have none). The rows
come back as :class:`lms.results.table.ResultRow` objects, so the templates, exports and API read
them as before; each reader gets what it shows and no more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Membership, Role
from lms.db import utcnow
from lms.mail.services import absolute_url
from lms.plugins.types import ResultColumn
from lms.results import components
from lms.results.models import ParticipantResult, ParticipantResultCell
from lms.results.services import ensure_fresh
from lms.results.table import (
    Cell,
    CellState,
    CertificateRef,
    ResultRow,
    ResultTable,
    _assessments,
    plugin_columns,
)
from lms.users.models import ParticipantProfile, User

PR = ParticipantResult
# Rows per batch of a streamed read (cells, certificates and the plugins' columns per batch): the
# plugins' call reads some of the cohort whole each time, so batches are few; memory is one batch's.
BATCH = 1000


def shell(session: Session, cohort: Cohort, app: Flask | None = None, *, fresh: bool = True) -> ResultTable:
    """The cohort's table without rows: assessments, components, definition version (what headers
    need). ``fresh``: first bring the stored rows up to date (:func:`ensure_fresh`)."""
    if fresh:
        ensure_fresh(session, cohort, app)
    scheme = components.scheme_for(session, cohort)
    minimum = cohort.program.attendance_minimum
    return ResultTable(
        cohort=cohort,
        assessments=_assessments(session, cohort.id),
        rows=[],
        columns=[],
        generated_at=utcnow(),
        components=components.component_defs(scheme) if scheme is not None else [],
        definition_version=scheme.version if scheme is not None else None,
        attendance_minimum=None if minimum is None else Decimal(minimum),
    )


def ranked(cohort_id: int) -> Any:
    """The cohort's current peserta with their stored result and rank (a subquery)."""
    rank = case(
        (PR.final.is_(None), None),
        else_=func.rank().over(partition_by=(PR.cohort_id, PR.final.is_(None)), order_by=PR.final.desc()),
    )
    return (
        select(
            PR.participant_id,
            PR.final,
            PR.predicate,
            PR.status,
            PR.attendance_percent,
            PR.released,
            PR.components,
            PR.reasons,
            User.name,
            User.email,
            ParticipantProfile.nip,
            ParticipantProfile.instansi,
            ParticipantProfile.unit,
            ParticipantProfile.jabatan,
            ParticipantProfile.golongan,
            rank.label("rank"),
        )
        .join(
            Membership,
            and_(
                Membership.cohort_id == PR.cohort_id,
                Membership.user_id == PR.participant_id,
                Membership.role == Role.PARTICIPANT,
            ),
        )
        .join(User, User.id == PR.participant_id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == PR.participant_id)
        .where(PR.cohort_id == cohort_id)
        .subquery("ranked")
    )


def canonical(r: Any, descending: bool = False) -> list[Any]:
    """Ranked rows first by rank, then the rest; by name within (``r``: the :func:`ranked` subquery)."""
    keys = [r.c.final.is_(None), r.c.final.desc(), func.lower(r.c.name), r.c.participant_id]
    if not descending:
        return keys
    return [r.c.final.is_(None).desc(), r.c.final.asc(), func.lower(r.c.name).desc(), r.c.participant_id.desc()]


class Rows:
    """Turns rows of :func:`ranked` into :class:`ResultRow` objects, a batch at a time: each batch's
    cells and certificates in one query each, its outcomes worded in the current language."""

    def __init__(self, session: Session, table: ResultTable) -> None:
        self.session = session
        self.table = table
        self.cohort_id = table.cohort.id
        scheme_defs = table.components or components.component_defs(None)
        self.defs = scheme_defs
        self.names = {c.key: c.name for c in scheme_defs}
        self.titles = {a.id: a.title for a in table.assessments}
        self.ids = [a.id for a in table.assessments]
        self.worded: dict[str, str] = {}  # reasons repeat across peserta: each worded once

    def build(self, items: Sequence[Any]) -> list[ResultRow]:
        if not items:
            return []
        ids = [r.participant_id for r in items]
        cells: dict[int, dict[int, Cell]] = {pid: {} for pid in ids}
        for pid, aid, state, score in self.session.execute(
            select(
                ParticipantResultCell.participant_id,
                ParticipantResultCell.assessment_id,
                ParticipantResultCell.state,
                ParticipantResultCell.score,
            ).where(ParticipantResultCell.cohort_id == self.cohort_id, ParticipantResultCell.participant_id.in_(ids))
        ):
            cells[pid][aid] = Cell(CellState(state), score, None)
        certificates = {
            pid: CertificateRef(number, absolute_url("certificates.verify", code=code))
            for pid, number, code in self.session.execute(
                select(Certificate.participant_id, Certificate.number, Certificate.code).where(
                    Certificate.cohort_id == self.cohort_id,
                    Certificate.revoked_at.is_(None),
                    Certificate.participant_id.in_(ids),
                )
            )
        }
        missing = Cell(CellState.NOT_SUBMITTED)
        rows = []
        for r in items:
            mine = cells[r.participant_id]
            row = ResultRow(
                participant_id=r.participant_id,
                name=r.name,
                email=r.email,
                nip=r.nip or "",
                instansi=r.instansi or "",
                unit=r.unit or "",
                jabatan=r.jabatan or "",
                golongan=r.golongan or "",
                cells={aid: mine.get(aid, missing) for aid in self.ids},
                final=r.final,
                complete=r.final is not None,
                predicate=r.predicate,
                rank=r.rank,
            )
            row.outcome = self.outcome(r)
            row.certificate = certificates.get(r.participant_id)
            rows.append(row)
        return rows

    def outcome(self, r: Any) -> components.Outcome:
        stored = r.components or {}
        scores = [
            components.ComponentScore(
                c.key,
                c.name,
                c.weight,
                c.minimum,
                None if stored.get(c.key) is None else Decimal(stored[c.key]),
            )
            for c in self.defs
        ]
        facts = [(code, values) for code, values in (r.reasons or [])]
        return components.Outcome(
            status=r.status,
            reasons=[self.word(code, values) for code, values in facts],
            final_score=r.final,
            predikat=r.predicate,
            components=scores,
            attendance_percent=r.attendance_percent,
            codes=[code for code, _values in facts],
            facts=facts,
        )

    def word(self, code: str, values: dict[str, Any]) -> str:
        key = json.dumps([code, values], sort_keys=True)
        text = self.worded.get(key)
        if text is None:
            text = self.worded[key] = components.reason_text(code, values, self.names, self.titles)
        return text


def read(session: Session, table: ResultTable, stmt: Select[Any]) -> list[ResultRow]:
    """The rows ``stmt`` (a select from :func:`ranked`) selects, as result rows."""
    return Rows(session, table).build(list(session.execute(stmt)))


def rows_of(
    session: Session, cohort: Cohort, participant_ids: Iterable[int] | None = None, app: Flask | None = None
) -> ResultTable:
    """The stored table (refreshed first) with the rows of ``participant_ids`` (all: None) in the
    canonical order, ranked among the whole cohort, with the plugins' columns for those rows."""
    table = shell(session, cohort, app)
    r = ranked(cohort.id)
    stmt = select(r).order_by(*canonical(r))
    if participant_ids is not None:
        stmt = stmt.where(r.c.participant_id.in_(sorted(set(participant_ids))))
    table.rows = read(session, table, stmt)
    table.ranked = ranked_count(session, cohort.id)
    table.columns = with_plugin_columns(table, table.rows, app)
    return table


def ranked_count(session: Session, cohort_id: int) -> int:
    r = ranked(cohort_id)
    return session.scalar(select(func.count()).select_from(r).where(r.c.final.is_not(None))) or 0


def with_plugin_columns(
    table: ResultTable, rows: Sequence[ResultRow], app: Flask | None = None, header: Sequence[ResultColumn] = ()
) -> list[ResultColumn]:
    """Ask the plugins once about ``rows`` and fill each row's ``extra`` (the keys of ``header``, if given)."""
    columns = plugin_columns(table.cohort, [r.participant_id for r in rows], app)
    keys = [c.key for c in header] if header else [c.key for c in columns]
    by_key = {c.key: c for c in columns}
    for row in rows:
        row.extra = {k: by_key[k].values.get(row.participant_id) if k in by_key else None for k in keys}
    return columns


def stream(session: Session, table: ResultTable, app: Flask | None = None, batch: int = BATCH) -> Iterator[ResultRow]:
    """Every row of the cohort in the canonical order, read from a server-side cursor (PostgreSQL)
    ``batch`` at a time, each batch with its cells, certificates and plugin columns: memory stays
    one batch's whatever the cohort size. The first batch's plugin columns become
    ``table.columns`` (the headers) before its first row is given: read the headers after the
    first row (:func:`lms.results.exports.as_csv.csv_chunks` does)."""
    r = ranked(table.cohort.id)
    stmt = select(r).order_by(*canonical(r)).execution_options(yield_per=batch)
    builder = Rows(session, table)
    # On the statement, not the connection (see lms.results.details.criterion_rows).
    result = session.connection().execute(stmt)
    first = True
    for part in result.partitions(batch):
        rows = builder.build(part)
        if first:
            table.columns = with_plugin_columns(table, rows, app)
            first = False
        else:
            with_plugin_columns(table, rows, app, header=table.columns)
        yield from rows
    if first:  # no rows: the headers still name the plugins' columns
        table.columns = plugin_columns(table.cohort, [], app)


def stream_table(session: Session, cohort: Cohort, app: Flask | None = None) -> ResultTable:
    """The table for a streamed export: no rows held (read them with :func:`stream`, which sets the
    plugins' column headers), and the number of ranked peserta."""
    table = shell(session, cohort, app)
    table.ranked = ranked_count(session, cohort.id)
    return table


def roster(session: Session, cohort_id: int) -> dict[int, tuple[str, str]]:
    """Participant id → (NIP, name) of the cohort's peserta: what the detail sheets need of a row."""
    return {
        pid: (nip or "", name)
        for pid, nip, name in session.execute(
            select(Membership.user_id, ParticipantProfile.nip, User.name)
            .join(User, User.id == Membership.user_id)
            .outerjoin(ParticipantProfile, ParticipantProfile.user_id == Membership.user_id)
            .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        )
    }
