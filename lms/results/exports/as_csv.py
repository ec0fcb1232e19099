"""CSV: UTF-8 with a BOM (so Excel reads the encoding right), comma-separated, numbers with a
decimal point, every cell quoted; text cells go through the OWASP formula guard
(:func:`lms.core.spreadsheet.guard`)."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from lms.core.scores import half_up
from lms.core.spreadsheet import csv_writer, guard
from lms.results.exports.columns import Marker, columns
from lms.results.table import ResultTable


def _csv_value(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Marker):
        return guard(value.text)
    if kind == "score":
        return str(half_up(value))
    if kind in ("number", "int") and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return guard(str(value))


def write_csv(table: ResultTable, out: IO[str]) -> None:
    """The results sheet as CSV; ``out`` is a text stream (opened with ``newline=""``)."""
    cols = columns(table)
    out.write("\ufeff")
    writer = csv_writer(out)
    writer.writerow([guard(c.header) for c in cols])
    for row in table.rows:
        writer.writerow([_csv_value(c.kind, c.value(row)) for c in cols])
