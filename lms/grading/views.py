"""Instructors' grading: the queue, the grading page, release, return for revision, progress, audit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import db
from lms.assessments import kinds
from lms.assessments import queries as assessment_queries
from lms.assessments.kinds import kind_of
from lms.assessments.models import Assessment, Submission
from lms.cohorts import queries as cohort_queries
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form, int_or_none
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import now_utc, today_local
from lms.core.transaction import DatabaseRefused
from lms.core.views import act, on_refusal
from lms.grading import services
from lms.grading.forms import parse_grade_form
from lms.grading.models import Grade
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultFilter
from lms.rubrics import queries as rubric_queries

bp = Blueprint("grading", __name__, url_prefix="/grading", template_folder="templates")

FILTER_KEYS = ("q", "cohort", "assessment", "state", "late")


def _taught() -> list[int]:
    taught = sorted(cohort_ids_with(current_user, Role.INSTRUCTOR, Role.COORDINATOR))
    if current_user.is_admin and not taught:
        taught = cohort_queries.all_cohort_ids(db.session)
    return taught


def _group_filters(taught: list[int]) -> list[ResultFilter]:
    """The plugins' participant filters (the visit's groups) of the one cohort in view: the cohort
    chosen in the filter, or the grader's only cohort. The results page offers the same ones."""
    cohort_id = int_or_none(request.args.get("cohort")) or (taught[0] if len(taught) == 1 else None)
    cohort = db.session.get(Cohort, cohort_id) if cohort_id in taught else None
    if cohort is None:
        return []
    found: list[ResultFilter] = []
    for contributed in get_plugin_manager(current_app).hook.lms_result_filters(cohort=cohort):
        found.extend(contributed or [])
    return sorted(found, key=lambda f: f.key)


def _filters(groups: list[ResultFilter] | None = None) -> dict[str, Any]:
    """The queue's filters from the query string; they travel with every link of the queue."""
    keys = [*FILTER_KEYS, *(g.key for g in (groups if groups is not None else _group_filters(_taught())))]
    return {key: request.args.get(key, "")[:100] for key in keys if request.args.get(key)}


def _queue_stmt(filters: dict[str, str]):
    taught = _taught()
    groups = _group_filters(taught)
    late = {"1": True, "0": False}.get(filters.get("late", ""))
    cohort_id = int_or_none(filters.get("cohort"))
    assessment_id = int_or_none(filters.get("assessment"))
    state = filters.get("state", "") if filters.get("state", "") in services.QUEUE_STATES else ""
    members = [g.members(filters[g.key]) for g in groups if filters.get(g.key) in {str(v) for v, _label in g.choices}]
    stmt = services.queue(
        taught,
        cohort_id=cohort_id,
        assessment_id=assessment_id,
        state=state,
        late=late,
        search=filters.get("q", ""),
        members=members,
        leave_out=[k.graded_elsewhere() for k in kinds.all_kinds().values() if k.graded_elsewhere is not None],
    )
    return stmt, taught, groups


@bp.route("/")
@require("grading.queue")
def queue():
    filters = _filters()
    stmt, taught, groups = _queue_stmt(filters)
    page = paginate(db.session, stmt, page_arg(request.args), current_app.config["PAGE_SIZE"], scalars=False)
    cohorts = cohort_queries.cohorts_by_id(db.session, taught)
    assessments = assessment_queries.assessments_by_title(db.session, taught)
    return render_template(
        "grading/queue.html",
        page=page,
        titles=kinds.titles(db.session, [submission for submission, _grade in page.items]),
        filters=filters,
        cohorts=cohorts,
        assessments=assessments,
        states=services.QUEUE_STATES,
        groups=groups,
    )


def _neighbours(submission_id: int, filters: dict[str, str]) -> tuple[int | None, int | None]:
    stmt, _taught, _groups = _queue_stmt(filters)
    ids = list(
        db.session.scalars(
            stmt.with_only_columns(Submission.id).order_by(None).order_by(Submission.submitted_at, Submission.id)
        )
    )
    if submission_id not in ids:
        return None, None
    index = ids.index(submission_id)
    return (ids[index - 1] if index > 0 else None), (ids[index + 1] if index + 1 < len(ids) else None)


def _render(
    submission: Submission,
    grade: Grade | None,
    status: int = 200,
    conflict: Grade | None = None,
    mine: dict | None = None,
):
    assessment = submission.assessment
    rubric = services.rubric_for_grading(assessment, grade)
    if rubric is not None:
        rubric = rubric_queries.with_levels(db.session, rubric.id)
    filters = _filters()
    previous, following = _neighbours(submission.id, filters)
    chosen = {c.criterion_id: c for c in grade.criteria} if grade else {}
    kind = kind_of(assessment.kind)
    return render_template(
        "grading/grade.html",
        submission=submission,
        assessment=assessment,
        grade=grade,
        rubric=rubric,
        chosen=chosen,
        previous=previous,
        following=following,
        filters=filters,
        kind=kind,
        shown=kinds.shown(db.session, kind, [submission.id]).get(submission.id),
        conflict=conflict,
        mine=mine or {},
    ), status


def _load(submission_id: int) -> Submission:
    """The submission the access rule already loaded, with its assessment and participant."""
    return assessment_queries.submission_for_grading(db.session, submission_id)


@bp.route("/submissions/<int:submission_id>", methods=["GET"])
@require("submission.grade", load=Submission)
def grade(submission: Submission):
    submission = _load(submission.id)
    return _render(submission, services.grade_of(db.session, submission.id))


