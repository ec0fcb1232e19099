"""Exports of the cohort result table: CSV, XLSX and PDF. They only format what
:mod:`lms.results.table` built; none of them computes a score.

- :mod:`.columns`: the columns every tabular export shares (one list, in export order);
- :mod:`.as_csv`, :mod:`.as_xlsx`, :mod:`.as_pdf`: one module per format;
- :mod:`.names`: the files' names.
"""

from __future__ import annotations

# Werkzeug adds "; charset=utf-8" to a text type itself: naming it here sent it twice.
FORMATS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}
