"""The columns every tabular export shares: one place defines them, in export order.

A new column (outcome, attendance, certificate …) is one more :class:`Column` in :func:`columns`;
the CSV and the XLSX results sheet both read this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


def markers() -> dict[CellState, Marker]:
    """The markers of cells without a score, translated once per export (not once per cell)."""
    return {
        CellState.NOT_SUBMITTED: Marker(_("not submitted")),
        CellState.NOT_GRADED: Marker(_("not graded")),
        CellState.UNSCORED: Marker(_("no score")),
        CellState.SCORED: Marker(""),
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
    value: Callable[[ResultRow], Any]  # a value, None (empty) or a Marker
    width: int = 12


def weight_text(weight: Decimal) -> str:
    return format_number(weight)


def _extra_value(key: str) -> Callable[[ResultRow], Any]:
    """A plugin column's value in a row (a function per column, so each keeps its own key)."""
    return lambda row: row.extra.get(key)


def columns(table: ResultTable) -> list[Column]:
    """The result table's columns, in export order, with translated headers: the one list every
    tabular export writes (a new column is one more entry here)."""
    marker = markers()
    incomplete = Marker(_("incomplete"))
    outcome_labels = {status: str(label) for status, label in STATUS_LABELS.items()}  # translated once
    cols = [
        Column(_("NIP"), "nip", lambda r: r.nip, 21),
        Column(_("Name"), "text", lambda r: r.name, 30),
        Column(_("Agency"), "text", lambda r: r.instansi, 30),
        Column(_("Position"), "text", lambda r: r.jabatan, 24),
        Column(_("Golongan"), "text", lambda r: r.golongan, 10),
    ]
    for a in table.assessments:
        header = _("%(title)s (weight %(weight)s)", title=a.title, weight=weight_text(a.weight))

        def score(r: ResultRow, aid: int = a.id) -> Any:
            cell = r.cells[aid]
            return cell.score if cell.state == CellState.SCORED else marker[cell.state]

        cols.append(Column(header, "score", score, 16))
    for position, component in enumerate(table.components):
        header = _("%(title)s (weight %(weight)s)", title=component.name, weight=weight_text(component.weight))

        def part(r: ResultRow, at: int = position) -> Any:
            score = r.outcome.components[at].score if r.outcome else None
            return score if score is not None else incomplete

        cols.append(Column(header, "score", part, 16))
    cols += [
        Column(_("Final score"), "score", lambda r: r.final if r.complete else incomplete, 12),
        Column(_("Predicate"), "text", lambda r: r.predicate, 20),
    ]
    if table.cohort.program.show_rank:  # the program's choice, as on the screen
        cols.append(Column(_("Ranking"), "int", lambda r: r.rank, 9))
    cols += [
        Column(_("Attendance in percent"), "score", lambda r: r.outcome.attendance_percent if r.outcome else None, 12),
        Column(_("Outcome"), "text", lambda r: outcome_labels[r.outcome.status] if r.outcome else None, 14),
        Column(_("Reasons"), "text", lambda r: "; ".join(r.outcome.reasons) if r.outcome else None, 40),
        Column(_("Certificate number"), "text", lambda r: r.certificate.number if r.certificate else None, 24),
    ]
    for c in table.columns:
        cols.append(Column(str(c.label), _column_kind(c), _extra_value(c.key), 14))
    return cols


def _column_kind(column: ResultColumn) -> str:
    return {"number": "number", "score": "score", "text": "text"}[column.kind]
