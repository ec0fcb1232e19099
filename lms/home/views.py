"""The dashboard: what each person has to do, by the roles they hold."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from lms import db
from lms.assessments.models import Assessment, Extension, Submission
from lms.assessments.services import extensions_for, latest_submissions
from lms.cohorts import queries as cohort_queries
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_roles
from lms.core.access import require
from lms.core.timezones import now_utc
from lms.grading import queries as grading_queries
from lms.grading.models import Grade, GradeStatus
from lms.plugins.manager import get_plugin_manager

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
@require("authenticated")
def dashboard():
    roles = cohort_roles(current_user)
    ids = list(roles)
    items = cohort_queries.cohorts_by_id(db.session, ids)
    counts = cohorts.counts_by_cohort(db.session, [c.id for c in items])
    sections = {
        Role.PARTICIPANT: [c for c in items if Role.PARTICIPANT in roles[c.id]],
        Role.INSTRUCTOR: [c for c in items if Role.INSTRUCTOR in roles[c.id]],
        Role.COORDINATOR: [c for c in items if Role.COORDINATOR in roles[c.id]],
    }

    widgets = []
    for contributed in get_plugin_manager(current_app).hook.lms_dashboard_widgets(user=current_user):
        widgets.extend(contributed or [])
    widgets.sort(key=lambda w: w.order)
    due, extended = _due_for(sections[Role.PARTICIPANT])
    return render_template(
        "home/dashboard.html",
        sections=sections,
        counts=counts,
        widgets=widgets,
        Role=Role,
        due=due,
        extended=extended,
        now=now_utc(),
        to_grade=_to_grade(roles),
        released=_released_for(sections[Role.PARTICIPANT]),
    )


def _due_for(cohorts_: list[Cohort]) -> tuple[list[Any], dict[int, Any]]:
    """The participant's open assessments that are not handed in, soonest first, and their own
    extended cut-offs (three queries): an extension keeps work open after everyone else's cut-off."""
    if not cohorts_:
        return [], {}
    now = now_utc()
    extended_open = db.session.scalars(
        select(Extension.assessment_id).where(Extension.participant_id == current_user.id, Extension.cutoff_at > now)
    ).all()
    items = db.session.scalars(
        select(Assessment)
        .where(
            Assessment.cohort_id.in_([c.id for c in cohorts_]),
            Assessment.due_at.is_not(None),
            (Assessment.cutoff_at.is_(None)) | (Assessment.cutoff_at > now) | Assessment.id.in_(extended_open),
        )
        .order_by(Assessment.due_at)
        .limit(20)
    ).all()
    ids = [a.id for a in items]
    mine = latest_submissions(db.session, ids, current_user.id)
    due = [(a, mine.get(a.id)) for a in items if a.id not in mine or mine[a.id].state != "submitted"][:5]
    return due, extensions_for(db.session, current_user.id, [a.id for a, _s in due])


def _released_for(cohorts_: list[Cohort]) -> list[tuple[Any, Any]]:
    """The participant's released grades, newest first, with their assessment (one query)."""
    if not cohorts_:
        return []
    rows = db.session.execute(
        select(Assessment, Grade)
        .join(Submission, Submission.assessment_id == Assessment.id)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Assessment.cohort_id.in_([c.id for c in cohorts_]),
            Submission.participant_id == current_user.id,
            Grade.status == GradeStatus.RELEASED,
        )
        .order_by(Grade.released_at.desc())
        .limit(10)
    ).all()
    return list(rows)


def _to_grade(roles: dict) -> int:
    """Submitted work without a final grade in the cohorts the user teaches or coordinates."""
    taught = [cid for cid, have in roles.items() if have & {Role.INSTRUCTOR, Role.COORDINATOR}]
    return grading_queries.awaiting_final_grade(db.session, taught)
