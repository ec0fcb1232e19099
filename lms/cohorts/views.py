"""Programs, cohorts, their staff and participants, and roster import."""

from __future__ import annotations

import os
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from lms import db
from lms.assessments import services as assessments
from lms.assessments.models import Assessment
from lms.cohorts import queries, services
from lms.cohorts import roster as roster_service
from lms.cohorts.forms import (
    BULK_ACTIONS,
    BulkForm,
    CohortForm,
    ProgramForm,
    RosterUploadForm,
    StaffForm,
    StatusForm,
    chosen_status,
)
from lms.cohorts.jobs import ROSTER_IMPORT
from lms.cohorts.models import Cohort, Membership, Program, Role
from lms.cohorts.rules import cohort_ids_with, may_edit_program
from lms.cohorts.services import FOLLOW_DATES
from lms.core.access import require
from lms.core.forms import Form as FlaskForm
from lms.core.forms import int_or_none
from lms.core.pagination import page_arg, paginate
from lms.core.predicates import DEFAULT_BANDS, bands_to_text
from lms.core.timezones import now_utc, to_utc, today_local
from lms.core.views import act, after_commit, cohort_tabs, form_page, refuse_to
from lms.invitations import services as invitations
from lms.jobs import services as jobs
from lms.jobs.views import start_page
from lms.notifications.events import roster_imported
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ParticipantAction
from lms.users.forms import ParticipantForm

bp = Blueprint("cohorts", __name__, template_folder="templates")


# -- programs ------------------------------------------------------------------------------------


@bp.route("/programs")
@require("programs.view")
def programs():
    staff_of = cohort_ids_with(current_user, Role.COORDINATOR, Role.INSTRUCTOR)
    items = services.visible_programs(db.session, current_user, staff_of)
    cohorts = queries.cohorts_of_programs(db.session, [p.id for p in items])
    every: dict[int, set[int]] = {}
    for cohort in cohorts:
        every.setdefault(cohort.program_id, set()).add(cohort.id)
    # Every cohort of every listed program is loaded: this decides without a query per program.
    editable = {p.id for p in items if may_edit_program(current_user, p, every.get(p.id, set()))}
    if not (current_user.is_admin or current_user.is_manager):
        cohorts = [c for c in cohorts if c.id in staff_of]
    counts = services.counts_by_cohort(db.session, [c.id for c in cohorts])
    by_program: dict[int, list[Cohort]] = {}
    for cohort in cohorts:
        by_program.setdefault(cohort.program_id, []).append(cohort)
    return render_template(
        "cohorts/programs.html", programs=items, by_program=by_program, counts=counts, editable=editable
    )


@bp.route("/programs/new", methods=["GET", "POST"])
@require("programs.manage")
def create_program():
    form = ProgramForm()
    page = form_page(form, "cohorts/program_form.html", program=None)
    if request.method == "GET":
        form.bands.data = bands_to_text(DEFAULT_BANDS)
    if form.validate_on_submit():
        program = services.save_program(
            db.session,
            None,
            code=form.code.data,
            name=form.name.data,
            description=form.description.data or "",
            bands=form.parsed_bands,
            attendance_minimum=form.attendance_minimum.data,
            show_rank=form.show_rank.data,
            actor=current_user,
        )
        flash(_("Program %(code)s created.", code=program.code), "success")
        return redirect(url_for("cohorts.programs"))
    return page()


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@require("program.edit", load=Program)
def edit_program(program: Program):
    form = ProgramForm(obj=program)
    page = form_page(form, "cohorts/program_form.html", program=program)
    if request.method == "GET":
        form.bands.data = bands_to_text(program.predicate_bands)
    if form.validate_on_submit():
        services.save_program(
            db.session,
            program,
            code=form.code.data,
            name=form.name.data,
            description=form.description.data or "",
            bands=form.parsed_bands,
            attendance_minimum=form.attendance_minimum.data,
            show_rank=form.show_rank.data,
        )
        flash(_("Saved."), "success")
        return redirect(url_for("cohorts.programs"))
    return page()


# -- cohorts -------------------------------------------------------------------------------------


def _cohort_fields(form: CohortForm) -> dict:
    return {
        "name": form.name.data,
        "year": form.year.data,
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "location": form.location.data or "",
        "status": chosen_status(form.status.data),
        "today": today_local(),
    }


