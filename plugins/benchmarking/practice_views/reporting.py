"""Reports and grading as programs do them: how a visit grades the individual report, handing in
the individual report as one submission, the seminar (sessions, panel, scores) and the host summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms import db
from lms.assessments.models import Assessment
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form, int_or_none
from lms.core.timezones import local_zone, now_utc, to_utc
from lms.core.views import act, form_page, on_refusal
from lms.users.models import User
from plugins.benchmarking import individual, reports, seminar, summary
from plugins.benchmarking.forms import GradingForm, SeminarSessionForm
from plugins.benchmarking.models import FieldVisit, SeminarSession
from plugins.benchmarking.practice_views.blueprint import bp

# -- how the visit grades ------------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/grading", methods=["GET", "POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def grading_settings(visit: FieldVisit):
    form = GradingForm(obj=visit)
    page = form_page(
        form,
        "benchmarking/grading_settings.html",
        visit=visit,
        locked=individual.graded_work_exists(db.session, visit),
    )
    if form.validate_on_submit():
        individual.set_grading(
            db.session,
            visit,
            current_user,
            report_mode=form.report_mode.data,
            report_weight=form.report_weight.data,
            presentation_weight=form.presentation_weight.data,
        )
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking_practices.grading_settings", visit_id=visit.id), code=303)
    return page()


# -- the individual report as one submission -----------------------------------------------------


@bp.route("/visits/<int:visit_id>/individual-report", methods=["POST"])
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def submit_individual(visit: FieldVisit):
    return act(
        lambda: individual.submit_report(db.session, visit, current_user, now_utc()),
        back=url_for("benchmarking_practices.mine", visit_id=visit.id),
        message=_("Your individual report is handed in with all your practices."),
    )


@bp.route("/assessments/<int:assessment_id>/individual")
@require("assessment.submit", load=Assessment)
def write_individual(assessment: Assessment):
    visit = db.session.scalar(select(FieldVisit).where(FieldVisit.individual_assessment_id == assessment.id))
    if visit is None:
        abort(404)
    return redirect(url_for("benchmarking_practices.mine", visit_id=visit.id))


# -- the seminar ---------------------------------------------------------------------------------


def _choices(visit: FieldVisit) -> tuple[list[Any], list[User]]:
    staff = db.session.scalars(
        select(User).where(User.id.in_(seminar.staff_ids(db.session, visit.cohort_id))).order_by(User.name, User.id)
    )
    return list(visit.groups), list(staff)


def _chosen(visit: FieldVisit) -> tuple[list[int], list[int]]:
    """The groups ticked, by the order typed beside them (then as listed), and the panel ticked."""
    ordered: list[tuple[int, int, int]] = []
    for index, group in enumerate(visit.groups):
        if request.form.get(f"group-{group.id}") == "1":
            ordered.append((int_or_none(request.form.get(f"order-{group.id}")) or 999, index, group.id))
    panel = [n for v in request.form.getlist("panel") if (n := int_or_none(v)) is not None]
    return [gid for _o, _i, gid in sorted(ordered)], panel


def _session_page(visit: FieldVisit, seminar_row: SeminarSession | None):
    form = SeminarSessionForm(obj=seminar_row)
    if seminar_row is not None and request.method == "GET":
        local = seminar_row.starts_at.astimezone(local_zone())
        form.day.data, form.start.data = local.date(), local.time().replace(tzinfo=None)
    groups, staff = _choices(visit)
    page = form_page(
        form,
        "benchmarking/seminar.html",
        visit=visit,
        seminar_row=seminar_row,
        sessions=seminar.sessions_of(db.session, visit.id),
        groups=groups,
        staff=staff,
        presented=seminar.presentation_scores(db.session, [visit.id]),
        progress=seminar.scoring_progress(db.session, visit.id),
    )
    if form.validate_on_submit():
        group_ids, panel_ids = _chosen(visit)
        saved = seminar.save_session(
            db.session,
            seminar_row,
            visit,
            title=form.title.data,
            starts_at=to_utc(datetime.combine(form.day.data, form.start.data)),
            place=form.place.data or "",
            group_ids=group_ids,
            panel_ids=panel_ids,
        )
        flash(_("The seminar session is saved."), "success")
        return redirect(url_for("benchmarking_practices.seminar_page", visit_id=saved.visit_id), code=303)
    return page()


@bp.route("/visits/<int:visit_id>/seminar", methods=["GET", "POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def seminar_page(visit: FieldVisit):
    """The visit's seminar sessions, each group's presentation score, and a new session."""
    return _session_page(visit, None)


@bp.route("/seminar/<int:session_id>/edit", methods=["GET", "POST"])
@require("benchmarking.seminar.manage", load=SeminarSession, arg="session_id")
def edit_session(session: SeminarSession):
    return _session_page(session.visit, session)


@bp.route("/panel")
@require("benchmarking.panel")
def my_panels():
    """The sessions the signed-in staff member sits on the panel of (no one else's)."""
    return render_template(
        "benchmarking/my_panels.html", sessions=seminar.sessions_of_panelist(db.session, current_user.id)
    )


@bp.route("/seminar/<int:session_id>/score", methods=["GET", "POST"])
@require("benchmarking.seminar.score", load=SeminarSession, arg="session_id")
def score_session(session: SeminarSession):
    """A panel member scores each group of their session (0–100, a comment each)."""
    mine = seminar.scores_by(db.session, session.id, current_user.id)
    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)

        def refused(exc: DomainError) -> Any:
            flash(exc.message, "danger")
            return _score_page(session, mine, exc.status, typed=request.form)

        on_refusal(refused)
        inputs = [
            seminar.ScoreInput(
                group_id=slot.group_id,
                score=request.form.get(f"score-{slot.group_id}", ""),
                comment=request.form.get(f"comment-{slot.group_id}", "")[:5000],
                version=int_or_none(request.form.get(f"version-{slot.group_id}")),
            )
            for slot in session.slots
        ]
        seminar.score_groups(db.session, session, current_user, inputs, now_utc())
        flash(_("Your scores are saved."), "success")
        return redirect(url_for("benchmarking_practices.score_session", session_id=session.id), code=303)
    return _score_page(session, mine)


def _score_page(session: SeminarSession, mine: dict, status: int = 200, typed: Any = None) -> Any:
    return render_template("benchmarking/seminar_score.html", seminar_row=session, mine=mine, typed=typed), status


# -- the host summary ----------------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/host-summary.pdf")
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def host_summary_pdf(visit: FieldVisit):
    lokus = summary.lokus_of(db.session, visit, int_or_none(request.args.get("lokus")))
    pdf = summary.render_pdf(summary.gather(db.session, visit, lokus))
    name = f"ringkasan-{visit.id}{f'-lokus-{lokus.id}' if lokus else ''}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.route("/visits/<int:visit_id>/host-summary/send", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def send_host_summary(visit: FieldVisit):
    lokus = summary.lokus_of(db.session, visit, int_or_none(request.form.get("lokus")))
    return act(
        lambda: summary.send(db.session, visit, current_user, lokus),
        back=url_for("benchmarking_practices.seminar_page", visit_id=visit.id),
        message=lambda to: _("The summary is on its way to %(email)s.", email=to),
    )


@bp.app_template_global("benchmarking_report_sections")
def report_sections() -> list[tuple[str, Any]]:
    """The group report's sections and their labels, for the templates."""
    return [(name, reports.SECTION_LABELS[name]) for name in reports.SECTIONS]
