"""Reading the stored results (:mod:`lms.results.services` keeps them): a page, one peserta's row
with their rank, or every row streamed for an export, each a query over ``participant_results``.

The rank is ``RANK() OVER (PARTITION BY cohort ORDER BY final DESC)`` over the cohort's current
peserta at read time (equal scores share a rank: 1, 2, 2, 4; incomplete rows have none). The rows
come back as :class:`lms.results.table.ResultRow` objects, so the templates and API read them as
before, and as plain export records for the CSV and XLSX (:func:`export_rows`); each reader gets
what it shows and no more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import Select, String, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Membership, Role
from lms.db import utcnow
from lms.mail.services import absolute_url
from lms.plugins.types import ResultColumn, values_reader
from lms.results import components
from lms.results.exports.columns import ExportRow
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


# Rows per fetch of a streamed export's server-side cursor: a row is ~30 values (scores as
# Decimals, the components' JSON), so 100 rows are ~200 KB in Python; 250 made a 3,000-peserta CSV's
# peak ~1 MB above a 150's, and 100 costs no measurable time (bench/export.py).
EXPORT_BATCH = 100


def export_rows(
    session: Session, table: ResultTable, app: Flask | None = None, batch: int = EXPORT_BATCH
) -> Iterator[ExportRow]:
    """Every peserta's export record in the canonical order, straight from the stored results: one
    query (the stored row, its cells, the valid certificate's number) read from a server-side cursor
    ``batch`` rows at a time. Only the worded reasons are kept (by their stored text: few distinct
    ones), so memory stays one batch's whatever the cohort size, besides the plugins' answer.

    The plugins are asked once, for every peserta of the cohort, before the first row (the batched
    ``lms_result_columns`` contract: asking per batch of 250 cost a plugin its fixed queries twelve
    times at 3,000 peserta, ~0.3 s, most of the CSV's time), and their columns become
    ``table.columns`` (the headers): read the headers after the first row
    (:func:`lms.results.exports.as_csv.csv_chunks` does). What they hold is their values: the
    benchmarking plugin packs them (:class:`lms.plugins.types.PackedValues`, 8 bytes a cell).
    """
    cohort_id = table.cohort.id
    r = ranked(cohort_id)
    cells = [aliased(ParticipantResultCell) for _a in table.assessments]
    stmt = select(
        r.c.participant_id,
        r.c.nip,
        r.c.name,
        r.c.instansi,
        r.c.jabatan,
        r.c.golongan,
        r.c.components,
        r.c.final,
        r.c.predicate,
        r.c.rank,
        r.c.attendance_percent,
        r.c.status,
        cast(r.c.reasons, String),  # as stored: the key its words are kept under
        Certificate.number,
        *(column for cell in cells for column in (cell.state, cell.score)),
    ).outerjoin(
        Certificate,
        and_(
            Certificate.cohort_id == cohort_id,
            Certificate.participant_id == r.c.participant_id,
            Certificate.revoked_at.is_(None),
        ),
    )
    for cell, a in zip(cells, table.assessments, strict=True):
        stmt = stmt.outerjoin(
            cell,
            and_(cell.cohort_id == cohort_id, cell.participant_id == r.c.participant_id, cell.assessment_id == a.id),
        )
    stmt = stmt.order_by(*canonical(r)).execution_options(yield_per=batch)
    defs = table.components or components.component_defs(None)
    keys = [c.key for c in defs]
    names = {c.key: c.name for c in defs}
    titles = {a.id: a.title for a in table.assessments}
    worded: dict[str | None, str] = {}
    missing = CellState.NOT_SUBMITTED.value
    width = len(table.assessments)

    def word(stored: str | None) -> str:
        facts = json.loads(stored) if stored else []
        return "; ".join(components.reason_text(code, values, names, titles) for code, values in facts)

    table.columns = plugin_columns(table.cohort, participant_ids(session, cohort_id), app)
    extra = values_reader([c.values for c in table.columns])
    # On the statement, not the connection (see lms.results.details.criterion_rows).
    result = session.connection().execute(stmt)
    for part in result.partitions(batch):
        for pid, nip, name, instansi, jabatan, golongan, parts, final, predicate, rank, *rest in part:
            attendance, status, reasons, certificate, *flat = rest
            text = worded.get(reasons)
            if text is None:
                text = worded[reasons] = word(reasons)
            parts = parts or {}
            yield ExportRow(
                nip or "",
                name,
                instansi or "",
                jabatan or "",
                golongan or "",
                tuple((flat[2 * i] or missing, flat[2 * i + 1]) for i in range(width)),
                tuple(None if parts.get(k) is None else Decimal(parts[k]) for k in keys),
                final,
                predicate,
                rank,
                attendance,
                status,
                text,
                certificate,
                extra(pid),
            )


def stream_table(session: Session, cohort: Cohort, app: Flask | None = None) -> ResultTable:
    """The table for a streamed export: no rows held (read them with :func:`export_rows`, which sets
    the plugins' column headers)."""
    return shell(session, cohort, app)


def participant_ids(session: Session, cohort_id: int) -> list[int]:
    """The ids of the cohort's peserta, whose rows the stored results hold (what the plugins are asked about)."""
    return list(
        session.scalars(
            select(PR.participant_id)
            .execution_options(yield_per=1000)
            .join(
                Membership,
                and_(
                    Membership.cohort_id == PR.cohort_id,
                    Membership.user_id == PR.participant_id,
                    Membership.role == Role.PARTICIPANT,
                ),
            )
            .where(PR.cohort_id == cohort_id)
            .order_by(PR.participant_id)
        )
    )
