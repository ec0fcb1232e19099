"""The result table's cells and rows as HTML, written in Python for the screen, and the same cells
for the results sheets and the PDF (Jinja globals ``score_cell``, ``final_cell``, ``plugin_cell``,
``outcome_badge`` and ``result_rows``).

Why not Jinja macros: a page of 50 rows has ~1,500 cells, and a macro call per cell cost ~15 ms of
CPU per view of the results page (a third of its rendering); these functions write the same markup
in a few. Every value goes through :func:`markupsafe.escape` (names, agencies and plugin values are
what people typed).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.core import numbers
from lms.core.civil_service import format_nip
from lms.plugins.types import ResultColumn
from lms.results.exports.columns import state_label
from lms.results.table import ResultRow, ResultTable

OUTCOME_CLASSES = {"lulus": "text-bg-success", "tidak_lulus": "text-bg-danger", "ditunda": "text-bg-warning"}
_MISSING = '<span class="missing text-muted fst-italic text-nowrap" data-state="{state}">{label}</span>'


def score_cell(cell: Any, fmt: Any) -> Markup:
    """An assessment's cell: its score, or the words for why there is none."""
    if cell.state == "scored":
        return Markup(f'<span class="score">{escape(fmt.score(cell.score))}</span>')
    return Markup(_MISSING.format(state=escape(cell.state), label=escape(state_label(cell.state))))


def final_cell(row: ResultRow, fmt: Any) -> Markup:
    if row.complete:
        return Markup(f'<span class="score">{escape(fmt.score(row.final))}</span>')
    return Markup(_MISSING.format(state="incomplete", label=escape(_("incomplete"))))


def plugin_cell(column: ResultColumn, value: Any, fmt: Any) -> Markup:
    if value is None:
        return Markup(f'<span class="missing text-muted" title="{escape(_("nothing yet"))}">—</span>')
    return escape(fmt.cell(column, value))


def outcome_badge(outcome: Any) -> Markup:
    """Lulus / tidak lulus / ditunda, with the reasons beneath (not only in a tooltip: they print)."""
    if not outcome:
        return Markup("")
    reasons = "".join(f'<div class="small text-muted outcome-reason">{escape(r)}</div>' for r in outcome.reasons)
    return Markup(f'<span class="badge {OUTCOME_CLASSES[outcome.status]}">{escape(outcome.label)}</span>\n{reasons}')


def result_rows(table: ResultTable, rows: list[ResultRow], fmt: Any, link_people: bool = False) -> Markup:
    """The ``<tr>`` of each row in the screen's order (rank, name, the result, NIP, identity,
    assessments, components, the plugins' columns): the header is ``result_table``'s in
    ``results/_macros.html``."""
    ranked = table.cohort.program.show_rank
    out: list[str] = []
    for row in rows:
        cells = [f'<tr data-participant="{row.participant_id}">']
        if ranked:
            cells.append(f'<td class="text-end rank">{row.rank or ""}</td>')
        name = escape(row.name)
        if link_people:
            name = Markup(f'<a href="{escape(url_for("users.show", user_id=row.participant_id))}">{name}</a>')
        cells.append(f'<td class="name">{name}</td>')
        outcome = row.outcome
        attendance = (
            numbers.format_score(outcome.attendance_percent) + "%"
            if outcome and outcome.attendance_percent is not None
            else "—"
        )
        certificate = (
            f'<div class="small certificate">{escape(row.certificate.number)}</div>' if row.certificate else ""
        )
        cells += [
            f'<td class="text-end final">{final_cell(row, fmt)}</td>',
            f'<td class="predicate">{escape(row.predicate or "")}</td>',
            f'<td class="text-end attendance">{escape(attendance)}</td>',
            f'<td class="outcome">{outcome_badge(outcome)}{certificate}</td>',
            f'<td class="nip">{escape(format_nip(row.nip))}</td>',
            f'<td class="instansi">{escape(row.instansi or "")}</td>',
            f'<td class="jabatan">{escape(row.jabatan or "")}</td>',
            f"<td>{escape(row.golongan or '')}</td>",
        ]
        for a in table.assessments:
            cells.append(f'<td class="text-end" data-assessment="{a.id}">{score_cell(row.cells[a.id], fmt)}</td>')
        for i, component in enumerate(table.components):
            part = outcome.components[i] if outcome else None
            shown = numbers.format_score(part.score) if part and part.score is not None else "—"
            cells.append(f'<td class="text-end" data-component="{escape(component.key)}">{escape(shown)}</td>')
        for column in table.columns:
            align = "text-end" if column.kind != "text" else ""
            value = plugin_cell(column, row.extra.get(column.key), fmt)
            cells.append(f'<td class="{align}" data-column="{escape(column.key)}">{value}</td>')
        cells.append("</tr>")
        out.append("".join(cells))
    return Markup("\n".join(out))