@bp.route("/programs/<int:program_id>/cohorts/new", methods=["GET", "POST"])
@require("programs.manage", load=Program)
def create_cohort(program: Program):
    form = CohortForm()
    page = form_page(form, "cohorts/cohort_form.html", program=program, cohort=None)
    if form.validate_on_submit():
        cohort = services.save_cohort(db.session, None, program=program, actor=current_user, **_cohort_fields(form))
        flash(_("Cohort created. Next: add instructors and participants."), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return page()


@bp.route("/cohorts/<int:cohort_id>")
@require("cohort.view", load=Cohort)
def show(cohort: Cohort):
    counts = services.counts_by_cohort(db.session, [cohort.id])[cohort.id]
    staff = services.staff(db.session, cohort)
    return render_template(
        "cohorts/show.html",
        cohort=cohort,
        counts=counts,
        staff=staff,
        tabs=cohort_tabs(cohort, current_user),
        status_form=StatusForm(status=cohort.status.value if cohort.status_by_hand else FOLLOW_DATES),
        staff_form=StaffForm(),
    )


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def edit(cohort: Cohort):
    shown = cohort.status.value if cohort.status_by_hand else FOLLOW_DATES
    form = CohortForm(obj=cohort, status=shown)
    page = form_page(form, "cohorts/cohort_form.html", program=cohort.program, cohort=cohort)
    if request.method == "GET":
        form.status.data = shown
    if form.validate_on_submit():
        services.save_cohort(db.session, cohort, program=cohort.program, actor=None, **_cohort_fields(form))
        flash(_("Saved."), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return page()


@bp.route("/cohorts/<int:cohort_id>/status", methods=["POST"])
@require("cohort.manage", load=Cohort)
def set_status(cohort: Cohort):
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_status(db.session, cohort, chosen_status(form.status.data), today_local())
    if cohort.is_closed:
        flash(_("The cohort is closed: it is now read-only."), "info")
    else:
        flash(_("Status changed to %(status)s.", status=services.status_label(cohort.status)), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


# -- people --------------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/participants")
@require("cohort.teach", load=Cohort)
def participants(cohort: Cohort):
    query = request.args.get("q", "").strip()
    page = paginate(
        db.session, services.participants(cohort, query), page_arg(request.args), current_app.config["PAGE_SIZE"]
    )
    access = invitations.access_states(db.session, [m.user for m in page.items])
    return render_template(
        "cohorts/participants.html",
        cohort=cohort,
        page=page,
        q=query,
        tabs=cohort_tabs(cohort, current_user),
        access=access,
        access_labels=invitations.ACCESS_LABELS,
        bulk_actions={**BULK_ACTIONS, **{a.key: a.label for a in _plugin_actions(cohort)}},
    )


def _plugin_actions(cohort: Cohort) -> list[ParticipantAction]:
    found: list[ParticipantAction] = []
    for contributed in get_plugin_manager(current_app).hook.lms_participant_actions(cohort=cohort):
        found.extend(contributed or [])
    return sorted(found, key=lambda a: (a.order, a.key))


@bp.route("/cohorts/<int:cohort_id>/participants/bulk", methods=["POST"])
@require("cohort.edit", load=Cohort)
def bulk(cohort: Cohort):
    """Act on the ticked participants: the first POST shows who and asks, the confirmed one acts."""
    back = url_for("cohorts.participants", cohort_id=cohort.id)
    form = BulkForm()
    extra = {a.key: a for a in _plugin_actions(cohort)}
    form.action.choices = [SelectChoice(k, v) for k, v in BULK_ACTIONS.items()] + [
        SelectChoice(a.key, a.label) for a in extra.values()
    ]
    form.assessment_id.choices = [
        SelectChoice(a.id, a.title)
        for a in db.session.scalars(
            select(Assessment).where(Assessment.cohort_id == cohort.id).order_by(Assessment.due_at, Assessment.id)
        )
    ]
    ids = [i for i in (int_or_none(v) for v in request.form.getlist("user_ids")) if i is not None]
    chosen = services.participant_memberships(db.session, cohort, ids)
    if not chosen or not form.validate_on_submit():
        flash(_("Tick at least one participant, then choose what to do with them."), "warning")
        return redirect(back, 303)
    action = form.action.data
    ready = request.form.get("confirmed") == "1"
    if action in extra:
        return _plugin_bulk(cohort, form, extra[action], ids, chosen, ready, back)
    if action == "extension" and ready and (form.assessment_id.data is None or form.cutoff_at.data is None):
        form.cutoff_at.errors = [_("Choose the assessment and the new cut-off.")]
        ready = False
    if not ready:
        return render_template(
            "cohorts/bulk_confirm.html",
            cohort=cohort,
            form=form,
            chosen=chosen,
            action_label=BULK_ACTIONS[action],
            tabs=cohort_tabs(cohort, current_user),
        )
    people = [m.user for m in chosen]
    if action == "invite":
        return act(
            lambda: invitations.invite(db.session, cohort, invitations.invitable(db.session, cohort, ids)),
            back=back,
            message=lambda n: ngettext("%(num)s invitation is being sent.", "%(num)s invitations are being sent.", n),
        )
    if action == "remove":
        return act(
            lambda: services.remove_members(db.session, chosen),
            back=back,
            message=lambda n: ngettext(
                "%(num)s participant is removed from the cohort.",
                "%(num)s participants are removed from the cohort.",
                n,
            ),
        )
    assessment = db.session.get(Assessment, form.assessment_id.data)
    if assessment is None or assessment.cohort_id != cohort.id:
        abort(404)
    return act(
        lambda: assessments.grant_extensions(
            db.session, assessment, people, to_utc(form.cutoff_at.data), current_user, now_utc()
        ),
        back=back,
        message=lambda n: ngettext(
            "%(num)s participant has an extension for %(title)s.",
            "%(num)s participants have an extension for %(title)s.",
            n,
            title=assessment.title,
        ),
    )


def _plugin_bulk(
    cohort: Cohort,
    form: BulkForm,
    action: ParticipantAction,
    ids: list[int],
    chosen: list[Membership],
    ready: bool,
    back: str,
) -> Any:
    """A plugin's bulk action: every ticked id must be a participant of this cohort (an id from
    elsewhere refuses the whole request, nothing done), then the plugin's ``apply`` runs once."""
    if {m.user_id for m in chosen} != set(ids):
        abort(403)
    target = request.form.get("target", "")
    valid = target in {str(value) for value, _label in action.targets}
    if not ready or not valid:
        error = _("Choose one of the options.") if ready else None
        return render_template(
            "cohorts/bulk_confirm.html",
            cohort=cohort,
            form=form,
            chosen=chosen,
            action_label=action.label,
            plugin_action=action,
            target=target,
            target_error=error,
            tabs=cohort_tabs(cohort, current_user),
        ), (422 if error else 200)
    return act(lambda: action.apply(db.session, cohort, ids, target, current_user), back=back, message=action.done)


@bp.route("/cohorts/<int:cohort_id>/participants/new", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def enrol(cohort: Cohort):
    form = ParticipantForm()
    page = form_page(form, "cohorts/enrol.html", cohort=cohort)
    if form.validate_on_submit():
        try:
            membership = services.enrol_participant(
                db.session,
                cohort,
                email=form.email.data,
                name=form.name.data,
                nip=form.nip.data,
                instansi=form.instansi.data or "",
                unit=form.unit.data or "",
                jabatan=form.jabatan.data or "",
                golongan=form.golongan.data or None,
                actor=current_user,
                confirm_nip=form.confirm.data,
            )
        except services.ConfirmPerson as ask:  # not a refusal: a question, asked with nothing saved
            db.session.rollback()
            return page(200, ask=ask)
        flash(_("%(name)s is enrolled.", name=membership.user.name), "success")
        return redirect(url_for("cohorts.participants", cohort_id=cohort.id))
    return page()


@bp.route("/cohorts/<int:cohort_id>/staff", methods=["POST"])
@require("cohort.edit", load=Cohort)
def add_staff(cohort: Cohort):
    form = StaffForm()
    refuse_to(url_for("cohorts.show", cohort_id=cohort.id))
    if form.validate_on_submit():
        membership = invitations.add_staff(
            db.session,
            cohort,
            email=form.email.data,
            name=form.name.data,
            role=Role(form.role.data),
            actor=current_user,
        )
        flash(
            _(
                "%(email)s added as %(role)s; an e-mail tells them how to log in.",
                email=form.email.data.strip(),
                role=services.role_label(membership.role),
            ),
            "success",
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/members/<int:membership_id>/remove", methods=["POST"])
@require("cohort.edit", load=Cohort)
def remove_member(cohort: Cohort, membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.cohort_id != cohort.id:
        abort(404)
    name = membership.user.name
    back = url_for(
        "cohorts.participants" if request.form.get("back") == "participants" else "cohorts.show", cohort_id=cohort.id
    )
    return act(
        lambda: services.remove_member(db.session, membership),
        back=back,
        message=_("%(name)s is removed from the cohort.", name=name),
    )


# -- roster import -------------------------------------------------------------------------------


def _load_upload(cohort: Cohort, token: str) -> roster_service.Upload:
    """The file this person previewed for this cohort: 400 for a malformed token, 410 once it is gone."""
    try:
        upload = roster_service.kept_upload(token)
    except ValueError:
        abort(400)
    except roster_service.UploadGone:
        abort(410)
    if upload.cohort_id != cohort.id or upload.user_id != current_user.id:
        abort(404)
    return upload


@bp.route("/cohorts/<int:cohort_id>/roster", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def roster(cohort: Cohort):
    form = RosterUploadForm()
    page = form_page(form, "cohorts/roster.html", cohort=cohort)
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["ROSTER_MAX_BYTES"] + 1)
        if len(data) > current_app.config["ROSTER_MAX_BYTES"]:
            abort(413)
        filename = os.path.basename(upload.filename or "roster")
        try:
            result = roster_service.preview(
                db.session, cohort, data, filename, current_app.config["ROSTER_MAX_ROWS"], actor=current_user
            )
        except roster_service.RosterFileError as exc:
            form.file.errors = [exc.args[0]]
            return page(422)
        token = (
            roster_service.keep_upload(cohort.id, current_user.id, data, filename, len(result.rows))
            if result.ok
            else None
        )
        status = 200 if result.ok else 422
        return render_template(
            "cohorts/roster_preview.html", cohort=cohort, preview=result, filename=filename, token=token, form=form
        ), status
    return page()


@bp.route("/cohorts/<int:cohort_id>/roster/import", methods=["POST"])
@require("cohort.edit", load=Cohort)
def roster_import(cohort: Cohort):
    if not FlaskForm().validate_on_submit():
        abort(400)
    token = request.form.get("token", "")
    upload = _load_upload(cohort, token)
    data, filename = upload.data, upload.filename
    refuse_to(url_for("cohorts.roster", cohort_id=cohort.id))
    if upload.rows > current_app.config["ROSTER_INLINE_ROWS"]:
        # A large file is imported by the job queue, with a progress bar, not inside this request.
        job = jobs.start_job(
            db.session,
            current_user,
            ROSTER_IMPORT,
            {"cohort_id": cohort.id, "token": token},
            locale=str(get_locale()),
            back_url=url_for("cohorts.participants", cohort_id=cohort.id),
        )
        return start_page(job)
    try:
        result = roster_service.preview(
            db.session, cohort, data, filename, current_app.config["ROSTER_MAX_ROWS"], actor=current_user
        )
        if result.ok:
            counts = roster_service.import_rows(db.session, cohort, result)
            roster_imported(db.session, current_user, cohort, counts, now_utc())
            db.session.flush()  # a clash with another import surfaces here, where it is answered below
        else:
            # What is stored changed since the preview (another import, a second tab): the new preview
            # says what would happen now. Its reads are separate statements, so a commit landing
            # between them can also make it inconsistent: read once more, after the other's commit.
            db.session.rollback()
            flash(
                _(
                    "Since the preview, some of these people were changed elsewhere (for example by another "
                    "import at the same moment), so nothing was imported. Check the new preview and import."
                ),
                "warning",
            )
    except IntegrityError:
        # Another import created or enrolled some of these people at the same moment: nothing of this
        # one is saved; the preview, read again, shows them as existing and the file is kept.
        db.session.rollback()
        flash(
            _(
                "Some of these people were added by another import at the same moment, so nothing was "
                "imported. Check the preview again and import."
            ),
            "warning",
        )
        result = None
    except roster_service.RosterFileError as exc:
        db.session.rollback()
        flash(exc.args[0], "danger")
        return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
    if result is None or not result.ok:
        result = roster_service.preview(
            db.session, cohort, data, filename, current_app.config["ROSTER_MAX_ROWS"], actor=current_user
        )
        return render_template(
            "cohorts/roster_preview.html",
            cohort=cohort,
            preview=result,
            filename=filename,
            token=token if result.ok else None,
            form=RosterUploadForm(),
        ), 409
    after_commit(lambda: roster_service.drop_upload(token))
    flash(
        _(
            "Roster imported: %(created)s new accounts, %(enrolled)s existing people enrolled, "
            "%(updated)s profiles updated, %(unchanged)s unchanged.",
            **counts,
        ),
        "success",
    )
    if counts.get("created"):
        flash(
            _(
                "Next: send the new participants their invitations (“Invite everyone not yet active”) "
                "or print activation codes."
            ),
            "info",
        )
    return redirect(url_for("cohorts.participants", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/roster/cancel", methods=["POST"])
@require("cohort.edit", load=Cohort)
def roster_cancel(cohort: Cohort):
    token = request.form.get("token", "")
    _load_upload(cohort, token)  # only the person who uploaded it, for this cohort
    roster_service.drop_upload(token)
    flash(_("The roster file is discarded; nothing was imported."), "info")
    return redirect(url_for("cohorts.roster", cohort_id=cohort.id))


@bp.route("/roster-template.csv")
@require("programs.view")
def roster_template():
    return Response(
        roster_service.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-template.csv"},
    )
