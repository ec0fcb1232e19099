"""Follow-up rounds: coordinators open them, participants report on adopted practices, staff confirm."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.timezones import now_utc, today_local
from lms.core.transaction import refuse_to
from lms.core.views import act, form_page, on_refusal
from plugins.benchmarking import evidence, followups, mentors, practices, queries
from plugins.benchmarking.forms import EvidenceForm, FollowupForm, RoundForm
from plugins.benchmarking.models import Followup, FollowupRound
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/cohorts/<int:cohort_id>/followups", methods=["GET", "POST"])
@require("benchmarking.followups.manage", load=Cohort)
def rounds(cohort: Cohort):
    form = RoundForm()
    page = form_page(form, "benchmarking/rounds.html", cohort=cohort, items=followups.rounds_of(db.session, cohort.id))
    if form.validate_on_submit():
        followups.open_round(db.session, cohort, form.title.data, form.opens_on.data, form.due_on.data)
        flash(_("Follow-up round opened. Participants report on their adopted and adapted practices."), "success")
        return redirect(url_for("benchmarking_practices.rounds", cohort_id=cohort.id))
    return page()


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
