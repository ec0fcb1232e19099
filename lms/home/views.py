"""The dashboard: what each person has to do, by the roles they hold."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from lms import db
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Role
from lms.core import access
from lms.core.access import require

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
@require("authenticated")
def dashboard():
    roles = access.cohort_roles(current_user)
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
    return render_template("home/dashboard.html", sections=sections, counts=counts, widgets=widgets, Role=Role)
