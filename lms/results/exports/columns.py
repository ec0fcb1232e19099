"""The columns every tabular export shares: one place defines them, in export order.

The exports write :class:`ExportRow` records: a peserta's row as plain values, read straight from
the stored results through a server-side cursor (:func:`lms.results.stored.export_rows`) or made
from a built table's row (:func:`export_row`). A new column (outcome, attendance, certificate …) is
one more :class:`Column` in :func:`columns`; the CSV and the XLSX results sheet both read this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.core.numbers import format_number
from lms.plugins.types import ResultColumn
from lms.results.components import STATUS_LABELS
from lms.results.table import CellState, ResultRow, ResultTable


@dataclass(frozen=True, slots=True)
class Marker:
    """Text standing in for a value that does not exist (yet): "not graded", "incomplete"."""

    text: str


class ExportRow(NamedTuple):
    """One peserta's row as the tabular exports write it (a tuple: an export makes one per peserta
    and keeps none). ``cells``, ``parts`` and ``extra`` follow the table's assessments, components
    and plugin columns."""

    nip: str
    name: str
    instansi: str
    jabatan: str
    golongan: str
    cells: tuple[tuple[str, Decimal | None], ...]  # (CellState value, two-place score)
    parts: tuple[Decimal | None, ...]  # component scores (None: incomplete)
    final: Decimal | None
    predicate: str | None
    rank: int | None
    attendance: Decimal | None
    status: str | None  # lulus | tidak_lulus | ditunda (None: no outcome)
    reasons: str | None  # worded in the current language, joined with "; "
    certificate: str | None  # the valid certificate's number
    extra: tuple[Any, ...]  # plugin column values (None: nothing yet)


def export_row(table: ResultTable, row: ResultRow) -> ExportRow:
    """A built table's row (:func:`lms.results.table.build_table`) as an export record."""
    outcome = row.outcome
    return ExportRow(
        row.nip,
        row.name,
        row.instansi,
        row.jabatan,
        row.golongan,
        tuple((CellState(c.state).value, c.score) for c in (row.cells[a.id] for a in table.assessments)),
        tuple(s.score for s in outcome.components) if outcome else (None,) * len(table.components),
        row.final if row.complete else None,
        row.predicate,
        row.rank,
        outcome.attendance_percent if outcome else None,
        outcome.status if outcome else None,
        "; ".join(outcome.reasons) if outcome else None,
        row.certificate.number if row.certificate else None,
        tuple(row.extra.get(c.key) for c in table.columns),
    )


def markers() -> dict[str, Marker]:
    """The markers of cells without a score by state, translated once per export (not once per cell)."""
    return {
        CellState.NOT_SUBMITTED.value: Marker(_("not submitted")),
        CellState.NOT_GRADED.value: Marker(_("not graded")),
        CellState.UNSCORED.value: Marker(_("no score")),
        CellState.SCORED.value: Marker(""),
    }


_STATE_WORDS = {
    CellState.SCORED: _l("scored"),
    CellState.UNSCORED: _l("no score"),
    CellState.NOT_GRADED: _l("not graded"),
    CellState.NOT_SUBMITTED: _l("not submitted"),
}


def state_label(state: CellState | str) -> str:
    """The words for a cell's state, as the screen, exports and PDF show them (the one asked for
    translated: a page of 50 rows asks for a few hundred)."""
    return str(_STATE_WORDS[CellState(state)])


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # "text", "nip", "score", "number", "int"
    value: Callable[[ExportRow], Any]  # a value, None (empty) or a Marker
    width: int = 12


def weight_text(weight: Decimal) -> str:
    return format_number(weight)


def _cell(position: int, marker: dict[str, Marker]) -> Callable[[ExportRow], Any]:
    scored = CellState.SCORED.value

    def value(r: ExportRow) -> Any:
        state, score = r.cells[position]
        return score if state == scored else marker[state]

    return value


def _part(position: int, incomplete: Marker) -> Callable[[ExportRow], Any]:
    def value(r: ExportRow) -> Any:
        score = r.parts[position]
        return incomplete if score is None else score

    return value


def _extra(position: int) -> Callable[[ExportRow], Any]:
    return lambda r: r.extra[position]


def columns(table: ResultTable) -> list[Column]:
    """The result table's columns, in export order, with translated headers: the one list every
    tabular export writes (a new column is one more entry here). Every label is translated here,
    once per export; the columns' values are plain reads of an :class:`ExportRow`."""
    marker = markers()
    incomplete = Marker(_("incomplete"))
    outcome_labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    cols = [
        Column(_("NIP"), "nip", lambda r: r.nip, 21),
        Column(_("Name"), "text", lambda r: r.name, 30),
        Column(_("Agency"), "text", lambda r: r.instansi, 30),
        Column(_("Position"), "text", lambda r: r.jabatan, 24),
        Column(_("Golongan"), "text", lambda r: r.golongan, 10),
    ]
    for position, a in enumerate(table.assessments):
        header = _("%(title)s (weight %(weight)s)", title=a.title, weight=weight_text(a.weight))
        cols.append(Column(header, "score", _cell(position, marker), 16))
    for position, component in enumerate(table.components):
        header = _("%(title)s (weight %(weight)s)", title=component.name, weight=weight_text(component.weight))
        cols.append(Column(header, "score", _part(position, incomplete), 16))
    cols += [
        Column(_("Final score"), "score", lambda r: incomplete if r.final is None else r.final, 12),
        Column(_("Predicate"), "text", lambda r: r.predicate, 20),
    ]
    if table.cohort.program.show_rank:  # the program's choice, as on the screen
        cols.append(Column(_("Ranking"), "int", lambda r: r.rank, 9))
    cols += [
        Column(_("Attendance in percent"), "score", lambda r: r.attendance, 12),
        Column(_("Outcome"), "text", lambda r: outcome_labels.get(r.status) if r.status else None, 14),
        Column(_("Reasons"), "text", lambda r: r.reasons, 40),
        Column(_("Certificate number"), "text", lambda r: r.certificate, 24),
    ]
    for position, c in enumerate(table.columns):
        cols.append(Column(str(c.label), _column_kind(c), _extra(position), 14))
    return cols


def _column_kind(column: ResultColumn) -> str:
    return {"number": "number", "score": "score", "text": "text"}[column.kind]