@bp.route("/submissions/<int:submission_id>", methods=["POST"])
@require("submission.grade", load=Submission)
def save(submission: Submission):
    if not Form().validate_on_submit():
        abort(400)
    submission = _load(submission.id)
    current = services.grade_of(db.session, submission.id)
    data, version = parse_grade_form(request.form, services.rubric_for_grading(submission.assessment, current))
    seen = request.form.get("submission_version", "")

    def refused(error: DomainError) -> Any:
        theirs = services.grade_of(db.session, submission.id)
        if isinstance(error, services.GradeConflict | DatabaseRefused) and error.status == 409:
            # Two saves at the same moment (the database's refusal) or one after the page was opened.
            message = (
                error.message
                if isinstance(error, services.GradeConflict)
                else _("Another grader saved this grade while you were working. Review and save again.")
            )
            flash(message, "warning")
            return _render(submission, theirs, 409, conflict=theirs, mine={"data": data})
        flash(error.message, "danger")
        return _render(submission, theirs, error.status, mine={"data": data})

    on_refusal(refused)
    saved = services.save_grade(
        db.session, submission, current_user, data, version, now_utc(), seen_submission_version=int_or_none(seen)
    )
    db.session.flush()  # a save at the same moment by another grader is refused here, not after the redirect
    flash(_("Grade finalized.") if saved.status != "draft" and data.finalize else _("Grade saved."), "success")
    filters = _filters()
    if request.form.get("next") == "1":
        _previous, following = _neighbours(submission.id, filters)
        if following:
            return redirect(url_for("grading.grade", submission_id=following, **filters))
    return redirect(url_for("grading.grade", submission_id=submission.id, **filters))


@bp.route("/submissions/<int:submission_id>/return", methods=["POST"])
@require("submission.grade", load=Submission)
def return_work(submission: Submission):
    back = url_for("grading.grade", submission_id=submission.id, **_filters())
    return act(
        lambda: services.return_for_revision(
            db.session, submission, current_user, request.form.get("note", ""), now_utc()
        ),
        back=back,
        done=back,
        message=_("Returned to the participant for revision."),
    )


@bp.route("/submissions/<int:submission_id>/release", methods=["POST"])
@require("submission.grade", load=Submission)
def release_one(submission: Submission):
    if not Form().validate_on_submit():
        abort(400)
    current = services.grade_of(db.session, submission.id)
    if current is None:
        flash(_("There is no grade to release yet."), "danger")
        return redirect(url_for("grading.grade", submission_id=submission.id)), 303
    back = url_for("grading.grade", submission_id=submission.id, **_filters())
    return act(
        lambda: services.release(db.session, current, current_user, now_utc()),
        back=back,
        message=_("Released: the participant now sees the score and comments."),
    )


@bp.route("/assessments/<int:assessment_id>/release", methods=["POST"])
@require("assessment.teach", load=Assessment)
def release_all(assessment: Assessment):
    return act(
        lambda: services.release_assessment(db.session, assessment, current_user, now_utc()),
        back=url_for("grading.progress", assessment_id=assessment.id),
        message=lambda count: (
            ngettext("%(num)s final grade released.", "%(num)s final grades released.", count)
            if count
            else _("No final grades were waiting for release.")
        ),
    )


@bp.route("/assessments/<int:assessment_id>/progress")
@require("assessment.teach", load=Assessment)
def progress(assessment: Assessment):
    counts = services.progress(db.session, [assessment])[assessment.id]
    show = request.args.get("show", "")
    show = show if show in services.PROGRESS_FILTERS else ""
    query = request.args.get("q", "").strip()[:100]
    descending = request.args.get("dir", "") == "desc"
    page = paginate(
        db.session,
        services.progress_people(assessment, show=show, query=query, descending=descending),
        page_arg(request.args),
        current_app.config["PAGE_SIZE"],
    )
    by_person = services.work_of(db.session, assessment, [p.id for p in page.items])
    filters = {k: v for k, v in (("show", show), ("q", query), ("dir", "desc" if descending else "")) if v}
    return render_template(
        "grading/progress.html",
        assessment=assessment,
        counts=counts,
        page=page,
        by_person=by_person,
        filters=filters,
        shows=services.PROGRESS_FILTERS,
    )


@bp.route("/assessments/<int:assessment_id>/audit")
@require("assessment.audit", load=Assessment)
def audit(assessment: Assessment):
    events = services.audit(db.session, assessment.id)
    submissions = assessment_queries.submissions_by_id(db.session, assessment.id)
    return render_template("grading/audit.html", assessment=assessment, events=events, submissions=submissions)


@bp.route("/assessments/<int:assessment_id>/remind", methods=["GET"])
@require("assessment.teach", load=Assessment)
def remind(assessment: Assessment):
    """Who would be reminded (those who have handed nothing in), and a button to confirm."""
    people = services.missing_people(db.session, assessment)
    return render_template(
        "grading/remind.html",
        assessment=assessment,
        people=people,
        reminded=services.reminded_today(db.session, assessment, today_local().isoformat()),
    )


@bp.route("/assessments/<int:assessment_id>/remind", methods=["POST"])
@require("assessment.teach", load=Assessment)
def send_reminders(assessment: Assessment):
    if not Form().validate_on_submit():
        abort(400)
    return act(
        lambda: services.remind_missing(db.session, assessment, current_user, now_utc(), today_local().isoformat()),
        back=url_for("grading.remind", assessment_id=assessment.id),
        done=url_for("grading.progress", assessment_id=assessment.id, show="missing"),
        message=lambda counts: (
            ngettext(
                "%(num)s participant is reminded (a notification, and an e-mail unless they turned it off).",
                "%(num)s participants are reminded (a notification, and an e-mail unless they turned it off).",
                counts[0],
            )
            if counts[0]
            else _("Everyone who has not submitted was already reminded today; try again tomorrow.")
        ),
    )
