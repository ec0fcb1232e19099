"""``GET /api/v1/cohorts/{cohort_id}/visits``: each visit of a cohort with the program's name for the
activity, its lokus (name, host, date, the groups that go there) and its groups with their members,
for whoever may see the cohort. Read in a fixed number of queries whatever the cohort size."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms import db
from lms.cohorts.models import Cohort
from lms.plugins.api import api_blueprint, token_required
from lms.plugins.types import ApiPaths
from lms.users.models import User
from plugins.benchmarking import settings
from plugins.benchmarking.models import FieldVisit, GroupMember, Lokus, VisitGroup

bp = api_blueprint("benchmarking_visits_api", __name__)


def visits_document(cohort: Cohort) -> dict[str, Any]:
    """The cohort's visits as the API answers them (four queries: visits with hosts, lokus, groups,
    members with their profiles)."""
    visits = db.session.scalars(
        select(FieldVisit)
        .where(FieldVisit.cohort_id == cohort.id)
        .options(
            selectinload(FieldVisit.lokus),
            selectinload(FieldVisit.groups)
            .selectinload(VisitGroup.members)
            .selectinload(GroupMember.user)
            .selectinload(User.profile),
        )
        .order_by(FieldVisit.start_date, FieldVisit.id)
    ).all()
    name = settings.activity_name(db.session, cohort)
    return {
        "cohort": {"id": cohort.id, "title": cohort.title},
        "visits": [_visit(visit, name) for visit in visits],
    }


def _visit(visit: FieldVisit, activity_name: str) -> dict[str, Any]:
    groups_at: dict[int | None, list[VisitGroup]] = {}
    for group in visit.groups:
        groups_at.setdefault(group.lokus_id, []).append(group)
    return {
        "id": visit.id,
        "activity_name": activity_name,
        "theme": visit.theme,
        "start_date": visit.start_date.isoformat(),
        "end_date": visit.end_date.isoformat(),
        "practices_due_on": visit.practices_due_on.isoformat(),
        "min_practices": visit.min_practices,
        "host": {"id": visit.host.id, "name": visit.host.name},
        "lokus": [_lokus(place, groups_at.get(place.id, [])) for place in visit.lokus],
        "groups": [
            {
                "id": group.id,
                "name": group.name,
                "lokus_id": group.lokus_id,
                "leader_id": group.leader_id,
                "members": sorted(
                    (
                        {
                            "id": m.user.id,
                            "name": m.user.name,
                            "instansi": m.user.profile.instansi if m.user.profile else "",
                            "leader": m.user_id == group.leader_id,
                        }
                        for m in group.members
                    ),
                    key=lambda person: (not person["leader"], str(person["name"]).lower(), person["id"]),
                ),
            }
            for group in visit.groups
        ],
    }


def _lokus(place: Lokus, groups: list[VisitGroup]) -> dict[str, Any]:
    return {
        "id": place.id,
        "name": place.name,
        "host": {"id": place.host.id, "name": place.host.name},
        "date": place.visit_date.isoformat() if place.visit_date else None,
        "address": place.address,
        "chosen_for": place.chosen_for,
        "groups": [{"id": g.id, "name": g.name} for g in groups],
    }


@bp.route("/cohorts/<int:cohort_id>/visits")
@token_required("cohort.view", load=Cohort)
def cohort_visits(cohort: Cohort) -> Any:
    return jsonify(visits_document(cohort))


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_REF = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
_DATE = {"type": "string", "format": "date"}

PATHS = ApiPaths(
    paths={
        "/cohorts/{cohort_id}/visits": {
            "get": {
                "operationId": "getCohortVisits",
                "summary": "The cohort's field visits (Studi Lapangan): lokus, the groups that go to each, "
                "and every group's members.",
                "parameters": [{"name": "cohort_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "The visits, earliest first.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CohortVisits"}}},
                    },
                    "401": _error("Missing, unknown or revoked token."),
                    "403": _error("The user is not a participant, instructor or coordinator of this cohort."),
                    "404": _error("No cohort has this id."),
                },
            }
        }
    },
    schemas={
        "CohortVisits": {
            "type": "object",
            "required": ["cohort", "visits"],
            "properties": {
                "cohort": {
                    "type": "object",
                    "required": ["id", "title"],
                    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
                },
                "visits": {"type": "array", "items": {"$ref": "#/components/schemas/Visit"}},
            },
        },
        "Visit": {
            "type": "object",
            "required": [
                "id",
                "activity_name",
                "theme",
                "start_date",
                "end_date",
                "practices_due_on",
                "min_practices",
                "host",
                "lokus",
                "groups",
            ],
            "properties": {
                "id": {"type": "integer"},
                "activity_name": {
                    "type": "string",
                    "description": "What the cohort's program calls the visit: Studi Lapangan (default), "
                    "Benchmarking, Benchlearning…",
                },
                "theme": {"type": "string"},
                "start_date": _DATE,
                "end_date": _DATE,
                "practices_due_on": _DATE,
                "min_practices": {"type": "integer", "minimum": 1},
                "host": _REF,
                "lokus": {"type": "array", "items": {"$ref": "#/components/schemas/Lokus"}},
                "groups": {"type": "array", "items": {"$ref": "#/components/schemas/VisitGroup"}},
            },
        },
        "Lokus": {
            "type": "object",
            "required": ["id", "name", "host", "date", "address", "chosen_for", "groups"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string", "description": "The OPD, unit or host visited."},
                "host": _REF,
                "date": {"type": ["string", "null"], "format": "date"},
                "address": {"type": "string"},
                "chosen_for": {"type": "string", "description": "Markdown: the innovation or award it is chosen for."},
                "groups": {"type": "array", "items": _REF, "description": "The groups that go there."},
            },
        },
        "VisitGroup": {
            "type": "object",
            "required": ["id", "name", "lokus_id", "leader_id", "members"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "lokus_id": {"type": ["integer", "null"]},
                "leader_id": {"type": ["integer", "null"]},
                "members": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "instansi", "leader"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "instansi": {"type": "string"},
                            "leader": {"type": "boolean"},
                        },
                    },
                    "description": "Leader first, then by name.",
                },
            },
        },
    },
)
