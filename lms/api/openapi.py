"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json and validated in tests.

Schemas are JSON Schema 2020-12 (as OpenAPI 3.1 wants), so the tests also check real responses
against them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lms.plugins.types import ApiPaths

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {
                "type": "string",
                "description": "A stable code: missing_token, invalid_token, forbidden, not_found…",
            },
            "message": {"type": "string", "description": "What went wrong, in the server's language."},
        },
    },
    "Cohort": {
        "type": "object",
        "required": [
            "id",
            "program",
            "name",
            "year",
            "title",
            "start_date",
            "end_date",
            "location",
            "status",
            "roles",
            "results_available",
        ],
        "properties": {
            "id": {"type": "integer"},
            "program": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
            "name": {"type": "string", "description": "The angkatan, e.g. 'Angkatan XII'."},
            "year": {"type": "integer"},
            "title": {"type": "string"},
            "start_date": {"type": ["string", "null"], "format": "date"},
            "end_date": {"type": ["string", "null"], "format": "date"},
            "location": {"type": "string"},
            "status": {"enum": ["planned", "running", "closed"]},
            "roles": {
                "type": "array",
                "items": {"enum": ["participant", "instructor", "coordinator"]},
                "description": "The token user's roles in the cohort (empty for an administrator).",
            },
            "results_available": {
                "type": "boolean",
                "description": "Whether /cohorts/{id}/results answers for this user.",
            },
        },
    },
    "CohortList": {
        "type": "object",
        "required": ["cohorts"],
        "properties": {"cohorts": {"type": "array", "items": _ref("Cohort")}},
    },
    "Assessment": {
        "type": "object",
        "required": ["id", "title", "kind", "weight", "aggregation", "best_n"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"type": "string"},
            "weight": {"type": "number", "minimum": 0, "description": "Weight in the final score; 0 does not count."},
            "aggregation": {"enum": ["mean", "best"]},
            "best_n": {"type": "integer", "minimum": 1},
        },
    },
    "Column": {
        "type": "object",
        "required": ["key", "label", "kind"],
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string"},
            "kind": {"enum": ["number", "score", "text"]},
        },
        "description": "A column a plugin adds (e.g. benchmarking practices per stage).",
    },
    "Score": {
        "type": "object",
        "required": ["assessment_id", "status", "score"],
        "properties": {
            "assessment_id": {"type": "integer"},
            "status": {
                "enum": ["scored", "unscored", "not_graded", "not_submitted"],
                "description": "scored: released grade(s) with a score; unscored: released feedback "
                "without a score; not_graded: handed in, no released grade; "
                "not_submitted: nothing handed in.",
            },
            "score": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "0–100, two decimals; null unless status is scored (never 0 for missing work).",
            },
        },
    },
    "Participant": {
        "type": "object",
        "required": [
            "id",
            "nip",
            "name",
            "instansi",
            "unit",
            "jabatan",
            "golongan",
            "scores",
            "final_score",
            "complete",
            "predicate",
            "rank",
            "columns",
            "outcome",
            "outcome_reasons",
            "components",
            "attendance_percent",
            "certificate",
        ],
        "properties": {
            "id": {"type": "integer"},
            "nip": {"type": "string", "description": "18 digits, no spaces (empty when unknown)."},
            "name": {"type": "string"},
            "instansi": {"type": "string"},
            "unit": {"type": "string"},
            "jabatan": {"type": "string"},
            "golongan": NULLABLE_STRING,
            "scores": {"type": "array", "items": _ref("Score")},
            "final_score": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "Σ weight·score ÷ Σ weight over weighted assessments; null until "
                "every weighted assessment has a score.",
            },
            "complete": {"type": "boolean"},
            "predicate": NULLABLE_STRING,
            "rank": {"type": ["integer", "null"], "minimum": 1, "description": "Equal final scores share a rank."},
            "columns": {
                "type": "object",
                "additionalProperties": {"type": ["number", "string", "null"]},
                "description": "Plugin column values by column key; null means nothing yet.",
            },
            "outcome": {
                "enum": ["lulus", "tidak_lulus", "ditunda"],
                "description": "lulus: passed; tidak_lulus: failed (a component or attendance under its "
                "minimum, or a disciplinary decision); ditunda: pending (work not graded "
                "yet, an extension open, attendance not recorded).",
            },
            "outcome_reasons": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Why the outcome is not lulus, in the caller's language; empty for lulus.",
            },
            "components": {
                "type": "array",
                "items": _ref("Component"),
                "description": "The program's result components in order; final_score is "
                "Σ weight·score ÷ 100 over them, rounded once, half-up.",
            },
            "attendance_percent": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "JP attended ÷ JP recorded × 100; null while nothing is recorded.",
            },
            "certificate": {
                "oneOf": [{"type": "null"}, _ref("Certificate")],
                "description": "The peserta's certificate; null until one is issued (lulus only).",
            },
        },
    },
    "Component": {
        "type": "object",
        "required": ["name", "weight", "score"],
        "properties": {
            "key": {"type": "string", "description": "The component's code, stable across definition versions."},
            "name": {"type": "string"},
            "weight": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 100,
                "description": "Weight in the final score; a definition's weights add up to 100.",
            },
            "minimum": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "A score under this fails the peserta; null: no minimum.",
            },
            "score": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "Two decimals; null while any of its work has no score (never 0).",
            },
        },
    },
    "Certificate": {
        "type": "object",
        "required": ["number", "verify_url"],
        "properties": {"number": {"type": "string"}, "verify_url": {"type": "string", "format": "uri"}},
    },
    "Results": {
        "type": "object",
        "required": ["cohort", "generated_at", "rules", "assessments", "columns", "participants", "page"],
        "properties": {
            "cohort": {
                "type": "object",
                "required": ["id", "title", "program", "name", "year"],
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "program": {"type": "string"},
                    "name": {"type": "string"},
                    "year": {"type": "integer"},
                },
            },
            "generated_at": {"type": "string", "format": "date-time"},
            "rules": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "assessments": {"type": "array", "items": _ref("Assessment")},
            "columns": {"type": "array", "items": _ref("Column")},
            "participants": {
                "type": "array",
                "items": _ref("Participant"),
                "description": "One page of participants: ranked ones first by rank, then the rest "
                "by name (ranks are places in the whole cohort).",
            },
            "page": {
                "type": "object",
                "required": ["limit", "next_cursor", "total"],
                "properties": {
                    "limit": {"type": "integer", "minimum": 1, "maximum": 500},
                    "next_cursor": {
                        "type": ["string", "null"],
                        "description": "Pass as `cursor` for the next page; null on the last.",
                    },
                    "total": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Participants in the cohort (every page together).",
                    },
                },
            },
        },
    },
}


