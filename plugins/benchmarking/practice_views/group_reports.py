"""A visit group's report: written together, submitted for grading, adjusted per member."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.assessments import services as assessments
from lms.core import access
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form, int_or_none
from lms.core.timezones import now_utc
from lms.core.views import act, on_refusal
from lms.grading import services as grading
from lms.grading.models import GradeStatus
from plugins.benchmarking import queries, reports, seminar
from plugins.benchmarking.forms import AdjustmentForm
from plugins.benchmarking.models import VisitGroup
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/groups/<int:group_id>/report", methods=["GET", "POST"])
@require("benchmarking.group.member", load=VisitGroup, arg="group_id")
def group_report(group: VisitGroup):
    member_ids = [m.user_id for m in group.members]
    options = queries.practices_of_people(db.session, group.visit_id, member_ids)
    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)
        chosen = [n for v in request.form.getlist("practice_ids") if (n := int_or_none(v)) is not None]

        def refused(exc: DomainError) -> Any:
            flash(exc.message, "danger")
            return _group_report_page(group, options, exc.status)

        on_refusal(refused)
        # The template's sections; a report written before they existed keeps its one text.
        sections = (
            {name: request.form.get(f"section-{name}", "") for name in reports.SECTIONS}
            if any(f"section-{name}" in request.form for name in reports.SECTIONS)
            else None
        )
        report_row = reports.write(
            db.session,
            group,
            current_user,
            request.form.get("body", ""),
            chosen,
            request.form.get("version", 0, type=int),
            now_utc(),
            sections=sections,
        )
        if request.form.get("action") == "submit":
            assessments.submit(db.session, report_row.submission, current_user, now_utc())
        flash(_("Report submitted.") if request.form.get("action") == "submit" else _("Report saved."), "success")
        return redirect(url_for("benchmarking_practices.group_report", group_id=group.id))
    return _group_report_page(group, options)


def _group_report_page(group: VisitGroup, options: Any, status: int = 200) -> Any:
    report_row, submission = reports.report_of(db.session, group.id)
    grade = None
    if submission is not None:
        grade = grading.grade_of(db.session, submission.id)
        if (
            grade is not None
            and grade.status != GradeStatus.RELEASED
            and not access.can(current_user, "cohort.teach", group.visit.cohort)
        ):
            grade = None
    adjust_form = None
    if access.can(current_user, "benchmarking.group.adjust", group):
        adjust_form = AdjustmentForm()
        adjust_form.member_id.choices = [(m.user_id, m.user.name) for m in group.members]
    chosen_ids = {p.id for p in report_row.practices} if report_row else set()
    return render_template(
        "benchmarking/group_report.html",
        group=group,
        report=report_row,
        submission=submission,
        options=options,
        chosen_ids=chosen_ids,
        grade=grade,
        adjust_form=adjust_form,
        history=reports.adjustments(db.session, group.id),
        slot=seminar.slot_of_group(db.session, group.id),
    ), status


@bp.route("/groups/<int:group_id>/adjust", methods=["POST"])
@require("benchmarking.group.adjust", load=VisitGroup, arg="group_id")
def adjust(group: VisitGroup):
    form = AdjustmentForm()
    form.member_id.choices = [(m.user_id, m.user.name) for m in group.members]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("benchmarking_practices.group_report", group_id=group.id)), 303
    return act(
        lambda: reports.adjust(db.session, group, form.member_id.data, form.delta.data, form.reason.data, current_user),
        back=url_for("benchmarking_practices.group_report", group_id=group.id),
        message=_("Adjustment recorded."),
    )
