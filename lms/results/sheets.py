"""Sheets the enabled plugins add to the XLSX export."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultSheet
from lms.results.table import ResultTable


def extra_sheets(
    session: Session, table: ResultTable, participants: Any, app: Flask | None = None
) -> list[ResultSheet]:
    """Sheets enabled plugins add to the XLSX export, through the ``lms_result_sheets`` hook, for
    the peserta ``participants`` (a SQL select of their ids) selects. Each sheet's rows are an
    iterable the writer consumes row by row after the sheets before it are written: the plugins'
    queries run then, and no sheet is held whole."""
    app = app or current_app
    sheets: list[ResultSheet] = []
    for contributed in get_plugin_manager(app).hook.lms_result_sheets(cohort=table.cohort, participants=participants):
        sheets.extend(contributed or [])
    return sorted(sheets, key=lambda s: s.order)
