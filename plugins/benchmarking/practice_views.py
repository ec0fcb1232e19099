"""The practice log, its evidence, the catalogue, the funnel, follow-ups and group reports."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from lms import db
from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Cohort, Role
from lms.core import access
from lms.core.access import require
from lms.core.errors import Conflict, DomainError, attach
from lms.core.forms import Form, int_or_none
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import now_utc, today_local
from lms.core.views import act
from lms.grading.models import Grade, GradeStatus
from plugins.benchmarking import evidence, followups, practices, reports
from plugins.benchmarking.forms import (
    AdjustmentForm,
    EvidenceForm,
    FollowupForm,
    PracticeForm,
    RoundForm,
)
from plugins.benchmarking.models import (
    Attachment,
    FieldVisit,
    Followup,
    FollowupRound,
    Host,
    Practice,
    VisitGroup,
)

bp = Blueprint("benchmarking_practices", __name__, url_prefix="/benchmarking", template_folder="templates")


# -- writing practices ---------------------------------------------------------------------------

@bp.route("/visits/<int:visit_id>/practices")
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def mine(visit: FieldVisit):
    items = practices.practices_of(db.session, visit.id, current_user.id)
    group = db.session.scalar(select(VisitGroup).join(VisitGroup.members).where(
        VisitGroup.visit_id == visit.id, VisitGroup.members.any(user_id=current_user.id)))
    return render_template("benchmarking/my_practices.html", visit=visit, items=items, group=group,
                           labels=practices.STAGE_LABELS, categories=practices.CATEGORY_LABELS)


def _fields(form: PracticeForm) -> practices.PracticeFields:
    return practices.PracticeFields(
        title=form.title.data or "", category=form.category.data or "", identified=form.identified.data or "",
        evidence_links=form.evidence_links.data or "", stage=form.stage.data or "",
        adoption_plan=form.adoption_plan.data or "", changes=form.changes.data or "",
        reasons=tuple(form.reasons.data or ()), target_unit=form.target_unit.data or "",
        timeline=form.timeline.data or "", resources=form.resources.data or "", risks=form.risks.data or "",
        change_project_link=form.change_project_link.data or "", private_note=form.private_note.data or "",
    )


def _refuse_practice(form: PracticeForm, exc: DomainError, **context):
    db.session.rollback()
    if isinstance(exc, practices.PracticeInvalid):
        for name, message in exc.problems.items():
            getattr(form, name).errors = [message]
    elif not attach(form, exc):
        flash(exc.message, "danger")
    return render_template("benchmarking/practice_form.html", form=form, **context), exc.status


@bp.route("/visits/<int:visit_id>/practices/new", methods=["GET", "POST"])
@require("benchmarking.visit.log", load=FieldVisit, arg="visit_id")
def create(visit: FieldVisit):
    form = PracticeForm()
    if request.method == "GET":
        form.form_key.data = secrets.token_urlsafe(32)
    g.no_store = True  # the form carries its own key
    if form.validate_on_submit():
        key = form.form_key.data or None
        try:
            practice = practices.create_practice(db.session, visit, current_user, _fields(form), now_utc(), form_key=key)
            db.session.commit()
        except IntegrityError:
            # A create at the same moment won the attempt number or this form's key: if it was this
            # very form (a double submit), go to what it stored; else keep the text and say so.
            db.session.rollback()
            practice = practices.created_from(db.session, current_user, key)
            if practice is None:
                return _refuse_practice(form, Conflict(practices.CREATE_RACE), visit=visit, practice=None)
        except DomainError as exc:
            return _refuse_practice(form, exc, visit=visit, practice=None)
        flash(_("Practice saved as a draft. Add evidence, then submit it."), "success")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))
    return render_template("benchmarking/practice_form.html", form=form, visit=visit, practice=None), 422 if form.errors else 200


@bp.route("/practices/<int:practice_id>")
@require("benchmarking.practice.view", load=Practice)
def show(practice: Practice):
    submission = db.session.get(Submission, practice.submission_id)
    own = practice.participant_id == current_user.id
    staff = access.can(current_user, "cohort.teach", practice.visit.cohort)
    if not own and not (staff and submission.state != SubmissionState.DRAFT):
        # Here only because it is published: the published copy, never the work behind it.
        return render_template("benchmarking/published.html", practice=practice, shown=practices.published_view(practice),
                               labels=practices.STAGE_LABELS, categories=practices.CATEGORY_LABELS,
                               reasons=practices.REASON_LABELS)
    grade = None
    if own or staff:
        grade = db.session.scalar(select(Grade).where(Grade.submission_id == submission.id))
        if own and not staff and (grade is None or grade.status != GradeStatus.RELEASED):
            grade = None
    status = practices.latest_status(db.session, [practice.id]).get(practice.id)
    return render_template("benchmarking/practice.html", practice=practice, submission=submission, grade=grade,
                           own=own, staff=staff, status=status, evidence_form=EvidenceForm(),
                           return_note=practices.return_note(db.session, submission.id) if own or staff else None,
                           labels=practices.STAGE_LABELS, categories=practices.CATEGORY_LABELS,
                           reasons=practices.REASON_LABELS, statuses=practices.STATUS_LABELS)


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@require("benchmarking.practice.edit", load=Practice)
def edit(practice: Practice):
    form = PracticeForm(obj=practice)
    if request.method == "GET":
        form.reasons.data = practice.reason_list
        form.category.data, form.stage.data = practice.category.value, practice.stage.value
    if form.validate_on_submit():
        try:
            practices.update_practice(db.session, practice, _fields(form), current_user, now_utc(),
                                      base_version=int_or_none(form.version.data))
            db.session.commit()
        except (practices.PracticeConflict, StaleDataError):
            # Saved from another tab since this form was opened: keep what was typed, show what is stored.
            db.session.rollback()
            stored = db.session.get(Practice, practice.id)
            db.session.refresh(stored)
            form.version.data = stored.version  # saving again from here is a choice made with both in view
            return _refuse_practice(form, practices.PracticeConflict(stored), visit=stored.visit, practice=stored,
                                    stored=stored, labels=practices.STAGE_LABELS,
                                    categories=practices.CATEGORY_LABELS)
        except DomainError as exc:
            return _refuse_practice(form, exc, visit=practice.visit, practice=practice)
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))
    return render_template("benchmarking/practice_form.html", form=form, visit=practice.visit, practice=practice), 422 if form.errors else 200


@bp.route("/practices/<int:practice_id>/submit", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def submit(practice: Practice):
    back = url_for("benchmarking_practices.show", practice_id=practice.id)
    consent = request.form.get("share_consent") == "1"
    return act(lambda: practices.submit_practice(db.session, practice, current_user, now_utc(), share_consent=consent),
               back=back, message=_("Submitted for grading."))


@bp.route("/practices/<int:practice_id>/delete", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def delete(practice: Practice):
    upload_dir = current_app.config["UPLOAD_DIR"]
    return act(lambda: practices.delete_practice(db.session, practice, current_user),
               back=url_for("benchmarking_practices.show", practice_id=practice.id),
               done=url_for("benchmarking_practices.mine", visit_id=practice.visit_id),
               after_commit=lambda stored: evidence.discard_files(upload_dir, stored),
               message=_("The practice and its evidence are deleted."))


@bp.route("/practices/<int:practice_id>/publish", methods=["POST"])
@require("benchmarking.practice.publish", load=Practice)
def publish(practice: Practice):
    publish_it = request.form.get("published") == "1"
    return act(lambda: practices.set_published(db.session, practice, publish_it),
               back=url_for("benchmarking_practices.show", practice_id=practice.id),
               message=_("Published in the practice catalogue.") if publish_it else _("Removed from the catalogue."))


# -- evidence ------------------------------------------------------------------------------------

@bp.route("/practices/<int:practice_id>/files", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def upload(practice: Practice):
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a file."), "danger")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id)), 303
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    data = form.file.data.read(limit + 1)
    try:
        evidence.add(db.session, practice, current_user, data, form.file.data.filename,
                     upload_dir=current_app.config["UPLOAD_DIR"], max_file=limit,
                     max_practice=current_app.config["EVIDENCE_MAX_PRACTICE_BYTES"])
    except DomainError as exc:
        db.session.rollback()
        return render_template("benchmarking/upload_refused.html", practice=practice, message=exc.message), exc.status
    db.session.commit()
    flash(_("Evidence added."), "success")
    return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))


@bp.route("/files/<int:attachment_id>")
@require("benchmarking.attachment.view", load=Attachment)
def download(attachment: Attachment):
    path = evidence.path_of(current_app.config["UPLOAD_DIR"], attachment.stored_name)
    mimetype, name = evidence.served_as(attachment.content_type, attachment.original_name)
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/files/<int:attachment_id>/thumbnail")
@require("benchmarking.attachment.view", load=Attachment)
def thumbnail(attachment: Attachment):
    if not attachment.is_image:
        abort(404)
    try:
        data = evidence.thumbnail(evidence.path_of(current_app.config["UPLOAD_DIR"], attachment.stored_name))
    except Exception:  # a broken or oversized image has no thumbnail (Pillow raises many kinds)
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"X-Content-Type-Options": "nosniff",
                                                          "Cache-Control": "private, max-age=300"})


@bp.route("/files/<int:attachment_id>/delete", methods=["POST"])
@require("benchmarking.attachment.delete", load=Attachment)
def delete_file(attachment: Attachment):
    upload_dir = current_app.config["UPLOAD_DIR"]
    return act(lambda: evidence.remove(db.session, attachment, current_user),
               back=url_for("benchmarking_practices.show", practice_id=attachment.practice_id),
               after_commit=lambda stored: evidence.discard_files(upload_dir, [stored]),
               message=_("The file is deleted."))


# -- coordinators: funnel, catalogue, host statistics --------------------------------------------

@bp.route("/visits/<int:visit_id>/funnel")
@require("benchmarking.visit.funnel", load=FieldVisit, arg="visit_id")
def funnel(visit: FieldVisit):
    counts = practices.funnel(db.session, visit)
    rows = db.session.execute(
        select(Practice, Submission).join(Submission, Submission.id == Practice.submission_id)
        # Drafts are their author's until handed in (as on the practice's own page).
        .where(Practice.visit_id == visit.id, Submission.state != SubmissionState.DRAFT)
        .order_by(Practice.participant_id, Practice.id)).all()
    statuses = practices.latest_status(db.session, [p.id for p, _s in rows])
    from sqlalchemy.orm import selectinload

    from lms.users.models import User

    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({p.participant_id for p, _s in rows})).options(selectinload(User.profile)))}
    return render_template("benchmarking/funnel.html", visit=visit, counts=counts, rows=rows, statuses=statuses,
                           people=people, labels=practices.STAGE_LABELS, status_labels=practices.STATUS_LABELS,
                           top=practices.host_practices(db.session, visit.host_id))


@bp.route("/catalogue")
@require("authenticated")
def catalogue():
    staff = access.cohort_ids_with(current_user, Role.INSTRUCTOR, Role.COORDINATOR)
    args = {k: request.args.get(k, "") for k in ("q", "host", "category", "stage", "status")}
    stmt = practices.catalogue(current_user, staff, query=args["q"],
                               host_id=int_or_none(args["host"]),
                               category=args["category"], stage=args["stage"], status=args["status"])
    page = paginate(db.session, stmt, page_arg(request.args), current_app.config["PAGE_SIZE"], scalars=False)
    statuses = practices.latest_status(db.session, [p.id for p, _v, _live in page.items])
    shown = {p.id: p if live else practices.published_view(p) for p, _v, live in page.items}
    hosts = db.session.scalars(select(Host).order_by(Host.name)).all()
    return render_template("benchmarking/catalogue.html", page=page, args={k: v for k, v in args.items() if v},
                           statuses=statuses, shown=shown, hosts=hosts, categories=practices.CATEGORY_LABELS,
                           labels=practices.STAGE_LABELS, status_labels=practices.STATUS_LABELS)


# -- follow-up -----------------------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/followups", methods=["GET", "POST"])
@require("benchmarking.followups.manage", load=Cohort)
def rounds(cohort: Cohort):
    form = RoundForm()
    if form.validate_on_submit():
        try:
            followups.open_round(db.session, cohort, form.title.data, form.opens_on.data, form.due_on.data)
        except DomainError as exc:
            db.session.rollback()
            attach(form, exc) or flash(exc.message, "danger")
            return render_template("benchmarking/rounds.html", cohort=cohort, form=form,
                                   items=followups.rounds_of(db.session, cohort.id)), exc.status
        db.session.commit()
        flash(_("Follow-up round opened. Participants report on their adopted and adapted practices."), "success")
        return redirect(url_for("benchmarking_practices.rounds", cohort_id=cohort.id))
    return render_template("benchmarking/rounds.html", cohort=cohort, form=form,
                           items=followups.rounds_of(db.session, cohort.id)), 422 if form.errors else 200


@bp.route("/rounds/<int:round_id>")
@require("benchmarking.round.staff", load=FollowupRound, arg="round_id")
def round_reports(round: FollowupRound):  # noqa: A002 - the name the access loader gives
    return render_template("benchmarking/round.html", round=round,
                           items=followups.round_reports(db.session, round.id), statuses=practices.STATUS_LABELS)


@bp.route("/rounds/<int:round_id>/report", methods=["GET", "POST"])
@require("benchmarking.round.report", load=FollowupRound, arg="round_id")
def report(round: FollowupRound):  # noqa: A002
    mine_ = followups.reportable(db.session, current_user, round.cohort_id)
    existing = {f.practice_id: f for f in db.session.scalars(
        select(Followup).where(Followup.round_id == round.id, Followup.practice_id.in_([p.id for p in mine_])))}
    status_code = 200
    if request.method == "POST":
        form = FollowupForm()
        practice = next((p for p in mine_ if str(p.id) == request.form.get("practice_id")), None)
        if practice is None:
            abort(404)
        if form.validate_on_submit():
            try:
                followups.report(db.session, round, practice, current_user, status=form.status.data,
                                 outcome=form.outcome.data or "", evidence_links=form.evidence_links.data or "",
                                 today=today_local(), now=now_utc())
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                status_code = exc.status
            else:
                db.session.commit()
                flash(_("Thank you: your report is saved."), "success")
                return redirect(url_for("benchmarking_practices.report", round_id=round.id))
    forms = {}
    for practice in mine_:
        followup = existing.get(practice.id)
        forms[practice.id] = FollowupForm(formdata=None, obj=followup,
                                          status=followup.status.value if followup else "planned")
    return render_template("benchmarking/report_round.html", round=round, items=mine_, forms=forms,
                           existing=existing, statuses=practices.STATUS_LABELS,
                           labels=practices.STAGE_LABELS, today=today_local()), status_code


@bp.route("/followups/<int:followup_id>/confirm", methods=["POST"])
@require("benchmarking.followup.confirm", load=Followup)
def confirm(followup: Followup):
    return act(lambda: followups.confirm(db.session, followup, current_user, now_utc()),
               back=url_for("benchmarking_practices.round_reports", round_id=followup.round_id),
               message=_("Confirmed."))


@bp.route("/followups")
@require("participant.any")
def my_rounds():
    cohort_ids = sorted(access.cohort_ids_with(current_user, Role.PARTICIPANT))
    items = db.session.scalars(select(FollowupRound).where(FollowupRound.cohort_id.in_(cohort_ids))
                               .order_by(FollowupRound.opens_on.desc())).all()
    return render_template("benchmarking/my_rounds.html", items=items, today=today_local())


# -- group reports -------------------------------------------------------------------------------

@bp.route("/groups/<int:group_id>/report", methods=["GET", "POST"])
@require("benchmarking.group.member", load=VisitGroup, arg="group_id")
def group_report(group: VisitGroup):
    report_row, submission = reports.report_of(db.session, group.id)
    member_ids = [m.user_id for m in group.members]
    options = db.session.scalars(select(Practice).where(Practice.visit_id == group.visit_id,
                                                        Practice.participant_id.in_(member_ids))
                                 .order_by(Practice.participant_id, Practice.id)).all()
    status_code = 200
    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)
        chosen = [n for v in request.form.getlist("practice_ids") if (n := int_or_none(v)) is not None]
        try:
            report_row = reports.write(db.session, group, current_user, request.form.get("body", ""), chosen,
                                       request.form.get("version", 0, type=int), now_utc())
            if request.form.get("action") == "submit":
                from lms.assessments import services as assessments

                assessments.submit(db.session, db.session.get(Submission, report_row.submission_id), current_user,
                                   now_utc())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            status_code = exc.status
        else:
            db.session.commit()
            flash(_("Report submitted.") if request.form.get("action") == "submit" else _("Report saved."), "success")
            return redirect(url_for("benchmarking_practices.group_report", group_id=group.id))
        report_row, submission = reports.report_of(db.session, group.id)
    grade = None
    if submission is not None:
        grade = db.session.scalar(select(Grade).where(Grade.submission_id == submission.id))
        if grade is not None and grade.status != GradeStatus.RELEASED and not access.can(
                current_user, "cohort.teach", group.visit.cohort):
            grade = None
    adjust_form = None
    if access.can(current_user, "benchmarking.group.adjust", group):
        adjust_form = AdjustmentForm()
        adjust_form.member_id.choices = [(m.user_id, m.user.name) for m in group.members]
    chosen_ids = {int(i) for i in (report_row.practice_ids.split(",") if report_row and report_row.practice_ids else [])}
    return render_template("benchmarking/group_report.html", group=group, report=report_row, submission=submission,
                           options=options, chosen_ids=chosen_ids, grade=grade, adjust_form=adjust_form,
                           history=reports.adjustments(db.session, group.id)), status_code


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
    try:
        reports.adjust(db.session, group, form.member_id.data, form.delta.data, form.reason.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("benchmarking_practices.group_report", group_id=group.id)), 303
    db.session.commit()
    flash(_("Adjustment recorded."), "success")
    return redirect(url_for("benchmarking_practices.group_report", group_id=group.id))


# -- the submission kinds' entry points ----------------------------------------------------------

@bp.route("/assessments/<int:assessment_id>/practices")
@require("assessment.submit", load=Assessment)
def write_practice(assessment: Assessment):
    visit = practices.visit_of_assessment(db.session, assessment.id)
    if visit is None:
        abort(404)
    return redirect(url_for("benchmarking_practices.mine", visit_id=visit.id))


@bp.route("/assessments/<int:assessment_id>/report")
@require("assessment.submit", load=Assessment)
def write_report(assessment: Assessment):
    group = db.session.scalar(
        select(VisitGroup).join(FieldVisit, FieldVisit.id == VisitGroup.visit_id)
        .where(FieldVisit.report_assessment_id == assessment.id, VisitGroup.members.any(user_id=current_user.id)))
    if group is None:
        flash(_("You are not in a group for this visit yet."), "info")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return redirect(url_for("benchmarking_practices.group_report", group_id=group.id))


@bp.app_template_global("benchmarking_practice_for")
def practice_for(submission_id: int) -> Practice | None:
    """The practice of a submission. The first call loads every practice of the same participant
    in the same assessment (with evidence and host), so a page listing them runs no query per row."""
    from flask import g
    from sqlalchemy.orm import joinedload, selectinload

    cache: dict[int, Practice] = g.setdefault("_benchmarking_practices", {})
    if submission_id not in cache:
        mine = select(Submission.assessment_id, Submission.participant_id).where(Submission.id == submission_id).subquery()
        siblings = select(Submission.id).join(mine, (Submission.assessment_id == mine.c.assessment_id)
                                              & (Submission.participant_id == mine.c.participant_id))
        for practice in db.session.scalars(
            select(Practice).where(Practice.submission_id.in_(siblings))
            .options(selectinload(Practice.attachments), joinedload(Practice.visit).joinedload(FieldVisit.host))
        ):
            cache[practice.submission_id] = practice
    return cache.get(submission_id)


@bp.app_template_global("benchmarking_report_for")
def report_for(submission_id: int) -> dict | None:
    from plugins.benchmarking.models import GroupReport

    row = db.session.scalar(select(GroupReport).where(GroupReport.submission_id == submission_id))
    if row is None:
        return None
    ids = [int(i) for i in row.practice_ids.split(",") if i]
    titles = db.session.scalars(select(Practice).where(Practice.id.in_(ids))).all() if ids else []
    return {"report": row, "practices": titles}


@bp.app_template_global("benchmarking_labels")
def labels() -> dict:
    """Stage, category and reason labels for the submission-kind templates."""
    return {"stages": practices.STAGE_LABELS, "categories": practices.CATEGORY_LABELS, "reasons": practices.REASON_LABELS}
