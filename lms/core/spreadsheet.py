"""The one spreadsheet-cell guard (OWASP CSV injection) and the CSV writer every export uses.

A spreadsheet runs a cell as a formula when it starts with ``= + - @``, tab, CR or LF. Excel in an
Indonesian locale splits CSV on ``;``, not ``,``: ``Budi;=1+1;`` becomes the cells ``Budi`` and
``=1+1``, and a comma-separated file read that way ignores the quotes it was written with. So
:func:`guard` puts a ``'`` before every such start: at the beginning of the cell and right after
every ``,`` or ``;`` (and any ``"``) inside it: ``'Budi;'=1+1;``. Every CSV cell is also written in
double quotes. XLSX cells never split; there :func:`needs_guard` picks Excel's invisible
quote-prefix style and the text stays as typed.
"""

from __future__ import annotations

import csv
import re
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


def csv_writer(out: IO[str], delimiter: str = ",") -> Any:
    """A ``csv.writer`` that quotes every cell (see the module docstring), CRLF line ends."""
    return csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
