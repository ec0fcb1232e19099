"""The visit as programs run it: the program's settings (the activity's name), the lokus, groups
formed by rule or from a file (previewed, then confirmed), the peserta's own theme and each group's
pre-visit plan. Routes of the ``benchmarking`` blueprint (views.py)."""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from lms import db
from lms.assessments.models import Assessment
from lms.cohorts.models import Program
from lms.core import access, storage
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form, int_or_none
from lms.core.timezones import now_utc
from lms.core.views import act, form_page, on_refusal
from lms.grading import services as grading
from lms.grading.models import GradeStatus
from plugins.benchmarking import evidence, grouping, plans, queries, settings
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.forms import GroupImportForm, GroupRuleForm, LokusForm, ProgramSettingsForm, ThemeForm
from plugins.benchmarking.models import FieldVisit, Lokus, VisitGroup
from plugins.benchmarking.views import bp


@bp.app_template_global("activity_name")
def activity_name_global(obj: Any = None) -> str:
    """What the program of ``obj`` (a program, cohort or visit) calls the field visit: "Studi
    Lapangan" unless the program set "Benchmarking", "Benchlearning" or another name."""
    return settings.activity_name(db.session, obj)


# -- the program's settings ----------------------------------------------------------------------


@bp.route("/programs/<int:program_id>/settings", methods=["GET", "POST"])
@require("program.edit", load=Program)
def program_settings(program: Program):
    current = settings.of_program(db.session, program.id)
    form = ProgramSettingsForm(data=None if request.method == "POST" else current.__dict__)
    page = form_page(form, "benchmarking/program_settings.html", program=program, names=settings.ACTIVITY_NAMES)
    if form.validate_on_submit():
        settings.save(
            db.session,
            program,
            activity_name=form.activity_name.data,
            min_practices=form.min_practices.data,
            plan_graded=bool(form.plan_graded.data),
        )
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking.program_settings", program_id=program.id))
    return page()


# -- lokus ---------------------------------------------------------------------------------------


def _lokus_form(visit: FieldVisit, lokus: Lokus | None = None) -> LokusForm:
    form = LokusForm(obj=lokus)
    hosts = queries.hosts(db.session, with_archived=False)
    choices = [SelectChoice(h.id, h.name) for h in hosts]
    if lokus is not None and lokus.host.archived:
        choices.append(SelectChoice(lokus.host.id, lokus.host.name))
    form.host_id.choices = choices
    if lokus is None and request.method == "GET":
        form.host_id.data, form.visit_date.data = visit.host_id, visit.start_date
    return form


def _lokus_fields(form: LokusForm) -> lokus_service.LokusFields:
    return lokus_service.LokusFields(
        host_id=form.host_id.data,
        name=form.name.data or "",
        visit_date=form.visit_date.data,
        address=form.address.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        chosen_for=form.chosen_for.data or "",
    )


