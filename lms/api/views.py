"""The read-only JSON API under /api/v1: bearer tokens, no cookies, no CSRF.

Every endpoint declares its access rule like the HTML views do: :func:`token_required` sets the
request's user from the ``Authorization: Bearer`` token and asks :func:`lms.core.access.can`.
A missing, unknown or revoked token is a 401; a cohort the user may not see a 403; an unknown one a
404 — all as JSON ``{"error": ..., "message": ...}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.api.openapi import document
from lms.api.tokens import api_blueprint, token_required
from lms.cohorts import queries as cohort_queries
from lms.cohorts.models import Cohort
from lms.cohorts.rules import cohort_roles, roles_in
from lms.core import access
from lms.core.access import PUBLIC, require
from lms.core.errors import problem
from lms.plugins.manager import get_plugin_manager
from lms.results.screen import BadCursor, results_after
from lms.results.table import CellState, ResultRow, ResultTable

bp = api_blueprint("api", __name__)  # bearer tokens only: no cookies, no CSRF (lms.api.tokens)
DEFAULT_LIMIT, MAX_LIMIT = 100, 500  # result rows per page

# -- documents -----------------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _plugin_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "score":
        return float(Decimal(str(value)))
    if kind == "number" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value if isinstance(value, int) else float(value)
    return str(value)


def cohort_document(cohort: Cohort, user: Any) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "program": {"code": cohort.program.code, "name": cohort.program.name},
        "name": cohort.name,
        "year": cohort.year,
        "title": cohort.title,
        "start_date": cohort.start_date.isoformat() if cohort.start_date else None,
        "end_date": cohort.end_date.isoformat() if cohort.end_date else None,
        "location": cohort.location,
        "status": cohort.status.value,
        "roles": sorted(r.value for r in roles_in(user, cohort)),
        "results_available": access.can(user, "results.view", cohort),
    }


def _outcome_fields(row: ResultRow) -> dict[str, Any]:
    """The final result of one row (issue 15): outcome with reasons, components, attendance, certificate."""
    outcome = row.outcome
    return {
        "outcome": outcome.status if outcome else None,
        "outcome_reasons": list(outcome.reasons) if outcome else [],
        "components": [
            {
                "key": c.key,
                "name": c.name,
                "weight": float(c.weight),
                "minimum": _number(c.minimum),
                "score": _number(c.score),
            }
            for c in (outcome.components if outcome else [])
        ],
        "attendance_percent": _number(outcome.attendance_percent) if outcome else None,
        "certificate": {"number": row.certificate.number, "verify_url": row.certificate.verify_url}
        if row.certificate
        else None,
    }


def results_document(table: ResultTable) -> dict[str, Any]:
    """The result table as JSON: the numbers the screen and the exports show."""
    cohort = table.cohort
    return {
        "cohort": {
            "id": cohort.id,
            "title": cohort.title,
            "program": cohort.program.code,
            "name": cohort.name,
            "year": cohort.year,
        },
        "generated_at": table.generated_at.isoformat(),
        "rules": {"released_grades_only": True, "final_requires_every_weighted_assessment": True},
        "assessments": [
            {
                "id": a.id,
                "title": a.title,
                "kind": a.kind,
                "weight": float(a.weight),
                "aggregation": a.aggregation,
                "best_n": a.best_n,
            }
            for a in table.assessments
        ],
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "participants": [
            {
                "id": row.participant_id,
                "nip": row.nip,
                "name": row.name,
                "instansi": row.instansi,
                "unit": row.unit,
                "jabatan": row.jabatan,
                "golongan": row.golongan or None,
                "scores": [
                    {
                        "assessment_id": a.id,
                        "status": row.cells[a.id].state.value,
                        "score": _number(row.cells[a.id].score) if row.cells[a.id].state == CellState.SCORED else None,
                    }
                    for a in table.assessments
                ],
                "final_score": _number(row.final),
                "complete": row.complete,
                "predicate": row.predicate,
                "rank": row.rank,
                "columns": {c.key: _plugin_value(c.kind, row.extra.get(c.key)) for c in table.columns},
                **_outcome_fields(row),
            }
            for row in table.rows
        ],
    }


# -- endpoints -----------------------------------------------------------------------------------


@bp.route("/cohorts")
@token_required("api.token")
def cohorts():
    user = current_user
    items = [
        c
        for c in cohort_queries.visible_cohorts(db.session, user, cohort_roles(user))
        if access.can(user, "cohort.view", c)
    ]
    return jsonify(cohorts=[cohort_document(c, user) for c in items])


@bp.route("/cohorts/<int:cohort_id>/results")
@token_required("results.view", load=Cohort)
def cohort_results(cohort: Cohort) -> Any:
    """One page of the result table: ``limit`` rows (default 100, at most 500) after ``cursor``."""
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        return problem(400, "bad_limit", _("limit must be a whole number from 1 to %(max)s.", max=MAX_LIMIT))
    limit = int(raw)
    try:
        table, following, total = results_after(db.session, cohort, request.args.get("cursor") or None, limit)
    except BadCursor:
        return problem(400, "bad_cursor", _("The cursor is not one this API handed out; start without it."))
    return jsonify(results_document(table) | {"page": {"limit": limit, "next_cursor": following, "total": total}})


@bp.route("/openapi.json")
@require(PUBLIC)
def openapi():
    return jsonify(document(get_plugin_manager(current_app).hook.lms_api_paths()))
