"""The dashboard: what each person has to do, by the roles they hold."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from lms import db
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_roles
from lms.core.access import require

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
@require("authenticated")
def dashboard():
    roles = cohort_roles(current_user)
    ids = list(roles)
    items = db.session.scalars(select(Cohort).where(Cohort.id.in_(ids)).order_by(Cohort.year.desc(), Cohort.name)).all() if ids else []
    counts = cohorts.counts_by_cohort(db.session, [c.id for c in items])
    sections = {
        Role.PARTICIPANT: [c for c in items if Role.PARTICIPANT in roles[c.id]],
        Role.INSTRUCTOR: [c for c in items if Role.INSTRUCTOR in roles[c.id]],
        Role.COORDINATOR: [c for c in items if Role.COORDINATOR in roles[c.id]],
    }
    from lms.plugins.manager import get_plugin_manager

    widgets = []
    for contributed in get_plugin_manager(current_app).hook.lms_dashboard_widgets(user=current_user):
        widgets.extend(contributed or [])
    widgets.sort(key=lambda w: w.order)
    return render_template("home/dashboard.html", sections=sections, counts=counts, widgets=widgets, Role=Role,
                           due=_due_for(sections[Role.PARTICIPANT]), to_grade=_to_grade(roles))


def _due_for(cohorts_: list[Cohort]) -> list:
    """The participant's open assessments that have no submission yet, soonest first (two queries)."""
    from lms.assessments.models import Assessment
    from lms.assessments.services import latest_submissions
    from lms.core.timezones import now_utc

    if not cohorts_:
        return []
    now = now_utc()
    items = db.session.scalars(
        select(Assessment).where(Assessment.cohort_id.in_([c.id for c in cohorts_]), Assessment.due_at.is_not(None),
                                 (Assessment.cutoff_at.is_(None)) | (Assessment.cutoff_at > now))
        .order_by(Assessment.due_at).limit(20)).all()
    mine = latest_submissions(db.session, [a.id for a in items], current_user.id)
    return [(a, mine.get(a.id)) for a in items if a.id not in mine or mine[a.id].state != "submitted"][:5]


def _to_grade(roles: dict) -> int:
    """Submitted work without a final grade in the cohorts the user teaches or coordinates."""
    from sqlalchemy import func

    from lms.assessments.models import Assessment, Submission, SubmissionState
    from lms.grading.models import Grade, GradeStatus

    taught = [cid for cid, have in roles.items() if have & {Role.INSTRUCTOR, Role.COORDINATOR}]
    if not taught:
        return 0
    # NOT EXISTS: an anti-join over the (assessment_id, state) index, where "LEFT JOIN … IS NULL OR
    # draft" made PostgreSQL fetch every submission of the cohort with its grade.
    final = select(Grade.id).where(Grade.submission_id == Submission.id, Grade.status != GradeStatus.DRAFT)
    return db.session.scalar(
        select(func.count()).select_from(Submission).join(Assessment, Assessment.id == Submission.assessment_id)
        .where(Assessment.cohort_id.in_(taught), Submission.state == SubmissionState.SUBMITTED,
               ~final.exists())) or 0