@bp.route("/visits/<int:visit_id>/lokus/new", methods=["GET", "POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def add_lokus(visit: FieldVisit):
    form = _lokus_form(visit)
    page = form_page(form, "benchmarking/lokus_form.html", visit=visit, lokus=None)
    if form.validate_on_submit():
        lokus_service.save(db.session, visit, None, _lokus_fields(form))
        flash(_("Lokus added."), "success")
        return redirect(url_for("benchmarking.show_visit", visit_id=visit.id) + "#lokus")
    return page()


@bp.route("/lokus/<int:lokus_id>/edit", methods=["GET", "POST"])
@require("benchmarking.lokus.manage", load=Lokus)
def edit_lokus(lokus: Lokus):
    form = _lokus_form(lokus.visit, lokus)
    page = form_page(form, "benchmarking/lokus_form.html", visit=lokus.visit, lokus=lokus)
    if form.validate_on_submit():
        lokus_service.save(db.session, lokus.visit, lokus, _lokus_fields(form))
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking.show_visit", visit_id=lokus.visit_id) + "#lokus")
    return page()


@bp.route("/lokus/<int:lokus_id>/delete", methods=["POST"])
@require("benchmarking.lokus.manage", load=Lokus)
def delete_lokus(lokus: Lokus):
    back = url_for("benchmarking.show_visit", visit_id=lokus.visit_id) + "#lokus"
    return act(
        lambda: lokus_service.delete(db.session, lokus),
        back=back,
        after_commit=lambda stored: evidence.discard_files([stored] if stored else []),
        message=_("The lokus is removed; its groups go to no lokus until you choose one."),
    )


# Registered before the POST rule of the same path: the other way round, Werkzeug answers an id past
# 32 bits (refused by the int converter) with 405 instead of 404 (tests/test_bad_input.py).
@bp.route("/lokus/<int:lokus_id>/briefing")
@require("benchmarking.lokus.view", load=Lokus)
def briefing(lokus: Lokus):
    if not lokus.briefing_stored:
        abort(404)
    mimetype, name = evidence.served_as(lokus.briefing_type, lokus.briefing_name)
    response = send_file(
        evidence.path_of(lokus.briefing_stored), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/lokus/<int:lokus_id>/briefing", methods=["POST"])
@require("benchmarking.lokus.manage", load=Lokus)
def upload_briefing(lokus: Lokus):
    back = url_for("benchmarking.show_visit", visit_id=lokus.visit_id) + "#lokus"
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file."), "danger")
        return redirect(back, 303)
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    return act(
        lambda: lokus_service.set_briefing(db.session, lokus, upload.read(limit + 1), upload.filename, limit),
        back=back,
        after_commit=lambda old: evidence.discard_files([old] if old else []),
        message=_("Briefing document saved."),
    )


@bp.route("/visits/<int:visit_id>/groups/lokus", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def assign_lokus(visit: FieldVisit):
    choice: dict[int, int | None] = {}
    for key, value in request.form.items():
        if key.startswith("lokus-") and (group_id := int_or_none(key.split("-", 1)[1])) is not None:
            if value and int_or_none(value) is None:
                abort(400)
            choice[group_id] = int_or_none(value)
    return act(
        lambda: lokus_service.assign(db.session, visit, choice),
        back=url_for("benchmarking.show_visit", visit_id=visit.id, groups=request.form.get("groups") or None)
        + "#groups",
        message=_("Groups sent to their lokus."),
    )


# -- groups by rule, or from a file --------------------------------------------------------------


def _preview(visit: FieldVisit, proposal: grouping.Proposal, **context: Any) -> Any:
    ids = [uid for g in proposal.groups for uid in g.member_ids[:PREVIEW_MEMBERS]] + proposal.unassigned[:50]
    names = dict(queries.names_of(db.session, ids)) if ids else {}
    return render_template(
        "benchmarking/groups_preview.html",
        visit=visit,
        proposal=proposal,
        names=names,
        places={lk.id: lk.name for lk in lokus_service.of_visit(db.session, visit.id)},
        shown=PREVIEW_MEMBERS,
        **context,
    )


PREVIEW_MEMBERS = 12  # members named per proposed group; the count says the rest


@bp.route("/visits/<int:visit_id>/groups/form", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def form_groups(visit: FieldVisit):
    """Preview the groups a rule makes (``confirm`` absent), or apply them once confirmed."""
    form = GroupRuleForm()
    back = url_for("benchmarking.show_visit", visit_id=visit.id) + "#form-groups"
    if not form.validate_on_submit():
        flash(_("Choose a rule and a number of groups."), "danger")
        return redirect(back, 303)
    on_refusal(lambda exc: _preview_refused(visit, exc, back))
    proposal = grouping.by_rule(db.session, visit, form.rule.data, form.count.data)
    if request.form.get("confirm") != "1":
        return _preview(visit, proposal, rule_form=form, mode="rule")
    made = grouping.apply(db.session, visit, proposal, form.fingerprint.data or "")
    flash(ngettext("%(num)s group formed.", "%(num)s groups formed.", len(made)), "success")
    return redirect(url_for("benchmarking.show_visit", visit_id=visit.id) + "#groups")


def _preview_refused(visit: FieldVisit, exc: DomainError, back: str) -> Any:
    flash(exc.message, "danger")
    return redirect(back, 303)


IMPORT_AREA = "benchmarking"


def _import_token(visit: FieldVisit, data: bytes, filename: str) -> str:
    token = secrets.token_hex(16)
    storage.put(IMPORT_AREA, data, name=f"groups-{token}.bin")
    meta = {"visit_id": visit.id, "filename": filename, "user_id": current_user.id}
    storage.put(IMPORT_AREA, json.dumps(meta).encode(), name=f"groups-{token}.json")
    return token


def _import_file(visit: FieldVisit, token: str) -> tuple[bytes, str]:
    """The uploaded file of a preview: only for the visit and the person it was uploaded for."""
    if not (token.isascii() and token.isalnum() and len(token) == 32):
        abort(404)
    try:
        meta = json.loads(storage.read(IMPORT_AREA, f"groups-{token}.json"))
        data = storage.read(IMPORT_AREA, f"groups-{token}.bin")
    except (OSError, ValueError):
        abort(404)
    if meta.get("visit_id") != visit.id or meta.get("user_id") != current_user.id:
        abort(404)
    return data, str(meta.get("filename", ""))


def _discard_import(token: str) -> None:
    for suffix in (".bin", ".json"):
        storage.delete(IMPORT_AREA, f"groups-{token}{suffix}")


@bp.route("/visits/<int:visit_id>/groups/import", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def import_groups(visit: FieldVisit):
    """Upload a CSV/XLSX of NIP and group: a preview (rows with problems listed), nothing changed yet."""
    form = GroupImportForm()
    back = url_for("benchmarking.show_visit", visit_id=visit.id) + "#form-groups"
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a file."), "danger")
        return redirect(back, 303)
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    data = form.file.data.read(limit + 1)
    if len(data) > limit:
        flash(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "danger")
        return redirect(back, 303)
    filename = os.path.basename(form.file.data.filename or "groups")
    on_refusal(lambda exc: _preview_refused(visit, exc, back))
    proposal = grouping.from_file(db.session, visit, data, filename)
    token = _import_token(visit, data, filename) if not proposal.errors else ""
    return _preview(visit, proposal, mode="import", token=token, filename=filename), 200 if token else 422


@bp.route("/visits/<int:visit_id>/groups/import/confirm", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def confirm_import(visit: FieldVisit):
    if not Form().validate_on_submit():
        abort(400)
    token = request.form.get("token", "")
    data, filename = _import_file(visit, token)
    proposal = grouping.from_file(db.session, visit, data, filename)
    return act(
        lambda: grouping.apply(db.session, visit, proposal, request.form.get("fingerprint", "")),
        back=url_for("benchmarking.show_visit", visit_id=visit.id) + "#form-groups",
        done=url_for("benchmarking.show_visit", visit_id=visit.id) + "#groups",
        after_commit=lambda _made: _discard_import(token),
        message=lambda made: ngettext("%(num)s group imported.", "%(num)s groups imported.", len(made)),
    )


@bp.route("/visits/<int:visit_id>/theme", methods=["POST"])
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def set_theme(visit: FieldVisit):
    form = ThemeForm()
    if not form.validate_on_submit():
        abort(400)
    return act(
        lambda: grouping.set_theme(db.session, visit, current_user, form.theme.data or ""),
        back=url_for("benchmarking.show_visit", visit_id=visit.id),
        message=_("Your theme is saved."),
    )


# -- the pre-visit plan --------------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/plan/open", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def open_plan(visit: FieldVisit):
    return act(
        lambda: plans.ensure_plan_assessment(db.session, visit, current_user),
        back=url_for("benchmarking.show_visit", visit_id=visit.id),
        message=_("The pre-visit plan is open: each group's leader can write the group's questions."),
    )


@bp.route("/groups/<int:group_id>/plan", methods=["GET", "POST"])
@require("benchmarking.group.member", load=VisitGroup, arg="group_id")
def group_plan(group: VisitGroup):
    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)

        def refused(exc: DomainError) -> Any:
            flash(exc.message, "danger")
            return _plan_page(group, exc.status, typed=request.form.get("body", ""))

        on_refusal(refused)
        now = now_utc()
        plans.write(
            db.session, group, current_user, request.form.get("body", ""), request.form.get("version", 0, type=int), now
        )
        if request.form.get("action") == "submit":
            plans.submit(db.session, group, current_user, now)
            flash(_("Plan submitted."), "success")
        else:
            flash(_("Plan saved."), "success")
        return redirect(url_for("benchmarking.group_plan", group_id=group.id))
    return _plan_page(group)


def _plan_page(group: VisitGroup, status: int = 200, typed: str | None = None) -> Any:
    row, submission = plans.plan_of(db.session, group.id)
    grade = None
    if submission is not None:
        grade = grading.grade_of(db.session, submission.id)
        if (
            grade is not None
            and grade.status != GradeStatus.RELEASED
            and not access.can(current_user, "cohort.teach", group.visit.cohort)
        ):
            grade = None
    return render_template(
        "benchmarking/group_plan.html",
        group=group,
        plan=row,
        submission=submission,
        grade=grade,
        typed=typed,
        lokus=group.lokus,
    ), status


@bp.route("/assessments/<int:assessment_id>/plan")
@require("assessment.submit", load=Assessment)
def write_plan(assessment: Assessment):
    """The plan kind's entry point: the peserta's group's plan page."""
    group = queries.plan_group_of(db.session, assessment.id, current_user.id)
    if group is None:
        flash(_("You are not in a group for this visit yet."), "info")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return redirect(url_for("benchmarking.group_plan", group_id=group.id))
