"""CSV: UTF-8 with a BOM (so Excel reads the encoding right), every cell quoted; text cells go
through the OWASP formula guard (:func:`lms.core.spreadsheet.guard`). In the ``csv`` dialect
(for programs) comma-separated with a decimal point; in ``csv-id`` (Excel in an Indonesian locale)
semicolon-separated with a decimal comma and the NIP as text (:class:`lms.core.spreadsheet.CsvDialect`)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from lms.core.scores import half_up
from lms.core.spreadsheet import PLAIN, CsvDialect, csv_writer, guard
from lms.results.exports.columns import Marker, columns
from lms.results.table import ResultRow, ResultTable


def _csv_value(kind: str, value: Any, dialect: CsvDialect) -> str:
    if value is None:
        return ""
    if isinstance(value, Marker):
        return guard(value.text)
    if kind == "score":
        return dialect.number(half_up(value))
    if kind in ("number", "int") and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return dialect.number(value)
    if kind == "nip":
        return dialect.identifier(value)
    return guard(str(value))


CHUNK = 64 * 1024  # characters per piece of a streamed CSV


def csv_chunks(
    table: ResultTable, dialect: CsvDialect = PLAIN, rows: Iterable[ResultRow] | None = None
) -> Iterator[str]:
    """The results sheet as CSV, in pieces of about :data:`CHUNK` characters as the rows are
    written: a response or a file takes them one by one, and the whole text is never held.
    ``rows``: the rows as they are read (:func:`lms.results.stored.stream`), else the table's."""
    source = iter(table.rows if rows is None else rows)
    first = next(source, None)  # a streamed read knows the plugins' columns once it has begun
    cols = columns(table)
    buffer = io.StringIO(newline="")
    buffer.write("\ufeff")
    writer = csv_writer(buffer, dialect=dialect)
    writer.writerow([guard(c.header) for c in cols])
    for row in itertools.chain([first] if first is not None else [], source):
        writer.writerow([_csv_value(c.kind, c.value(row), dialect) for c in cols])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(
    table: ResultTable, out: IO[str], dialect: CsvDialect = PLAIN, rows: Iterable[ResultRow] | None = None
) -> None:
    """The results sheet as CSV into ``out``, a text stream (opened with ``newline=""``)."""
    for chunk in csv_chunks(table, dialect, rows):
        out.write(chunk)
