"""CSV: UTF-8 with a BOM (so Excel reads the encoding right), every cell quoted; text cells go
through the OWASP formula guard (:func:`lms.core.spreadsheet.guard`). In the ``csv`` dialect
(for programs) comma-separated with a decimal point; in ``csv-id`` (Excel in an Indonesian locale)
semicolon-separated with a decimal comma and the NIP as text (:class:`lms.core.spreadsheet.CsvDialect`).

Each column's formatter is built once per export (markers translated and guarded once, the
dialect's number form bound), so a row costs one call per cell."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from lms.core.scores import half_up
from lms.core.spreadsheet import PLAIN, CsvDialect, csv_writer, guard
from lms.results.exports.columns import Column, ExportRow, Marker, columns, export_row
from lms.results.table import ResultTable

SCORES_KEPT = 10_001  # written scores kept per column: every two-place value from 0 to 100


def _formatter(column: Column, dialect: CsvDialect) -> Callable[[ExportRow], str]:
    """The column's cell as CSV text: a function of the row, with everything else decided here."""
    value, kind = column.value, column.kind
    markers: dict[Marker, str] = {}  # a column's markers are few: each guarded once

    def marker(m: Marker) -> str:
        text = markers.get(m)
        if text is None:
            text = markers[m] = guard(m.text)
        return text

    if kind == "score":
        number = dialect.number
        # Scores repeat (two places between 0 and 100): each distinct value is rounded and written
        # once per column. The text depends on the value only (87.5 and 87.50 are one key).
        shown: dict[Any, str] = {}

        def score(row: ExportRow) -> str:
            v = value(row)
            if v is None:
                return ""
            if v.__class__ is Marker:
                return marker(v)
            text = shown.get(v)
            if text is None:
                text = number(half_up(v))
                if len(shown) < SCORES_KEPT:
                    shown[v] = text
            return text

        return score
    if kind in ("number", "int"):
        number = dialect.number

        def numeric(row: ExportRow) -> str:
            v = value(row)
            if v is None:
                return ""
            if v.__class__ is Marker:
                return marker(v)
            if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
                return number(v)
            return guard(str(v))

        return numeric
    if kind == "nip":
        identifier = dialect.identifier
        return lambda row: identifier(value(row))

    def text(row: ExportRow) -> str:
        v = value(row)
        if v is None:
            return ""
        if v.__class__ is Marker:
            return marker(v)
        return guard(v)

    return text


# Characters per piece of a streamed CSV: the buffer holds 4 bytes a character (and the piece is
# copied out), so 64 K characters were ~0.5 MB at the peak; 16 K are as fast.
CHUNK = 16 * 1024


def csv_chunks(
    table: ResultTable, dialect: CsvDialect = PLAIN, rows: Iterable[ExportRow] | None = None
) -> Iterator[str]:
    """The results sheet as CSV, in pieces of about :data:`CHUNK` characters as the rows are
    written: a response or a file takes them one by one, and the whole text is never held.
    ``rows``: the records as they are read (:func:`lms.results.stored.export_rows`), else the
    table's rows."""
    source = iter((export_row(table, r) for r in table.rows) if rows is None else rows)
    first = next(source, None)  # a streamed read knows the plugins' columns once it has begun
    cols = columns(table)
    cells = [_formatter(c, dialect) for c in cols]
    buffer = io.StringIO(newline="")
    buffer.write("\ufeff")
    writer = csv_writer(buffer, dialect=dialect)
    writer.writerow([guard(c.header) for c in cols])
    writerow = writer.writerow
    for row in itertools.chain([first] if first is not None else [], source):
        writerow([cell(row) for cell in cells])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(
    table: ResultTable, out: IO[str], dialect: CsvDialect = PLAIN, rows: Iterable[ExportRow] | None = None
) -> None:
    """The results sheet as CSV into ``out``, a text stream (opened with ``newline=""``)."""
    for chunk in csv_chunks(table, dialect, rows):
        out.write(chunk)
