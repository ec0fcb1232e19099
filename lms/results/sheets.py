"""Sheets the enabled plugins add to the XLSX export."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session

from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultSheet
from lms.results.table import ResultTable


def extra_sheets(
    session: Session, table: ResultTable, app: Flask | None = None, participant_ids: list[int] | None = None
) -> list[ResultSheet]:
    """Sheets enabled plugins add to the XLSX export, through the batched ``lms_result_sheets`` hook,
    for ``participant_ids`` (default: the table's rows)."""
    app = app or current_app
    ids = participant_ids if participant_ids is not None else [r.participant_id for r in table.rows]
    sheets: list[ResultSheet] = []
    for contributed in get_plugin_manager(app).hook.lms_result_sheets(cohort=table.cohort, participant_ids=ids):
        sheets.extend(contributed or [])
    return sorted(sheets, key=lambda s: s.order)
