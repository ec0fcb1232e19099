"""Writing practices: a participant's log of practices for a visit, created, edited, submitted, deleted and published."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lms import db
from lms.assessments.models import SubmissionState
from lms.core import access
from lms.core.access import require
from lms.core.errors import Conflict, DomainError, attach
from lms.core.forms import int_or_none
from lms.core.timezones import now_utc
from lms.core.views import act, form_page, on_refusal
from lms.grading import services as grading
from lms.grading.models import GradeStatus
from plugins.benchmarking import evidence, individual, practices, queries
from plugins.benchmarking.forms import EvidenceForm, PracticeForm
from plugins.benchmarking.models import FieldVisit, Practice
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/visits/<int:visit_id>/practices")
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def mine(visit: FieldVisit):
    items = practices.practices_of(db.session, visit.id, current_user.id)
    group = queries.group_in_visit(db.session, visit.id, current_user.id)
    return render_template(
        "benchmarking/my_practices.html",
        visit=visit,
        items=items,
        group=group,
        labels=practices.STAGE_LABELS,
        categories=practices.CATEGORY_LABELS,
        individual_report=individual.report_of(db.session, visit, current_user.id),
    )


def _fields(form: PracticeForm) -> practices.PracticeFields:
    return practices.PracticeFields(
        title=form.title.data or "",
        category=form.category.data or "",
        identified=form.identified.data or "",
        evidence_links=form.evidence_links.data or "",
        stage=form.stage.data or "",
        adoption_plan=form.adoption_plan.data or "",
        changes=form.changes.data or "",
        reasons=tuple(form.reasons.data or ()),
        target_unit=form.target_unit.data or "",
        timeline=form.timeline.data or "",
        resources=form.resources.data or "",
        risks=form.risks.data or "",
        change_project_link=form.change_project_link.data or "",
        private_note=form.private_note.data or "",
        success_factors=form.success_factors.data or "",
        not_adopted_reason=form.not_adopted_reason.data or "",
        host_recommendations=form.host_recommendations.data or "",
    )


def _refuse_practice(form: PracticeForm, exc: DomainError, **context: Any) -> tuple[str, int]:
    if isinstance(exc, practices.PracticeInvalid):
        for name, message in exc.problems.items():
            getattr(form, name).errors = [message]
    elif not attach(form, exc):
        flash(exc.message, "danger")
    context.setdefault("labels", practices.STAGE_LABELS)
    context.setdefault("categories", practices.CATEGORY_LABELS)
    return render_template("benchmarking/practice_form.html", form=form, **context), exc.status


def _evidence(practice: Practice, form: PracticeForm) -> None:
    """The file chosen in the practice form itself (the form without JavaScript): stored with the save."""
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        return
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    evidence.add(
        db.session,
        practice,
        current_user,
        upload.read(limit + 1),
        upload.filename,
        max_file=limit,
        max_practice=current_app.config["EVIDENCE_MAX_PRACTICE_BYTES"],
    )


def _create(visit: FieldVisit, form: PracticeForm) -> Practice:
    """A new draft from the form (the first save or the first autosave); once per form key."""
    key = form.form_key.data or None
    earlier = practices.created_from(db.session, current_user, key)
    if earlier is not None:  # this form's draft exists (an autosave, a resent form): this save updates it
        practices.update_practice(db.session, earlier, _fields(form), current_user, now_utc())
        return earlier
    try:
        practice = practices.create_practice(db.session, visit, current_user, _fields(form), now_utc(), form_key=key)
        db.session.flush()  # a clash with a create at the same moment surfaces here
    except IntegrityError:
        # A create at the same moment won the attempt number or this form's key: if it was this
        # very form (a double submit), go to what it stored; else keep the text and say so.
        db.session.rollback()
        earlier = practices.created_from(db.session, current_user, key)
        if earlier is None:
            raise Conflict(practices.CREATE_RACE) from None
        practice = earlier
    return practice


def _update(practice: Practice, form: PracticeForm) -> None:
    practices.update_practice(
        db.session, practice, _fields(form), current_user, now_utc(), base_version=int_or_none(form.version.data)
    )
    db.session.flush()  # a save from another tab in the same instant is refused here (StaleDataError)


@bp.route("/visits/<int:visit_id>/practices/new", methods=["GET", "POST"])
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def create(visit: FieldVisit):
    form = PracticeForm()
    if request.method == "GET":
        form.form_key.data = secrets.token_urlsafe(32)
    g.no_store = True  # the form carries its own key
    page = form_page(form, "benchmarking/practice_form.html", visit=visit, practice=None)
    on_refusal(lambda exc: _refuse_practice(form, exc, visit=visit, practice=None))
    if form.validate_on_submit():
        practice = _create(visit, form)
        _evidence(practice, form)
        flash(_("Practice saved as a draft. Add evidence, then submit it."), "success")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))
    return page()


@bp.route("/visits/<int:visit_id>/practices/autosave", methods=["POST"])
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def autosave(visit: FieldVisit):
    """JSON for the form's script: the practice form's fields (as the form posts them, without the
    file) → 200 {practice_id, version, ...}; the first autosave of a new form creates the draft
    (once per form key), so a photo can be added before anything was saved by hand.

    The same services and the same version check as "Save draft": a save from a stale tab answers
    409 {"error": "conflict"} and writes nothing; the page's copy on the device keeps the text.
    """
    form = PracticeForm()

    def refused(exc: DomainError) -> Any:
        problems = getattr(exc, "problems", None) or ({exc.field: exc.message} if exc.field else {})
        code = "conflict" if exc.status == 409 else "refused"
        return jsonify(error=code, message=str(exc.message), problems={k: str(v) for k, v in problems.items()}), (
            exc.status
        )

    on_refusal(refused)
    del form.file  # uploads go to their own endpoint, with progress
    if not form.validate_on_submit():
        problems = {name: str(errors[0]) for name, errors in form.errors.items()}
        return jsonify(error="invalid", message=_("Please correct the marked fields."), problems=problems), 422
    practice_id = int_or_none(request.form.get("practice_id"))
    if practice_id is None:
        practice = _create(visit, form)
    else:
        stored = db.session.get(Practice, practice_id)
        if (
            stored is None
            or stored.visit_id != visit.id
            or not access.can(current_user, "benchmarking.practice.edit", stored)
        ):
            abort(404)
        practice = stored
        _update(practice, form)
    return jsonify(
        practice_id=practice.id,
        version=practice.version,
        saved_at=practice.updated_at.isoformat(),
        edit_url=url_for("benchmarking_practices.edit", practice_id=practice.id),
        upload_url=url_for("benchmarking_practices.upload", practice_id=practice.id),
        show_url=url_for("benchmarking_practices.show", practice_id=practice.id),
    )


@bp.route("/practices/<int:practice_id>")
@require("benchmarking.practice.view", load=Practice)
def show(practice: Practice):
    submission = practice.submission
    own = practice.participant_id == current_user.id
    staff = access.can(current_user, "cohort.teach", practice.visit.cohort)
    if not own and not (staff and submission.state != SubmissionState.DRAFT):
        # Here only because it is published: the published copy, never the work behind it.
        return render_template(
            "benchmarking/published.html",
            practice=practice,
            shown=practices.published_view(practice),
            labels=practices.STAGE_LABELS,
            categories=practices.CATEGORY_LABELS,
            reasons=practices.REASON_LABELS,
        )
    grade = None
    if own or staff:
        grade = grading.grade_of(db.session, submission.id)
    grading_started = grade is not None
    if own and not staff and (grade is None or grade.status != GradeStatus.RELEASED):
        grade = None
    status = practices.latest_status(db.session, [practice.id]).get(practice.id)
    return render_template(
        "benchmarking/practice.html",
        practice=practice,
        submission=submission,
        grade=grade,
        grading_started=grading_started,
        own=own,
        staff=staff,
        status=status,
        evidence_form=EvidenceForm(),
        return_note=practices.return_note(db.session, submission.id) if own or staff else None,
        labels=practices.STAGE_LABELS,
        categories=practices.CATEGORY_LABELS,
        reasons=practices.REASON_LABELS,
        statuses=practices.STATUS_LABELS,
    )


def _edit_form(practice: Practice) -> PracticeForm:
    form = PracticeForm(obj=practice)
    if request.method == "GET":
        form.reasons.data = practice.reason_list
        form.category.data, form.stage.data = practice.category.value, practice.stage.value
    return form


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@require("benchmarking.practice.edit", load=Practice)
def edit(practice: Practice):
    form = _edit_form(practice)
    page = form_page(form, "benchmarking/practice_form.html", visit=practice.visit, practice=practice)

    def refused(exc: DomainError) -> tuple[str, int]:
        if not isinstance(exc, practices.PracticeConflict) and exc.status != 409:
            return _refuse_practice(form, exc, visit=practice.visit, practice=practice)
        # Saved from another tab since this form was opened: keep what was typed, show what is stored.
        stored = db.session.get(Practice, practice.id)
        if stored is None:  # deleted from another tab meanwhile
            abort(404)
        db.session.refresh(stored)
        form.version.data = stored.version  # saving again from here is a choice made with both in view
        return _refuse_practice(
            form,
            practices.PracticeConflict(stored),
            visit=stored.visit,
            practice=stored,
            stored=stored,
        )

    on_refusal(refused)
    if form.validate_on_submit():
        _update(practice, form)
        _evidence(practice, form)
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))
    return page()


@bp.route("/practices/<int:practice_id>/submit", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def submit(practice: Practice):
    back = url_for("benchmarking_practices.show", practice_id=practice.id)
    consent = request.form.get("share_consent") == "1"

    def refused(exc: DomainError) -> Any:
        if isinstance(exc, practices.TooFewPractices):  # a 422 page saying how many are missing
            flash(exc.message, "danger")
            return render_template("benchmarking/too_few.html", visit=practice.visit, error=exc), 422
        if not isinstance(exc, practices.PracticeInvalid):
            flash(exc.message, "danger")
            return redirect(back), 303
        # What a draft may leave open is asked for now: the form, at the fields still missing.
        stored = db.session.get(Practice, practice.id)
        if stored is None:
            abort(404)
        form = PracticeForm(formdata=None, obj=stored)
        form.reasons.data = stored.reason_list
        form.category.data, form.stage.data = stored.category.value, stored.stage.value
        return _refuse_practice(form, exc, visit=stored.visit, practice=stored, submitting=True)

    on_refusal(refused)
    practices.submit_practice(db.session, practice, current_user, now_utc(), share_consent=consent)
    flash(_("Submitted for grading."), "success")
    return redirect(back)


@bp.route("/practices/<int:practice_id>/withdraw", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def withdraw(practice: Practice):
    return act(
        lambda: practices.withdraw_practice(db.session, practice, current_user, now_utc()),
        back=url_for("benchmarking_practices.show", practice_id=practice.id),
        message=_("Taken back: it is a draft again. Submit it again when it is ready."),
    )


@bp.route("/practices/<int:practice_id>/delete", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def delete(practice: Practice):
    return act(
        lambda: practices.delete_practice(db.session, practice, current_user),
        back=url_for("benchmarking_practices.show", practice_id=practice.id),
        done=url_for("benchmarking_practices.mine", visit_id=practice.visit_id),
        after_commit=lambda stored: evidence.discard_files(stored),
        message=_("The practice and its evidence are deleted."),
    )


@bp.route("/practices/<int:practice_id>/publish", methods=["POST"])
@require("benchmarking.practice.publish", load=Practice)
def publish(practice: Practice):
    publish_it = request.form.get("published") == "1"
    return act(
        lambda: practices.set_published(db.session, practice, publish_it),
        back=url_for("benchmarking_practices.show", practice_id=practice.id),
        message=_("Published in the practice catalogue.") if publish_it else _("Removed from the catalogue."),
    )
