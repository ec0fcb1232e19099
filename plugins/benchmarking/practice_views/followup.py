"""Follow-up rounds: coordinators open them, participants report on adopted practices, staff confirm."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import db
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import int_or_none
from lms.core.timezones import now_utc, today_local
from lms.core.transaction import refuse_to
from lms.core.views import act, form_page, on_refusal
from plugins.benchmarking import change_projects, evidence, followups, mentors, practices, queries
from plugins.benchmarking.forms import ChangeProjectForm, EvidenceForm, FollowupForm, RoundForm
from plugins.benchmarking.models import Followup, FollowupRound, Practice
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/cohorts/<int:cohort_id>/followups", methods=["GET", "POST"])
@require("benchmarking.followups.manage", load=Cohort)
def rounds(cohort: Cohort):
    form = RoundForm()
    page = form_page(
        form,
        "benchmarking/rounds.html",
        cohort=cohort,
        items=followups.rounds_of(db.session, cohort.id),
        checkpoints=followups.months_of(db.session, cohort),
        end=followups.training_end(db.session, cohort),
    )
    if form.validate_on_submit():
        followups.open_round(db.session, cohort, form.title.data, form.opens_on.data, form.due_on.data)
        flash(_("Follow-up round opened. Participants report on their adopted and adapted practices."), "success")
        return redirect(url_for("benchmarking_practices.rounds", cohort_id=cohort.id))
    return page()


@bp.route("/cohorts/<int:cohort_id>/followups/plan", methods=["POST"])
@require("benchmarking.followups.manage", load=Cohort)
def plan_rounds(cohort: Cohort):
    """Open the rounds at the visits' checkpoints (3, 6 and 12 months after the training by default)."""
    return act(
        lambda: followups.plan_rounds(db.session, cohort),
        back=url_for("benchmarking_practices.rounds", cohort_id=cohort.id),
        message=lambda made: (
            ngettext("%(num)d follow-up round planned.", "%(num)d follow-up rounds planned.", len(made))
            if made
            else _("Every checkpoint already has its round.")
        ),
    )


@bp.route("/rounds/<int:round_id>")
@require("benchmarking.round.staff", load=FollowupRound, arg="round_id")
def round_reports(round: FollowupRound):  # noqa: A002 - the name the access loader gives
    items = followups.round_reports(db.session, round.id)
    return render_template(
        "benchmarking/round.html",
        round=round,
        items=items,
        statuses=practices.STATUS_LABELS,
        reviews=mentors.latest_reviews(db.session, [f.id for f in items]),
        verdicts=mentors.VERDICT_LABELS,
        files=mentors.files_of(db.session, [f.id for f in items]),
        projects=change_projects.links_of(db.session, [f.practice_id for f in items]),
        project_stages=change_projects.STAGE_LABELS,
    )


@bp.route("/rounds/<int:round_id>/report", methods=["GET", "POST"])
@require("benchmarking.round.report", load=FollowupRound, arg="round_id")
def report(round: FollowupRound):  # noqa: A002
    mine_ = followups.reportable(db.session, current_user, round.cohort_id)
    existing = queries.followups_in_round(db.session, round.id, [p.id for p in mine_])
    reviews = mentors.latest_reviews(db.session, [f.id for f in existing.values()])
    files = mentors.files_of(db.session, [f.id for f in existing.values()])

    def page(status: int = 200) -> tuple[str, int]:
        forms = {}
        for practice in mine_:
            followup = existing.get(practice.id)
            forms[practice.id] = FollowupForm(
                formdata=None, obj=followup, status=followup.status.value if followup else "planned"
            )
        return render_template(
            "benchmarking/report_round.html",
            round=round,
            items=mine_,
            forms=forms,
            existing=existing,
            statuses=practices.STATUS_LABELS,
            reviews=reviews,
            verdicts=mentors.VERDICT_LABELS,
            labels=practices.STAGE_LABELS,
            today=today_local(),
            files=files,
            projects=change_projects.links_of(db.session, [p.id for p in mine_]),
            project_stages=change_projects.STAGE_LABELS,
        ), status

    def refused(exc: DomainError) -> tuple[str, int]:
        flash(exc.message, "danger")
        return page(exc.status)

    if request.method == "POST":
        form = FollowupForm()
        practice = next((p for p in mine_ if str(p.id) == request.form.get("practice_id")), None)
        if practice is None:
            abort(404)
        if form.validate_on_submit():
            on_refusal(refused)
            followups.report(
                db.session,
                round,
                practice,
                current_user,
                status=form.status.data,
                outcome=form.outcome.data or "",
                evidence_links=form.evidence_links.data or "",
                discontinued_reason=form.discontinued_reason.data or "",
                today=today_local(),
                now=now_utc(),
            )
            flash(_("Thank you: your report is saved."), "success")
            return redirect(url_for("benchmarking_practices.report", round_id=round.id))
    return page()


@bp.route("/followups/<int:followup_id>/confirm", methods=["POST"])
@require("benchmarking.followup.confirm", load=Followup)
def confirm(followup: Followup):
    return act(
        lambda: followups.confirm(db.session, followup, current_user, now_utc()),
        back=url_for("benchmarking_practices.round_reports", round_id=followup.round_id),
        message=_("Confirmed."),
    )


@bp.route("/followups")
@require("participant.any")
def my_rounds():
    cohort_ids = sorted(cohort_ids_with(current_user, Role.PARTICIPANT))
    items = queries.rounds_of_cohorts(db.session, cohort_ids)
    return render_template("benchmarking/my_rounds.html", items=items, today=today_local())


@bp.route("/followups/<int:followup_id>/files", methods=["POST"])
@require("benchmarking.followup.evidence", load=Followup)
def followup_upload(followup: Followup):
    """A photo or document as evidence of implementation, for one report of an open round."""
    back = url_for("benchmarking_practices.report", round_id=followup.round_id)
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a file."), "danger")
        return redirect(back, code=303)
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    data = form.file.data.read(limit + 1)
    refuse_to(back)
    evidence.add_to_followup(
        db.session,
        followup,
        current_user,
        data,
        form.file.data.filename,
        today=today_local(),
        max_file=limit,
        max_practice=current_app.config["EVIDENCE_MAX_PRACTICE_BYTES"],
    )
    flash(_("Evidence added."), "success")
    return redirect(back, code=303)


@bp.route("/practices/<int:practice_id>/change-project", methods=["GET", "POST"])
@require("benchmarking.practice.edit", load=Practice)
def change_project(practice: Practice):
    """The author links the practice to their aksi perubahan: title, stage, approving mentor."""
    round_id = int_or_none(request.args.get("round"))
    back = (
        url_for("benchmarking_practices.report", round_id=round_id)
        if round_id
        else url_for("benchmarking_practices.show", practice_id=practice.id)
    )
    existing = change_projects.links_of(db.session, [practice.id]).get(practice.id)
    own_mentors = mentors.mentors_of(db.session, practice.participant_id)
    form = ChangeProjectForm(obj=existing, mentors=own_mentors)
    if request.method == "GET" and existing is not None:
        form.stage.data = existing.stage.value
        form.mentor_id.data = str(existing.mentor_id or "")
    page = form_page(form, "benchmarking/change_project.html", practice=practice, back=back)
    if form.validate_on_submit():
        change_projects.save(
            db.session,
            practice,
            current_user,
            title=form.title.data,
            stage=form.stage.data,
            mentor_id=int_or_none(form.mentor_id.data),
            now=now_utc(),
        )
        flash(_("Your aksi perubahan is linked to this practice."), "success")
        return redirect(back, code=303)
    return page()