def document(contributed: Iterable[Iterable[ApiPaths] | None] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document (servers relative to the host that serves it), with the paths and
    schemas plugins contribute (``lms_api_paths``); a plugin cannot replace a core path or schema."""
    spec = _core()
    for paths in contributed:
        for part in paths or ():
            for kind, mapping in (("paths", part.paths), ("schemas", part.schemas)):
                target = spec["paths"] if kind == "paths" else spec["components"]["schemas"]
                clash = set(mapping) & set(target)
                if clash:
                    raise ValueError(f"a plugin's API {kind} clash with existing ones: {sorted(clash)}")
                target.update(mapping)
    return spec


def _core() -> dict[str, Any]:
    unauthorized = _error_response("Missing, unknown or revoked token.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tolok API",
            "version": VERSION,
            "summary": "Read-only access to cohorts and their results.",
            "description": "Create a token on your profile page (or `flask --app wsgi lms token create --email E`) "
            "and send it as `Authorization: Bearer <token>`. Scores count released grades only.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/cohorts": {
                "get": {
                    "operationId": "listCohorts",
                    "summary": "The cohorts the token's user may see.",
                    "responses": {
                        "200": {
                            "description": "The cohorts, newest year first.",
                            "content": {"application/json": {"schema": _ref("CohortList")}},
                        },
                        "401": unauthorized,
                    },
                },
            },
            "/cohorts/{cohort_id}/results": {
                "get": {
                    "operationId": "getCohortResults",
                    "summary": "The cohort's result table: the same numbers as the CSV, XLSX and PDF exports.",
                    "parameters": [
                        {"name": "cohort_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                            "description": "Participants per page.",
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "The `page.next_cursor` of the previous page; none for the first.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of the result table.",
                            "content": {"application/json": {"schema": _ref("Results")}},
                        },
                        "400": _error_response("A limit out of range, or a cursor this API did not hand out."),
                        "401": unauthorized,
                        "403": _error_response("The user is not an instructor or coordinator of this cohort."),
                        "404": _error_response("No cohort has this id."),
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A Tolok API token (tolok_…)."}
            },
            "schemas": dict(SCHEMAS),
        },
    }
