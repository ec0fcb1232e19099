"""Mentors: the peserta (or a coordinator for them) invites one for a follow-up round; the mentor
answers through the e-mailed link, without an account (public by token, see mentors.py)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.core.access import require
from lms.core.forms import int_or_none
from lms.core.timezones import now_utc, today_local
from lms.core.views import form_page
from lms.extensions import limiter
from lms.invitations.services import LinkRefused
from lms.users.models import User
from plugins.benchmarking import change_projects, mentors, practices
from plugins.benchmarking.forms import MentorAnswerForm, MentorForm
from plugins.benchmarking.models import FollowupRound
from plugins.benchmarking.practice_views.blueprint import bp
from plugins.benchmarking.practice_views.files import served


def _limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _invite_page(round_: FollowupRound, participant: User, back: str):
    form = MentorForm()
    page = form_page(
        form,
        "benchmarking/mentor_invite.html",
        round=round_,
        participant=participant,
        back=back,
        items=mentors.mentors_of(db.session, participant.id),
    )
    if form.validate_on_submit():
        mentor = mentors.invite(
            db.session,
            round_,
            participant.id,
            current_user,
            name=form.name.data,
            nip=form.nip.data or "",
            position=form.position.data or "",
            email=form.email.data,
            today=today_local(),
            now=now_utc(),
        )
        flash(
            _(
                "An e-mail with a link is on its way to %(name)s (%(email)s). Earlier links to them no longer work.",
                name=mentor.name,
                email=mentor.email,
            ),
            "success",
        )
        return redirect(back, code=303)
    return page()


@bp.route("/rounds/<int:round_id>/mentor", methods=["GET", "POST"])
@require("benchmarking.round.report", load=FollowupRound, arg="round_id")
def invite_mentor(round: FollowupRound):  # noqa: A002 - the name the access loader gives
    """The peserta invites their own mentor."""
    return _invite_page(round, current_user, url_for("benchmarking_practices.report", round_id=round.id))


@bp.route("/rounds/<int:round_id>/participants/<int:user_id>/mentor", methods=["GET", "POST"])
@require("benchmarking.round.mentors", load=FollowupRound, arg="round_id")
def invite_mentor_for(round: FollowupRound, user_id: int):  # noqa: A002
    """A coordinator invites a peserta's mentor; someone outside the cohort is a 404."""
    participant = mentors.participant_of(db.session, round, user_id)
    return _invite_page(round, participant, url_for("benchmarking_practices.round_reports", round_id=round.id))


@bp.route("/mentor/<token>", methods=["GET", "POST"])
@require("public")
@limiter.limit(_limit, methods=["POST"])
def mentor(token: str):
    """The mentor's page: the peserta's reports of the round, each with its answer form."""
    g.no_store = True
    try:
        mentor_, round_ = mentors.open_link(db.session, token, today_local())
    except LinkRefused as refused:
        return render_template("benchmarking/mentor_refused.html", message=refused.message), refused.status
    items = mentors.reports_for(db.session, mentor_, round_)
    files = mentors.files_of(db.session, [f.id for f in items])
    answered = mentors.answers_of(db.session, mentor_, [f.id for f in items])
    form = MentorAnswerForm()
    forms = {f.id: MentorAnswerForm(formdata=None, followup_id=f.id) for f in items}
    page = form_page(
        form,
        "benchmarking/mentor.html",
        mentor=mentor_,
        round=round_,
        items=items,
        answered=answered,
        forms=forms,
        statuses=practices.STATUS_LABELS,
        labels=mentors.VERDICT_LABELS,
        token=token,
        files=files,
        projects=change_projects.links_of(db.session, [f.practice_id for f in items]),
        project_stages=change_projects.STAGE_LABELS,
    )
    if request.method == "POST":
        followup_id = int_or_none(form.followup_id.data)
        if followup_id is None:
            abort(404)
        forms[followup_id] = form  # the answered report shows what was typed, and why it was refused
        if form.validate_on_submit():
            mentors.answer(
                db.session,
                mentor_,
                round_,
                followup_id,
                verdict=form.verdict.data,
                comment=form.comment.data or "",
                now=now_utc(),
            )
            flash(
                _("Thank you: your answer is recorded and %(name)s is told.", name=mentor_.participant.name), "success"
            )
            return redirect(url_for("benchmarking_practices.mentor", token=token), code=303)
    return page()


@bp.route("/mentor/<token>/files/<int:attachment_id>")
@require("public")
def mentor_file(token: str, attachment_id: int):
    """An evidence file of the mentor's peserta's report in the link's round, with the link's
    authority and no login; refused like the page once the link or its round is over."""
    g.no_store = True
    try:
        mentor_, round_ = mentors.open_link(db.session, token, today_local())
    except LinkRefused as refused:
        return render_template("benchmarking/mentor_refused.html", message=refused.message), refused.status
    attachment = mentors.file_for(db.session, mentor_, round_, attachment_id)
    if attachment is None:
        abort(404)
    return served(attachment)
