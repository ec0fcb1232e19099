"""Assessments of a cohort, and participants writing and submitting their work."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from lms import db
from lms.assessments import kinds, queries, services
from lms.assessments.forms import AssessmentForm, ExtensionForm
from lms.assessments.kinds import all_kinds, kind_of
from lms.assessments.models import Aggregation, Assessment, Revision, Submission, SubmissionState
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with, roles_in
from lms.core import access
from lms.core.access import require
from lms.core.forms import Form
from lms.core.markdown import render as render_markdown
from lms.core.timezones import now_utc, to_local_naive, to_utc
from lms.core.views import act, cohort_tabs, form_page, refuse_to
from lms.grading import services as grading
from lms.rubrics import queries as rubric_queries
from lms.users.models import User

bp = Blueprint("assessments", __name__, template_folder="templates")


# -- staff: the cohort's assessments -------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/assessments")
@require("cohort.view", load=Cohort)
def cohort(cohort: Cohort):
    items = services.cohort_assessments(db.session, cohort.id)
    staff = access.can(current_user, "cohort.teach", cohort)
    counts = grading.progress(db.session, items) if staff else {}
    mine = {}
    released = {}
    if Role.PARTICIPANT in roles_in(current_user, cohort):
        ids = [a.id for a in items]
        mine = services.latest_submissions(db.session, ids, current_user.id)
        released = grading.released_grades_for(db.session, current_user.id, ids)
    return render_template(
        "assessments/cohort.html",
        cohort=cohort,
        items=items,
        counts=counts,
        mine=mine,
        released=released,
        staff=staff,
        tabs=cohort_tabs(cohort, current_user),
        kinds=all_kinds(),
        now=now_utc(),
    )


def _form(cohort: Cohort, assessment: Assessment | None = None) -> AssessmentForm:
    form = AssessmentForm(obj=assessment)
    form.kind.choices = [SelectChoice(k.key, k.label) for k in all_kinds().values()]
    rubrics = rubric_queries.current_rubrics(db.session, cohort.id)
    form.rubric_id.choices = [SelectChoice("", _("No rubric (feedback only)"))] + [
        SelectChoice(r.id, f"{r.title} (v{r.version})") for r in rubrics
    ]
    if request.method == "GET" and assessment is not None:
        form.opens_at.data = to_local_naive(assessment.opens_at)
        form.due_at.data = to_local_naive(assessment.due_at)
        form.cutoff_at.data = to_local_naive(assessment.cutoff_at)
        form.aggregation.data = assessment.aggregation.value
    return form


def _fields(form: AssessmentForm) -> services.AssessmentFields:
    return services.AssessmentFields(
        title=form.title.data or "",
        kind=form.kind.data,
        instructions=form.instructions.data or "",
        opens_at=to_utc(form.opens_at.data),
        due_at=to_utc(form.due_at.data),
        cutoff_at=to_utc(form.cutoff_at.data),
        weight=Decimal(form.weight.data),
        rubric_id=form.rubric_id.data,
        max_submissions=form.max_submissions.data,
        aggregation=Aggregation(form.aggregation.data),
        best_n=form.best_n.data or 1,
    )


@bp.route("/cohorts/<int:cohort_id>/assessments/new", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def create(cohort: Cohort):
    form = _form(cohort)
    page = form_page(form, "assessments/form.html", cohort=cohort, assessment=None)
    if form.validate_on_submit():
        assessment = services.save_assessment(db.session, None, cohort, _fields(form), set(all_kinds()))
        flash(_("Assessment created."), "success")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return page()


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@require("assessment.manage", load=Assessment)
def edit(assessment: Assessment):
    form = _form(assessment.cohort, assessment)
    page = form_page(form, "assessments/form.html", cohort=assessment.cohort, assessment=assessment)
    if form.validate_on_submit():
        services.save_assessment(db.session, assessment, assessment.cohort, _fields(form), set(all_kinds()))
        flash(_("Saved."), "success")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return page()


@bp.route("/assessments/<int:assessment_id>")
@require("assessment.view", load=Assessment)
def show(assessment: Assessment):
    participant = Role.PARTICIPANT in roles_in(current_user, assessment.cohort_id)
    submissions = services.submissions_of(db.session, assessment.id, current_user.id) if participant else []
    grades = {}
    if submissions:
        released = grading.released_grades_for(db.session, current_user.id, [assessment.id]).get(assessment.id, [])
        grades = {g.submission_id: g for g in released}
    cutoff = services.effective_cutoff(db.session, assessment, current_user.id) if participant else assessment.cutoff_at
    extension_form = None
    if access.can(current_user, "assessment.manage", assessment):
        extension_form = ExtensionForm()
        extension_form.participant_id.choices = services.participants_choices(db.session, assessment.cohort_id)
    kind = kind_of(assessment.kind)
    return render_template(
        "assessments/show.html",
        assessment=assessment,
        participant=participant,
        submissions=submissions,
        grades=grades,
        cutoff=cutoff,
        now=now_utc(),
        kind=kind,
        shown=kinds.shown(db.session, kind, [s.id for s in submissions]),
        titles=kinds.titles(db.session, [(s.id, assessment.kind) for s in submissions]),
        extension_form=extension_form,
    )


# -- participants: writing -----------------------------------------------------------------------


@bp.route("/assessments/<int:assessment_id>/start", methods=["POST"])
@require("assessment.submit", load=Assessment)
def start(assessment: Assessment):
    """Open the draft to write in: the current one, or a new attempt (a change, so never on GET)."""
    kind = kind_of(assessment.kind)
    if kind.write_endpoint != "assessments.write":
        return redirect(url_for(kind.write_endpoint, assessment_id=assessment.id))
    refuse_to(url_for("assessments.show", assessment_id=assessment.id), "warning")
    try:
        services.start_attempt(db.session, assessment, current_user, now_utc())
        db.session.flush()
    except IntegrityError:
        # Started at the same moment elsewhere (a double click, a second tab): write in that draft.
        db.session.rollback()
    return redirect(url_for("assessments.write", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/write")
@require("assessment.submit", load=Assessment)
def write(assessment: Assessment):
    kind = kind_of(assessment.kind)
    if kind.write_endpoint != "assessments.write":
        return redirect(url_for(kind.write_endpoint, assessment_id=assessment.id))
    current = services.current_submission(db.session, assessment, current_user)
    if current is None or current.state == SubmissionState.SUBMITTED:
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    g.no_store = True
    return render_template(
        "assessments/write.html",
        assessment=assessment,
        submission=current,
        cutoff=services.effective_cutoff(db.session, assessment, current_user.id),
        now=now_utc(),
    )


def _own_current(assessment: Assessment, submission_id: int | None) -> Submission:
    submission = db.session.get(Submission, submission_id) if submission_id else None
    if submission is None or submission.assessment_id != assessment.id or submission.participant_id != current_user.id:
        abort(404)
    return submission


@bp.route("/assessments/<int:assessment_id>/draft", methods=["POST"])
@require("assessment.submit", load=Assessment)
def autosave(assessment: Assessment):
    """JSON: {submission_id, body, version} → 200 {version} | 409 {conflict, server_body, server_version}."""
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    if (
        not isinstance(data.get("body"), str)
        or not isinstance(data.get("version"), int)
        or not isinstance(data.get("submission_id"), int)
        or isinstance(data.get("submission_id"), bool)
    ):
        return jsonify(error="bad", message=_("The draft could not be read.")), 400
    submission = _own_current(assessment, data.get("submission_id"))
    try:
        revision = services.save_draft(
            db.session,
            submission,
            data["body"],
            data["version"],
            current_user,
            now_utc(),
            reason="autosave" if data.get("auto", True) else "save",
        )
        db.session.flush()
    except services.DraftConflict as exc:
        # Not a refusal: the conflicting text is kept as a revision, so this 409 commits on purpose.
        db.session.commit()
        return jsonify(
            error="conflict",
            message=str(exc.message),
            server_body=exc.submission.body,
            server_version=exc.submission.version,
            kept_revision=exc.revision.id,
        ), 409
    # Any other refusal (another tab saving in the same instant included) is JSON {"error": "refused"}.
    return jsonify(version=submission.version, saved=revision is not None, saved_at=submission.updated_at.isoformat())


@bp.route("/assessments/<int:assessment_id>/submit", methods=["POST"])
@require("assessment.submit", load=Assessment)
def submit(assessment: Assessment):
    if not Form().validate_on_submit():
        abort(400)
    submission = _own_current(assessment, request.form.get("submission_id", type=int))
    body = request.form.get("body", "").replace("\r\n", "\n").replace("\r", "\n")
    version = request.form.get("version", type=int)
    now = now_utc()
    refuse_to(url_for("assessments.write", assessment_id=assessment.id))
    try:
        if version is not None and body != submission.body:
            services.save_draft(db.session, submission, body, version, current_user, now, reason="save")
        services.submit(db.session, submission, current_user, now)
    except services.DraftConflict as exc:  # the typed text is kept as a revision: committed, not refused
        flash(exc.message, "warning")
        return redirect(url_for("assessments.write", assessment_id=assessment.id))
    flash(_("Submitted.") + (" " + _("It is marked late.") if submission.late else ""), "success")
    return redirect(url_for("assessments.show", assessment_id=assessment.id))


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@require("submission.own", load=Submission)
def withdraw(submission: Submission):
    return act(
        lambda: services.withdraw(db.session, submission, current_user, now_utc()),
        back=url_for("assessments.show", assessment_id=submission.assessment_id),
        done=url_for("assessments.write", assessment_id=submission.assessment_id),
        message=_("Withdrawn: it is a draft again. Submit it again before the due time."),
    )


@bp.route("/submissions/<int:submission_id>/revisions")
@require("submission.own", load=Submission)
def revisions(submission: Submission):
    return render_template(
        "assessments/revisions.html", submission=submission, revisions=services.revisions(db.session, submission.id)
    )


@bp.route("/submissions/<int:submission_id>/revisions/<int:revision_id>/restore", methods=["POST"])
@require("submission.own", load=Submission)
def restore(submission: Submission, revision_id: int):
    if not Form().validate_on_submit():
        abort(400)
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.submission_id != submission.id:
        abort(404)  # another person's revision is unknown here, as the id of nothing would be
    return act(
        lambda: services.restore(db.session, submission, revision, submission.version, current_user, now_utc()),
        back=url_for("assessments.revisions", submission_id=submission.id),
        done=url_for("assessments.write", assessment_id=submission.assessment_id),
        message=_("The earlier text is back in your draft."),
    )


@bp.route("/assessments/<int:assessment_id>/extensions", methods=["POST"])
@require("assessment.manage", load=Assessment)
def extend(assessment: Assessment):
    form = ExtensionForm()
    form.participant_id.choices = services.participants_choices(db.session, assessment.cohort_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    person = db.session.get(User, form.participant_id.data)
    if person is None:  # the choices are the cohort's participants: gone since the form was shown
        abort(404)
    return act(
        lambda: services.grant_extension(
            db.session, assessment, person, to_utc(form.cutoff_at.data), current_user, now_utc()
        ),
        back=url_for("assessments.show", assessment_id=assessment.id),
        message=_("Extension granted to %(name)s.", name=person.name),
    )


@bp.route("/my/assessments")
@require("participant.any")
def mine():
    cohort_ids = sorted(cohort_ids_with(current_user, Role.PARTICIPANT))
    items = queries.assessments_of_cohorts(db.session, cohort_ids)
    ids = [a.id for a in items]
    return render_template(
        "assessments/mine.html",
        items=items,
        now=now_utc(),
        mine=services.latest_submissions(db.session, ids, current_user.id),
        extended=services.extensions_for(db.session, current_user.id, ids),
        released=grading.released_grades_for(db.session, current_user.id, ids),
    )


@bp.route("/markdown/preview", methods=["POST"])
@require("authenticated")
def preview():
    data = request.get_json(silent=True) or {}
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    return jsonify(html=str(render_markdown(text[:200000])))
