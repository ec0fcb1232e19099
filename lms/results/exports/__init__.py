"""Exports of the cohort result table: CSV, XLSX and PDF. They only format what
:mod:`lms.results.table` built; none of them computes a score.

- :mod:`.columns`: the columns every tabular export shares (one list, in export order);
- :mod:`.as_csv`, :mod:`.as_xlsx`, :mod:`.as_pdf`: one module per format;
- :mod:`.names`: the files' names.
"""

from __future__ import annotations

# Werkzeug adds "; charset=utf-8" to a text type itself: naming it here sent it twice.
# "csv-id": the CSV that Excel in an Indonesian locale opens (lms.core.spreadsheet.EXCEL_ID).
FORMATS = {
    "csv": "text/csv",
    "csv-id": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

# The largest cohort whose CSV or XLSX the results page offers as a download in the request; above
# it, the page starts a background job (the PDF is always one). Measured on PostgreSQL with the
# bench data (bench/README.md): 3,000 peserta take about 1 s as CSV and 8–10 s as XLSX.
INLINE_LIMIT = {"csv": 20000, "csv-id": 20000, "xlsx": 500, "pdf": 0}


def inline(fmt: str, participants: int) -> bool:
    """Whether a cohort of ``participants`` gets its ``fmt`` export in the request (else: a job)."""
    return participants <= INLINE_LIMIT.get(fmt, 0)


# A format's file name extension, where it is not the format's own name.
EXTENSIONS = {"csv-id": "csv"}
