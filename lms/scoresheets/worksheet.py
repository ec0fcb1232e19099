"""The XLSX worksheet for marking a score sheet offline, and reading it back.

Sheet *nilai*: one row per peserta (hidden column A: their id), one column per criterion (hidden
row 2: the criterion ids), the observer's current scores filled in. A hidden sheet *tolok* names the
score sheet and the observer and keeps the version of every entry as exported: reading the file
back goes through the grid's save, so a score someone changed since the export is a conflict, not an
overwrite. Names are written with Excel's quote-prefix when they could run as a formula
(:mod:`lms.core.spreadsheet`).
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from lms.core.errors import DomainError
from lms.core.spreadsheet import needs_guard
from lms.scoresheets.models import ScoreSheet, SheetEntry
from lms.scoresheets.services import CellInput

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


def write(
    sheet: ScoreSheet,
    people: list[tuple[int, str, str]],
    entries: dict[tuple[int, int], SheetEntry],
    observer_id: int,
    observer_role: str,
) -> bytes:
    """The observer's worksheet for ``sheet`` as XLSX bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    guarded = book.add_format({"quote_prefix": True})
    score = book.add_format({"num_format": "0.00", "locked": False, "bg_color": "#FFF8DC"})
    ws = book.add_worksheet("nilai")
    ws.write_string(0, 0, "id", bold)
    ws.write_string(0, 1, _("NIP"), bold)
    ws.write_string(0, 2, _("Name"), bold)
    for col, criterion in enumerate(sheet.criteria, start=3):
        ws.write_string(0, col, criterion.title, guarded if needs_guard(criterion.title) else bold)
        ws.write_string(1, col, f"c{criterion.id}")
    ws.set_row(1, None, None, {"hidden": True})
    ws.set_column(0, 0, None, None, {"hidden": True})
    ws.set_column(1, 1, 21)
    ws.set_column(2, 2, 32)
    ws.set_column(3, 2 + len(sheet.criteria), 16)
    ws.freeze_panes(2, 3)
    for row, (pid, name, nip) in enumerate(people, start=2):
        ws.write_number(row, 0, pid)
        ws.write_string(row, 1, nip)
        ws.write_string(row, 2, name, guarded if needs_guard(name) else None)
        for col, criterion in enumerate(sheet.criteria, start=3):
            entry = entries.get((pid, criterion.id))
            if entry is not None and entry.score is not None:
                ws.write_number(row, col, float(entry.score), score)
            else:
                ws.write_blank(row, col, None, score)
    meta = book.add_worksheet("tolok")
    meta.write_row(0, 0, ["sheet", sheet.id])
    meta.write_row(1, 0, ["observer", observer_id])
    meta.write_row(2, 0, ["role", observer_role])
    for row, ((pid, cid), entry) in enumerate(sorted(entries.items()), start=3):
        meta.write_row(row, 0, ["v", pid, cid, entry.version, "" if entry.score is None else str(entry.score)])
    meta.hide()
    book.close()
    return out.getvalue()


def _whole(value: object) -> int:
    """A whole number from a cell: openpyxl reads one as int, or as float or text once edited;
    anything else (a date, a formula) is a TypeError, like ``int()`` of it."""
    if isinstance(value, int | float | str | Decimal):
        return int(value)
    raise TypeError(f"not a number: {type(value).__name__}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise DomainError(_l("A score cell holds TRUE/FALSE."))
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return str(value).strip()


def _same(text: str, exported: str) -> bool:
    """Whether a cell still holds what was exported (85 and 85.00 are the same score)."""
    if not text or not exported:
        return text == exported
    try:
        return Decimal(text) == Decimal(exported)
    except ArithmeticError:
        return False


def read(data: bytes, sheet: ScoreSheet) -> tuple[int, str, list[CellInput]]:
    """(observer id, observer role, cells) from a worksheet of ``sheet``; refuses anything else.

    Cells equal to the exported ones are left out, so only what was changed in the file is saved.
    """
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than 5 MB."))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise DomainError(_l("The XLSX file cannot be opened; save it again from your spreadsheet.")) from None
    try:
        if "nilai" not in book.sheetnames or "tolok" not in book.sheetnames:
            raise DomainError(_l("This is not a worksheet Tolok exported for a score sheet."))
        meta: dict[str, Any] = {}
        versions: dict[tuple[int, int], tuple[int, str]] = {}
        meta_ws = book["tolok"]
        meta_ws.reset_dimensions()
        for values in meta_ws.iter_rows(values_only=True, max_row=MAX_ROWS * 40):
            if not values or values[0] is None:
                continue
            if values[0] == "v" and len(values) >= 5:
                versions[(_whole(values[1]), _whole(values[2]))] = (_whole(values[3]), str(values[4] or ""))
            elif len(values) >= 2:
                meta[str(values[0])] = values[1]
        if meta.get("sheet") != sheet.id:
            raise DomainError(_l("This worksheet belongs to another score sheet."))
        ws = book["nilai"]
        ws.reset_dimensions()
        rows = ws.iter_rows(values_only=True)
        next(rows, None)
        ids_row = next(rows, None) or ()
        columns: dict[int, int] = {}
        known = {c.id for c in sheet.criteria}
        for col, value in enumerate(ids_row):
            if isinstance(value, str) and value.startswith("c") and value[1:].isdigit() and int(value[1:]) in known:
                columns[col] = int(value[1:])
        if not columns:
            raise DomainError(_l("The worksheet's criteria do not match this score sheet any more; export it again."))
        cells: list[CellInput] = []
        for number, values in enumerate(rows, start=3):
            if number > MAX_ROWS:
                raise DomainError(_l("The file has more than %(n)s rows.", n=MAX_ROWS))
            if not values or values[0] is None:
                continue
            try:
                pid = _whole(values[0])
            except (TypeError, ValueError):
                raise DomainError(
                    _l("Row %(n)s: the hidden id column was changed; export the worksheet again.", n=number)
                ) from None
            for col, cid in columns.items():
                text = _text(values[col] if col < len(values) else None).replace(",", ".")
                version, exported = versions.get((pid, cid), (0, ""))
                if _same(text, exported):
                    continue
                cells.append(CellInput(pid, cid, text, version))
        observer = meta.get("observer")
        if not isinstance(observer, int):
            raise DomainError(_l("This is not a worksheet Tolok exported for a score sheet."))
        return observer, str(meta.get("role", "")), cells
    finally:
        book.close()
