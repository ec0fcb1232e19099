"""For coordinators and everyone signed in: a visit's funnel and the practice catalogue."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from lms import db
from lms.cohorts.models import Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import require
from lms.core.forms import int_or_none
from lms.core.pagination import page_arg, paginate
from plugins.benchmarking import implementation, practices, queries
from plugins.benchmarking.models import FieldVisit
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/visits/<int:visit_id>/funnel")
@require("benchmarking.visit.funnel", load=FieldVisit, arg="visit_id")
def funnel(visit: FieldVisit) -> str:
    counts = practices.funnel(db.session, visit)
    page = paginate(
        db.session, practices.funnel_rows(visit), page_arg(request.args), current_app.config["PAGE_SIZE"], scalars=False
    )
    statuses = practices.latest_status(db.session, [p.id for p, _s in page.items])
    people = queries.people_by_id(db.session, {p.participant_id for p, _s in page.items})
    return render_template(
        "benchmarking/funnel.html",
        visit=visit,
        counts=counts,
        page=page,
        rows=page.items,
        statuses=statuses,
        people=people,
        labels=practices.STAGE_LABELS,
        status_labels=practices.STATUS_LABELS,
        top=practices.host_practices(db.session, visit.host_id),
    )


@bp.route("/catalogue")
@require("authenticated")
def catalogue():
    staff = cohort_ids_with(current_user, Role.INSTRUCTOR, Role.COORDINATOR)
    args = {k: request.args.get(k, "") for k in ("q", "host", "category", "stage", "status")}
    stmt = practices.catalogue(
        current_user,
        staff,
        query=args["q"],
        host_id=int_or_none(args["host"]),
        category=args["category"],
        stage=args["stage"],
        status=args["status"],
        dialect=db.session.get_bind().dialect.name,
    )
    page = paginate(db.session, stmt, page_arg(request.args), current_app.config["PAGE_SIZE"], scalars=False)
    statuses = practices.latest_status(db.session, [p.id for p, _v, _live in page.items])
    shown = {p.id: p if live else practices.published_view(p) for p, _v, live in page.items}
    hosts = queries.hosts(db.session, with_archived=True)
    # Planning a visit: what earlier cohorts took from the chosen host and whether it lasted (published
    # practices only, as the list below; one aggregate query).
    host_id = int_or_none(args["host"])
    lasted_host = next((h for h in hosts if h.id == host_id), None)
    lasted = implementation.travelling(db.session, lasted_host.id)[:10] if lasted_host else []
    return render_template(
        "benchmarking/catalogue.html",
        page=page,
        args={k: v for k, v in args.items() if v},
        statuses=statuses,
        shown=shown,
        hosts=hosts,
        lasted=lasted,
        lasted_host=lasted_host,
        categories=practices.CATEGORY_LABELS,
        labels=practices.STAGE_LABELS,
        status_labels=practices.STATUS_LABELS,
    )
