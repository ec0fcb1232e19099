"""The one spreadsheet-cell guard (OWASP CSV injection) and the CSV writer every export uses.

A spreadsheet runs a cell as a formula when it starts with ``= + - @``, tab, CR or LF. Excel in an
Indonesian locale splits CSV on ``;``, not ``,``: ``Budi;=1+1;`` becomes the cells ``Budi`` and
``=1+1``, and a comma-separated file read that way ignores the quotes it was written with. So
:func:`guard` puts a ``'`` before every such start: at the beginning of the cell and right after
every ``,`` or ``;`` (and any ``"``) inside it: ``'Budi;'=1+1;``. Every CSV cell is also written in
double quotes. XLSX cells never split; there :func:`needs_guard` picks Excel's invisible
quote-prefix style and the text stays as typed.

A CSV file is written in one of two dialects (:class:`CsvDialect`): ``csv`` for programs (``,`` and a
decimal point) and ``csv-id`` for Excel in an Indonesian locale (``;``, a decimal comma, and
identifiers such as the 18-digit NIP as ``="…"``, the one form Excel opens as text: a bare NIP
becomes ``1,98710E+17``). Both start with a UTF-8 byte-order mark.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_EMBEDDED = re.compile(r'[,;]"*[=+\-@\t\r\n]')
# Where guard() inserts a quote: the start of the cell or after a separator, before a formula
# start or a quote (escaping the quote itself is what makes unguard() exact).
_GUARD_AT = re.compile(r'(^|[,;])("*)(?=[=+\-@\t\r\n\'])')
_GUARDED_AT = re.compile(r'(^|[,;])("*)\'(?=[=+\-@\t\r\n\'])')


def needs_guard(text: str) -> bool:
    """True when a spreadsheet could read ``text`` (or a separator-split part of it) as a formula."""
    if text.startswith(FORMULA_STARTS) or text.lstrip('"').startswith(FORMULA_STARTS):
        return True
    return ("," in text or ";" in text) and _EMBEDDED.search(text) is not None


def guard(text: Any) -> str:
    """A CSV text cell a spreadsheet shows, never runs: a ``'`` before each place a formula could
    start, whichever separator the reader splits on. Plain text comes back unchanged."""
    text = "" if text is None else str(text)
    if not ("'" in text or needs_guard(text)):
        return text
    return _GUARD_AT.sub(r"\1\2'", text)


def unguard(cell: str) -> str:
    """Undo :func:`guard` on a cell read back from a file Tolok wrote."""
    return _GUARDED_AT.sub(r"\1\2", cell) if "'" in cell else cell


_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written for its reader: separator, decimal mark, identifiers."""

    name: str
    delimiter: str
    decimal: str
    # Digit-only identifiers as ="…": text for Excel (which evaluates it), never a number.
    text_formula_ids: bool

    def number(self, value: int | float | Decimal) -> str:
        """A number as the reader parses it: no thousands separator, this dialect's decimal mark."""
        return str(value).replace(".", self.decimal)

    def identifier(self, text: Any) -> str:
        """A code made of digits (NIP) that must stay text, with its leading zeros and all 18 digits.

        ``="…"`` is a formula, but only ever of digits: the guard's reason to refuse formulas (a
        typed ``=HYPERLINK(…)``) cannot arise. Anything else goes through :func:`guard`.
        """
        text = "" if text is None else str(text)
        if self.text_formula_ids and _DIGITS.fullmatch(text):
            return f'="{text}"'
        return guard(text)


PLAIN = CsvDialect(name="csv", delimiter=",", decimal=".", text_formula_ids=False)
EXCEL_ID = CsvDialect(name="csv-id", delimiter=";", decimal=",", text_formula_ids=True)
DIALECTS = {d.name: d for d in (PLAIN, EXCEL_ID)}


def csv_writer(out: IO[str], delimiter: str = ",", dialect: CsvDialect | None = None) -> Any:
    """A ``csv.writer`` that quotes every cell (see the module docstring), CRLF line ends.

    With a ``dialect``, its separator (``delimiter`` is for files of a fixed shape, e.g. a rubric).
    """
    separator = dialect.delimiter if dialect is not None else delimiter
    return csv.writer(out, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
