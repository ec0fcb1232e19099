"""The dashboard: what each person has to do, by the roles they hold."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from lms import db
from lms.cohorts import queries as cohort_queries
from lms.cohorts import services as cohorts
from lms.cohorts.models import Role
from lms.cohorts.rules import remember_roles
from lms.core.access import require
from lms.core.timezones import now_utc
from lms.core.views import reads_only
from lms.grading import queries as grading_queries
from lms.plugins.manager import get_plugin_manager

bp = Blueprint("home", __name__, template_folder="templates")

TEACHING = {Role.INSTRUCTOR, Role.COORDINATOR}


@bp.route("/")
@require("authenticated")
@reads_only
def dashboard():
    # A fixed handful of narrow reads of plain rows, whatever the cohort or the number of visits: the
    # page every person opens first must stay cheap (issue 13). The memberships come with their
    # cohorts in one query, which also fills the rules' cache for the menu.
    user = current_user._get_current_object()
    rows = cohort_queries.cohort_cards_of(db.session, user.id)
    roles: dict[int, set[Role]] = {}
    sections: dict[Role, list] = {Role.PARTICIPANT: [], Role.INSTRUCTOR: [], Role.COORDINATOR: []}
    for row in rows:
        roles.setdefault(row.id, set()).add(Role(row.role))
        if row.role in sections:
            sections[Role(row.role)].append(row)
    remember_roles(user, roles)
    taught = [cid for cid, have in roles.items() if have & TEACHING]
    learning = [row.id for row in sections[Role.PARTICIPANT]]

    widgets = []
    for contributed in get_plugin_manager(current_app).hook.lms_dashboard_widgets(user=user):
        widgets.extend(contributed or [])
    widgets.sort(key=lambda w: w.order)
    now = now_utc()
    due, released = grading_queries.work_of(db.session, user.id, now) if learning else ([], [])
    return render_template(
        "home/dashboard.html",
        user=user,
        sections=sections,
        counts=cohorts.counts_by_cohort(db.session, taught) if taught else {},
        widgets=widgets,
        Role=Role,
        due=due,
        now=now,
        to_grade=grading_queries.awaiting_final_grade(db.session, taught),
        released=released,
    )
