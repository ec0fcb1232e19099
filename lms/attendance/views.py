"""Attendance pages: the timetable and totals, a session's form, the phone sheet, teaching hours."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.attendance import (
    services,
)
from lms.attendance.forms import RecordForm, SessionForm
from lms.attendance.models import ClassSession, Presence
from lms.cohorts.models import Cohort
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import int_or_none
from lms.core.pagination import page_arg, paginate
from lms.core.views import act, form_page, on_refusal

bp = Blueprint("attendance", __name__, template_folder="templates")
SESSIONS_PER_PAGE = 50
VALUES = {p.value for p in Presence}


def _index(cohort: Cohort) -> str:
    return url_for("attendance.index", cohort_id=cohort.id)


@bp.route("/cohorts/<int:cohort_id>/attendance")
@require("attendance.view", load=Cohort)
def index(cohort: Cohort):
    page = paginate(db.session, services.sessions_of(cohort), page_arg(request.args), SESSIONS_PER_PAGE)
    people = services.participants(db.session, cohort)
    totals = services.attendance_totals(db.session, cohort)
    return render_template(
        "attendance/index.html",
        cohort=cohort,
        page=page,
        people=people,
        totals=totals,
        minimum=cohort.program.attendance_minimum,
        below=services.below_minimum,
        hours=services.teaching_hours(db.session, cohort),
        active="attendance",
    )


@bp.route("/cohorts/<int:cohort_id>/attendance/mine")
@require("attendance.own", load=Cohort)
def mine(cohort: Cohort):
    """A peserta's own attendance: each session with their status, and their total."""
    total = services.attendance_totals(db.session, cohort).get(current_user.id)
    return render_template(
        "attendance/mine.html",
        cohort=cohort,
        rows=services.own_sheet(db.session, cohort, current_user),
        total=total,
        minimum=cohort.program.attendance_minimum,
        below=services.below_minimum,
        labels=services.PRESENCE_LABELS,
        active="attendance",
    )


def _session_form(cohort: Cohort, form: SessionForm) -> SessionForm:
    form.instructor_id.choices = [("", _("— none —"))] + [
        (str(u.id), u.name) for u in services.instructors(db.session, cohort)
    ]
    return form


def _save(cohort: Cohort, class_session: ClassSession | None, form: SessionForm) -> Any:
    page = form_page(form, "attendance/session_form.html", cohort=cohort, class_session=class_session)
    if form.validate_on_submit():
        services.save_session(
            db.session,
            cohort,
            class_session,
            day=form.day.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            jp=form.jp.data,
            topic=form.topic.data,
            instructor_id=form.instructor_id.data,
        )
        flash(_("Session saved."), "success")
        return redirect(_index(cohort), code=303)
    return page()


@bp.route("/cohorts/<int:cohort_id>/attendance/sessions/new", methods=["GET", "POST"])
@require("attendance.plan", load=Cohort)
def new_session(cohort: Cohort):
    return _save(cohort, None, _session_form(cohort, SessionForm()))


@bp.route("/attendance/sessions/<int:class_session_id>/edit", methods=["GET", "POST"])
@require("attendance.session.edit", load=ClassSession)
def edit_session(class_session: ClassSession):
    form = _session_form(class_session.cohort, SessionForm(obj=class_session))
    return _save(class_session.cohort, class_session, form)


@bp.route("/attendance/sessions/<int:class_session_id>/delete", methods=["POST"])
@require("attendance.session.edit", load=ClassSession)
def delete_session(class_session: ClassSession):
    back = _index(class_session.cohort)
    return act(
        lambda: services.delete_session(db.session, class_session),
        back=back,
        message=_("Session deleted with its attendance."),
    )


def _sheet_page(
    class_session: ClassSession, form: RecordForm, chosen: dict[int, Presence] | None = None, status: int = 200
) -> Any:
    people = services.participants(db.session, class_session.cohort)
    rows = services.sheet(db.session, class_session, people)
    if chosen is not None:  # what the recorder typed, kept after a refusal
        rows = [(person, chosen.get(person.id, presence)) for person, presence in rows]
    form.version.data = str(class_session.version)
    return render_template(
        "attendance/record.html",
        class_session=class_session,
        cohort=class_session.cohort,
        form=form,
        rows=rows,
        presences=list(Presence),
        short=services.PRESENCE_SHORT,
        labels=services.PRESENCE_LABELS,
    ), status


@bp.route("/attendance/sessions/<int:class_session_id>/record", methods=["GET", "POST"])
@require("attendance.session.record", load=ClassSession)
def record(class_session: ClassSession):
    """One page for a phone: everyone *hadir* by default, one tap per person who is not."""
    form = RecordForm(instructor_present=class_session.instructor_present)
    if not form.validate_on_submit():
        return _sheet_page(class_session, form, status=422 if form.errors else 200)
    chosen: dict[int, Presence] = {}
    bad = False
    for key, value in request.form.items():
        if key.startswith("p-"):
            person_id = int_or_none(key[2:])
            if person_id is None or value not in VALUES:
                bad = True
                continue
            chosen[person_id] = Presence(value)
    version = int_or_none(form.version.data)
    if bad or version is None:
        db.session.rollback()
        flash(_("The list could not be read; check each person's status and save again."), "danger")
        return _sheet_page(class_session, form, chosen, 422)

    def refused(error: DomainError) -> Any:
        db.session.refresh(class_session)
        flash(error.message, "danger")
        return _sheet_page(class_session, form, status=error.status)

    on_refusal(refused)
    services.record(
        db.session,
        class_session,
        current_user,
        version=version,
        statuses=chosen,
        instructor_present=bool(form.instructor_present.data),
    )
    absent = sum(1 for p in chosen.values() if p != Presence.HADIR)
    flash(_("Attendance saved: %(absent)s not present.", absent=absent), "success")
    return redirect(url_for("attendance.index", cohort_id=class_session.cohort_id), code=303)


@bp.route("/cohorts/<int:cohort_id>/attendance/teaching-hours.csv")
@require("attendance.view", load=Cohort)
def teaching_hours_csv(cohort: Cohort):
    name = f"{cohort.program.code}_{cohort.name}_{cohort.year}_jam_mengajar.csv".replace(" ", "_")
    return send_file(
        io.BytesIO(services.teaching_hours_csv(db.session, cohort)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
