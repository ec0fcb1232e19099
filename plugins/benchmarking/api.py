"""The plugin's read-only API: ``GET /api/v1/hosts/{host_id}/implementation`` (per cohort, the counts
of implementation.by_cohort), with its part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from lms import db
from lms.plugins.api import api_blueprint, token_required
from lms.plugins.types import ApiPaths
from plugins.benchmarking import implementation
from plugins.benchmarking.models import Host
from plugins.benchmarking.rules import implementation_scope

bp = api_blueprint("benchmarking_api", __name__)


@bp.route("/hosts/<int:host_id>/implementation")
@token_required("benchmarking.host.implementation", load=Host)
def host_implementation(host: Host) -> Any:
    rows = implementation.by_cohort(db.session, host.id, implementation_scope(current_user, host))
    return jsonify(
        host={"id": host.id, "name": host.name},
        cohorts=[{"id": r.cohort_id, "title": r.cohort_title, "year": r.year, **r.counts()} for r in rows],
    )


_COUNT = {"type": "integer", "minimum": 0}
PATHS = ApiPaths(
    paths={
        "/hosts/{host_id}/implementation": {
            "get": {
                "operationId": "getHostImplementation",
                "summary": "Per cohort that visited the host: how many practices were identified, adopted, "
                "adapted, implemented at home, sustained at 12 months and confirmed by a mentor.",
                "parameters": [{"name": "host_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "The counts per cohort, oldest first (the cohorts the user may see).",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/HostImplementation"}}
                        },
                    },
                    "401": {
                        "description": "Missing, unknown or revoked token.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                    "403": {
                        "description": "Not an administrator, program manager or coordinator of a cohort that "
                        "visited the host.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                    "404": {
                        "description": "No host has this id.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        }
    },
    schemas={
        "HostImplementation": {
            "type": "object",
            "required": ["host", "cohorts"],
            "properties": {
                "host": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "cohorts": {"type": "array", "items": {"$ref": "#/components/schemas/CohortImplementation"}},
            },
        },
        "CohortImplementation": {
            "type": "object",
            "required": ["id", "title", "year", *implementation.COUNTS],
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "year": {"type": "integer"},
                "identified": {**_COUNT, "description": "Submitted practices logged at the host."},
                "adopted": {**_COUNT, "description": "Of those, to be replicated as they are."},
                "adapted": {**_COUNT, "description": "Of those, changed to fit the home agency."},
                "implemented": {
                    **_COUNT,
                    "description": "Adopted or adapted, reported implemented (or sustained) in a follow-up round.",
                },
                "sustained": {
                    **_COUNT,
                    "description": "Adopted or adapted, still implemented in a round of 12 months or more.",
                },
                "confirmed_by_mentor": {
                    **_COUNT,
                    "description": "Implemented, and the peserta's mentor confirmed that report.",
                },
            },
        },
    },
)
