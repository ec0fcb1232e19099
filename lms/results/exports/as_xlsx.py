"""XLSX: XlsxWriter in ``constant_memory`` mode with ``strings_to_formulas`` (and URLs, numbers)
off; scores are numbers, NIPs text. A text cell that the guard flags gets the *quote prefix*
style: Excel's own form of the leading apostrophe, which keeps the text as typed and never
evaluates it (a visible ``'`` would change people's names). The criteria sheet of a large cohort
is about a million cells, so the hot loops write typed cells with per-person and per-grade
values worked out once. Only XlsxWriter's public API is used: bench/export.py measured it at
1.2× the floor's time for 3,000 peserta (target 1.3×), so the worksheet subclass that overrode
XlsxWriter's private cell writer is gone."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.cohorts.models import Membership, Role
from lms.core.spreadsheet import needs_guard
from lms.core.timezones import local_zone
from lms.results.details import criterion_lines
from lms.results.exports.columns import ExportRow, Marker, columns, export_row
from lms.results.sheets import extra_sheets
from lms.results.table import ResultTable
from lms.users.models import User


def _excel_time(value: datetime) -> float:
    """A datetime as Excel's serial number in the app's time zone (written with a date format)."""
    local = value.astimezone(local_zone()).replace(tzinfo=None)
    delta = local - datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


class _Sheet:
    """Typed writes into one XlsxWriter worksheet with the workbook's shared formats."""

    def __init__(self, workbook: Any, worksheet: Any) -> None:
        self.ws = worksheet
        self.write_string, self.write_number = worksheet.write_string, worksheet.write_number
        self.guarded = workbook.add_format({"quote_prefix": True})
        self.marker = workbook.add_format({"italic": True, "font_color": "#6c757d"})
        self.score = workbook.add_format({"num_format": "0.00"})
        self.number = workbook.add_format({"num_format": "General"})
        self.when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.header_guarded = workbook.add_format(
            {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top", "quote_prefix": True}
        )

    def put(self, row: int, col: int, kind: str, value: Any) -> None:
        if value is None or value == "":
            return  # constant_memory: an empty cell is simply not written
        if isinstance(value, Marker):
            self.write_string(row, col, value.text, self.marker)
        elif kind == "score" and isinstance(value, int | float | Decimal):
            self.write_number(row, col, float(value), self.score)
        elif kind in ("number", "int") and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            self.write_number(row, col, float(value) if isinstance(value, Decimal) else value, self.number)
        elif kind == "datetime" and isinstance(value, datetime):
            self.write_number(row, col, _excel_time(value), self.when)
        else:
            text = str(value)
            self.write_string(row, col, text, self.guarded if needs_guard(text) else None)

    def headers(self, labels: Iterable[str], widths: Iterable[int] | None = None) -> None:
        labels = list(labels)
        for col, width in enumerate(widths or []):
            self.ws.set_column(col, col, width)
        for col, label in enumerate(labels):  # assessment titles and plugin labels are typed by people
            self.ws.write_string(0, col, label, self.header_guarded if needs_guard(label) else self.header)
        self.ws.freeze_panes(1, 0)
        self.ws.autofilter(0, 0, 0, max(len(labels) - 1, 0))


def sheet_name(text: str) -> str:
    """Worksheet names: at most 31 characters, none of ``[]:*?/\\``."""
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text.strip()[:31] or "Sheet"


def write_xlsx(
    session: Session,
    table: ResultTable,
    out: IO[bytes] | str,
    app: Flask | None = None,
    rows: Iterable[ExportRow] | None = None,
) -> None:
    """The workbook: *results*, *criteria* (one row per released grade × criterion) and any sheet a
    plugin adds through the ``lms_result_sheets`` hook, e.g. *practices*.

    ``rows``: the records as they are read (:func:`lms.results.stored.export_rows`); the detail
    sheets then stream the cohort's current peserta too, and nothing is held per peserta. Without
    ``rows``, the table's rows and the detail rows of those peserta.
    """

    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    cohort = table.cohort
    workbook.set_properties(
        {
            "title": f"{cohort.program.code} — {cohort.name} {cohort.year}",
            "subject": _("Cohort results"),
            "author": "Tolok",
            "created": table.generated_at.replace(tzinfo=None),
        }
    )

    if rows is None:
        source: Iterator[ExportRow] = (export_row(table, r) for r in table.rows)
        participants = select(User.id).where(User.id.in_([r.participant_id for r in table.rows]))
    else:
        source = iter(rows)
        participants = select(Membership.user_id).where(
            Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT
        )
    first = next(source, None)  # a streamed read knows the plugins' columns once it has begun
    cols = columns(table)
    results = _Sheet(workbook, workbook.add_worksheet(sheet_name(_("results"))))
    results.headers([c.header for c in cols], [c.width for c in cols])
    plan = [(c, "text" if column.kind == "nip" else column.kind, column.value) for c, column in enumerate(cols)]
    put = results.put
    for r, row in enumerate(itertools.chain([first] if first is not None else [], source), start=1):
        for c, kind, get in plan:
            put(r, c, kind, get(row))

    _write_criteria(session, table, _Sheet(workbook, workbook.add_worksheet(sheet_name(_("criteria")))), participants)

    for extra in extra_sheets(session, table, participants, app):
        sheet = _Sheet(workbook, workbook.add_worksheet(sheet_name(str(extra.name))))
        sheet.headers([str(label) for label, _kind in extra.headers], [18] * len(extra.headers))
        extra_kinds = [kind for _label, kind in extra.headers]
        # Row by row as the plugin gives them (a generator over its cursor): never a list.
        for r, values in enumerate(extra.rows, start=1):
            for c, (kind, value) in enumerate(zip(extra_kinds, values, strict=False)):
                sheet.put(r, c, kind, value)
    workbook.close()


def _write_criteria(session: Session, table: ResultTable, sheet: _Sheet, participants: Any) -> None:
    """One row per released grade × criterion of ``participants`` (a select of ids). The hot loop of
    a large export (≈ 100,000 rows): typed XlsxWriter calls, per-person and per-grade values worked
    out once as the rows come (they come by person, then grade), empty cells skipped."""
    headers = [
        (_("NIP"), 21),
        (_("Name"), 30),
        (_("Assessment"), 30),
        (_("Submission"), 24),
        (_("Criterion"), 30),
        (_("Level"), 16),
        (_("Points"), 8),
        (_("Comment"), 40),
        (_("Grader"), 24),
        (_("Graded at (%(zone)s)", zone=current_app.config["DEFAULT_TIMEZONE"]), 17),
    ]
    sheet.headers([h for h, _w in headers], [w for _h, w in headers])
    text, number = sheet.write_string, sheet.write_number
    guarded, when = sheet.guarded, sheet.when

    def fmt(value: str) -> Any:
        return guarded if needs_guard(value) else None

    titles = {a.id: (a.title, fmt(a.title)) for a in table.assessments}
    # The attempt only where an assessment takes several submissions (practices): elsewhere it is
    # always 1, and a hundred thousand cells of 1 cost time and say nothing.
    several = {a.id for a in table.assessments if a.max_submissions > 1}
    strings: dict[str, Any] = {}  # criterion titles, levels, graders: few, each checked once
    last_name: str | None = None
    name_fmt: Any = None
    last_grade = 0
    serial = 0.0
    for r, item in enumerate(criterion_lines(session, table, participants), start=1):
        nip, name = item.nip, item.name
        if name != last_name:
            last_name, name_fmt = name, fmt(name)
        if nip:
            text(r, 0, nip, None)
        text(r, 1, name, name_fmt)
        title, title_fmt = titles[item.assessment_id]
        text(r, 2, title, title_fmt)
        if item.assessment_id in several:
            if item.title:
                text(r, 3, item.title, fmt(item.title))
            else:
                number(r, 3, item.attempt, None)
        criterion, level, grader = item.criterion, item.level, item.grader
        if criterion:
            text(
                r,
                4,
                criterion,
                strings[criterion] if criterion in strings else strings.setdefault(criterion, fmt(criterion)),
            )
        if level:
            text(r, 5, level, strings[level] if level in strings else strings.setdefault(level, fmt(level)))
        if item.points is not None:
            number(r, 6, item.points, None)
        if item.comment:
            text(r, 7, item.comment, fmt(item.comment))
        if grader:
            text(r, 8, grader, strings[grader] if grader in strings else strings.setdefault(grader, fmt(grader)))
        if item.graded_at is not None:
            if item.grade_id != last_grade:  # the rows of one grade come together
                last_grade, serial = item.grade_id, _excel_time(item.graded_at)
            number(r, 9, serial, when)
