"""Score sheets: setting one up, the observer's grid (rows = peserta, columns = criteria), its XLSX
worksheet for marking offline, and the audit trail."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import db
from lms.cohorts.models import Cohort
from lms.core.access import can, require
from lms.core.errors import DomainError
from lms.core.timezones import now_utc
from lms.core.views import cohort_tabs, on_refusal
from lms.results import components
from lms.results.models import WORK_SOURCE
from lms.scoresheets import services, worksheet
from lms.scoresheets.models import Combination, ObserverRole, ScoreSheet

bp = Blueprint("scoresheets", __name__, template_folder="templates")

COMBINATION_LABELS = {
    Combination.MEAN: _l("Mean of the observers"),
    Combination.MEDIAN: _l("Median of the observers"),
    Combination.LOWEST: _l("Lowest observer's score"),
    Combination.HIGHEST: _l("Highest observer's score"),
}
ROLE_LABELS = {
    ObserverRole.WIDYAISWARA: _l("Widyaiswara"),
    ObserverRole.COACH: _l("Coach"),
    ObserverRole.PENYELENGGARA: _l("Penyelenggara"),
}


def _work_components(cohort: Cohort) -> list[Any]:
    scheme = components.scheme_for(db.session, cohort)
    return [c for c in scheme.components if c.source == WORK_SOURCE] if scheme else []


def _number(text: str, what: Any) -> Decimal:
    try:
        value = Decimal((text or "").strip().replace(",", ".") or "1")
    except InvalidOperation:
        raise DomainError(_l("%(what)s: “%(text)s” is not a number.", what=what, text=text[:20])) from None
    return value


def _criteria(text: str) -> list[services.CriterionData]:
    """Lines ``Integritas | 2`` (the weight is optional, 1 by default)."""
    out = []
    for number, line in enumerate((raw for raw in text.splitlines() if raw.strip()), start=1):
        title, _bar, weight = line.partition("|")
        out.append(services.CriterionData(title.strip(), _number(weight, _("Line %(n)s", n=number))))
    return out


def _form_values() -> dict[str, str]:
    return {
        k: request.form.get(k, "")[:4000]
        for k in ("title", "component_key", "weight", "combination", "observers_required", "criteria")
    }


def _sheet_form(cohort: Cohort, sheet: ScoreSheet | None) -> Any:
    if request.method == "GET":
        values = (
            {
                "title": "",
                "component_key": "",
                "weight": "1",
                "combination": "mean",
                "observers_required": "1",
                "criteria": "",
            }
            if sheet is None
            else {
                "title": sheet.title,
                "component_key": sheet.component_key,
                "weight": str(sheet.weight.normalize()),
                "combination": sheet.combination.value,
                "observers_required": str(sheet.observers_required),
                "criteria": "\n".join(f"{c.title} | {c.weight.normalize()}" for c in sheet.criteria),
            }
        )
    else:
        values = _form_values()

    def page(status: int = 200, error: Any = None) -> tuple[str, int]:
        return render_template(
            "scoresheets/form.html",
            cohort=cohort,
            sheet=sheet,
            values=values,
            error=error,
            work_components=_work_components(cohort),
            combinations=COMBINATION_LABELS,
            tabs=cohort_tabs(cohort, current_user),
        ), status

    if request.method == "GET":
        return page()
    on_refusal(lambda error: page(error.status, error.message))
    required = values["observers_required"].strip()
    saved = services.save_sheet(
        db.session,
        cohort,
        sheet,
        services.SheetData(
            title=values["title"],
            criteria=_criteria(values["criteria"]),
            component_key=values["component_key"].strip(),
            weight=_number(values["weight"], _("Weight")),
            combination=values["combination"],
            observers_required=int(required) if required.isdigit() and len(required) < 3 else 0,
        ),
        current_user,
        now_utc(),
    )
    if saved.component_key and saved.component_key not in {c.key for c in _work_components(cohort)}:
        raise DomainError(_l("Choose one of the components of the cohort's result definition."), field="component_key")
    flash(_("Score sheet saved."), "success")
    return redirect(url_for("scoresheets.grid", sheet_id=saved.id), code=303)


@bp.route("/cohorts/<int:cohort_id>/score-sheets/new", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def create(cohort: Cohort):
    return _sheet_form(cohort, None)


@bp.route("/score-sheets/<int:sheet_id>/edit", methods=["GET", "POST"])
@require("scoresheet.manage", load=ScoreSheet, arg="sheet_id")
def edit(sheet: ScoreSheet):
    return _sheet_form(sheet.cohort, sheet)


def _observer(sheet: ScoreSheet) -> tuple[int, ObserverRole, dict[int, tuple[str, set[Any]]]]:
    """Whose scores the grid shows: the user's own, or (coordinators) the chosen staff member's."""
    staff = services.staff(db.session, sheet.cohort)
    wanted = request.values.get("observer", "")
    observer_id = int(wanted) if wanted.isdigit() and len(wanted) < 12 else current_user.id
    if observer_id != current_user.id and not can(current_user, "scoresheet.manage", sheet):
        observer_id = current_user.id
    roles = staff.get(observer_id, ("", set()))[1]
    role = request.values.get("observer_role", "")
    return (
        observer_id,
        ObserverRole(role) if role in {r.value for r in ObserverRole} else services.default_role(roles),
        staff,
    )


def _grid_page(
    sheet: ScoreSheet,
    observer_id: int,
    role: ObserverRole,
    staff: dict[int, Any],
    status: int = 200,
    conflicts: set[tuple[int, int]] | None = None,
    typed: dict[tuple[int, int], str] | None = None,
) -> Any:
    people = services.participants(db.session, sheet.cohort)
    entries = services.entries_of(db.session, sheet, observer_id)
    return render_template(
        "scoresheets/grid.html",
        sheet=sheet,
        cohort=sheet.cohort,
        people=people,
        entries=entries,
        observer_id=observer_id,
        observer_role=role,
        staff=staff,
        roles=ROLE_LABELS,
        combinations=COMBINATION_LABELS,
        conflicts=conflicts or set(),
        typed=typed or {},
        manage=can(current_user, "scoresheet.manage", sheet),
        editable=not sheet.cohort.is_closed and observer_id in staff,
        tabs=cohort_tabs(sheet.cohort, current_user),
    ), status


@bp.route("/score-sheets/<int:sheet_id>", methods=["GET", "POST"])
@require("scoresheet.enter", load=ScoreSheet, arg="sheet_id")
def grid(sheet: ScoreSheet):
    observer_id, role, staff = _observer(sheet)
    if request.method == "GET":
        return _grid_page(sheet, observer_id, role, staff)
    cells: list[services.CellInput] = []
    typed: dict[tuple[int, int], str] = {}
    for name, value in request.form.items():
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "s" or not all(p.isdigit() and len(p) < 12 for p in parts[1:]):
            continue
        pid, cid = int(parts[1]), int(parts[2])
        typed[(pid, cid)] = value[:20]
        if value.strip() == request.form.get(f"o-{pid}-{cid}", "").strip():
            continue  # unchanged since the page was read
        base = request.form.get(f"v-{pid}-{cid}", "0")
        cells.append(services.CellInput(pid, cid, value[:20], int(base) if base.isdigit() and len(base) < 12 else -1))

    def refused(error: DomainError) -> Any:
        if isinstance(error, services.SheetConflict):
            flash(error.message, "warning")
            return _grid_page(sheet, observer_id, role, staff, 409, conflicts=set(error.cells))
        flash(error.message, "danger")
        return _grid_page(sheet, observer_id, role, staff, error.status, typed=typed)

    on_refusal(refused)
    chosen = services.check_observer(
        db.session, sheet.cohort, current_user, observer_id, role.value, can(current_user, "scoresheet.manage", sheet)
    )
    changed = services.save_scores(db.session, sheet, current_user, observer_id, chosen, cells, now_utc())
    flash(_("%(n)s score(s) saved.", n=changed), "success")
    return redirect(
        url_for("scoresheets.grid", sheet_id=sheet.id, observer=observer_id, observer_role=chosen.value), code=303
    )


@bp.route("/score-sheets/<int:sheet_id>/worksheet.xlsx")
@require("scoresheet.enter", load=ScoreSheet, arg="sheet_id")
def worksheet_file(sheet: ScoreSheet):
    observer_id, role, _staff = _observer(sheet)
    data = worksheet.write(
        sheet,
        services.participants(db.session, sheet.cohort),
        services.entries_of(db.session, sheet, observer_id),
        observer_id,
        role.value,
    )
    g.no_store = True
    name = f"nilai-{sheet.cohort.program.code}-{sheet.id}-{observer_id}.xlsx"
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=name,
        max_age=0,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/score-sheets/<int:sheet_id>/import", methods=["POST"])
@require("scoresheet.enter", load=ScoreSheet, arg="sheet_id")
def import_worksheet(sheet: ScoreSheet):
    _observer_id, _role, staff = _observer(sheet)

    def refused(error: DomainError) -> Any:
        if isinstance(error, services.SheetConflict):
            flash(error.message, "warning")
        else:
            flash(error.message, "danger")
        return _grid_page(
            sheet,
            current_user.id,
            services.default_role(staff.get(current_user.id, ("", set()))[1]),
            staff,
            error.status,
            conflicts=set(getattr(error, "cells", [])),
        )

    on_refusal(refused)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError(_l("Choose the XLSX worksheet to import."))
    observer_id, role_text, cells = worksheet.read(upload.read(worksheet.MAX_BYTES + 1), sheet)
    role = services.check_observer(
        db.session, sheet.cohort, current_user, observer_id, role_text, can(current_user, "scoresheet.manage", sheet)
    )
    changed = services.save_scores(
        db.session, sheet, current_user, observer_id, role, cells, now_utc(), action="import"
    )
    flash(_("%(n)s score(s) imported from the worksheet.", n=changed), "success")
    return redirect(
        url_for("scoresheets.grid", sheet_id=sheet.id, observer=observer_id, observer_role=role.value), code=303
    )


@bp.route("/score-sheets/<int:sheet_id>/history")
@require("scoresheet.manage", load=ScoreSheet, arg="sheet_id")
def history(sheet: ScoreSheet):
    people = {pid: name for pid, name, _nip in services.participants(db.session, sheet.cohort)}
    staff = services.staff(db.session, sheet.cohort)
    titles = {str(c.id): c.title for c in sheet.criteria}
    return render_template(
        "scoresheets/history.html",
        sheet=sheet,
        cohort=sheet.cohort,
        events=services.history(db.session, sheet),
        people=people,
        staff=staff,
        titles=titles,
        tabs=cohort_tabs(sheet.cohort, current_user),
    )
