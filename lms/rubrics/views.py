"""The rubric library, a cohort's rubrics, the builder, and rubric files in and out."""

from __future__ import annotations

import os
import re
import unicodedata
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
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import db
from lms.cohorts import queries as cohort_queries
from lms.cohorts.models import Cohort
from lms.core.access import can, require
from lms.core.errors import DomainError
from lms.core.pagination import page_arg, paginate
from lms.core.views import cohort_tabs, form_page, on_refusal, refuse_to
from lms.rubrics import io as rubric_io
from lms.rubrics import services
from lms.rubrics.forms import ImportForm, RubricForm
from lms.rubrics.models import Rubric

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics", template_folder="templates")

# A rubric file is a few kilobytes; anything far bigger is not one.
MAX_FILE_BYTES = 1024 * 1024


# -- helpers -------------------------------------------------------------------------------------


def _cohort_arg(rule: str) -> Cohort | None:
    """The cohort named by ``cohort_id`` (query or form), checked against ``rule``; None when absent."""
    raw = request.values.get("cohort_id", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        abort(400)
    cohort = db.session.get(Cohort, int(raw))
    if cohort is None:
        abort(404)
    if not can(current_user, rule, cohort):
        abort(403)
    return cohort


def _editable_cohorts() -> list[Cohort]:
    """Cohorts the current user may add rubrics to (copy targets), newest first."""
    return cohort_queries.open_cohorts_coordinated_by(db.session, current_user)


def _file_name(rubric: Rubric, extension: str) -> str:
    """An ASCII file name from the title: ``rubrik-refleksi-v2.json``."""
    ascii_title = unicodedata.normalize("NFKD", rubric.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()[:60] or "rubric"
    return f"{slug}-v{rubric.version}.{extension}"


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"), mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# -- lists ---------------------------------------------------------------------------------------


@bp.route("/")
@require("rubrics.library")
def library():
    query = request.args.get("q", "").strip()
    target = _cohort_arg("cohort.edit")
    page = paginate(
        db.session, services.library(db.session, query), page_arg(request.args), current_app.config["PAGE_SIZE"]
    )
    return render_template("rubrics/library.html", page=page, q=query, target=target)


@bp.route("/cohorts/<int:cohort_id>")
@require("cohort.teach", load=Cohort)
def cohort(cohort: Cohort):
    rubrics = services.cohort_rubrics(db.session, cohort.id)
    return render_template(
        "rubrics/cohort.html", cohort=cohort, rubrics=rubrics, tabs=cohort_tabs(cohort, current_user)
    )


# -- the builder ---------------------------------------------------------------------------------


def _builder(
    form: RubricForm, *, rubric: Rubric | None, cohort: Cohort | None, status: int = 200, grades: int = 0
) -> tuple[str, int]:
    return render_template("rubrics/builder.html", form=form, rubric=rubric, cohort=cohort, grades=grades), status


def _post_builder(form: RubricForm) -> tuple[str, Any]:
    """Read the posted builder; returns the action and, for ``save``, the data (None if it has errors)."""
    action = request.form.get("action", "save")
    if not form.known_action(action):
        abort(400)
    form.read_rows(request.form)
    if action != "save":
        form.apply(action)
        return action, None
    form.sort()
    form.drop_blank()
    data = form.to_data()
    form.add_problems(services.problems(data))
    return action, None if form.has_errors else data


@bp.route("/new", methods=["GET", "POST"])
@require("rubrics.library.edit")
def new():
    cohort = _cohort_arg("cohort.edit")
    form = RubricForm()
    if request.method == "GET":
        if request.args.get("preset") == "reflection":
            form.load(services.DEFAULT_REFLECTION_RUBRIC)
        else:
            form.start_blank()
        return _builder(form, rubric=None, cohort=cohort)
    action, data = _post_builder(form)
    if action != "save":
        return _builder(form, rubric=None, cohort=cohort)
    if data is None:
        return _builder(form, rubric=None, cohort=cohort, status=422)
    on_refusal(lambda exc: _refused(form, exc, rubric=None, cohort=cohort))
    rubric = services.create_rubric(db.session, data, actor=current_user, cohort=cohort, is_template=cohort is None)
    flash(_("Rubric %(title)s saved.", title=rubric.title), "success")
    return redirect(url_for("rubrics.show", rubric_id=rubric.id))


def _refused(form: RubricForm, exc: DomainError, **builder: Any) -> tuple[str, int]:
    if isinstance(exc, services.RubricInvalid):
        form.add_problems(exc.problems)
    else:
        flash(exc.message, "danger")
    return _builder(form, status=exc.status, **builder)


@bp.route("/<int:rubric_id>/edit", methods=["GET", "POST"])
@require("rubric.edit", load=Rubric)
def edit(rubric: Rubric):
    if rubric.superseded:
        current = services.current_version(db.session, rubric)
        if current.id == rubric.id:  # no current version left: nothing to edit
            return redirect(url_for("rubrics.show", rubric_id=rubric.id))
        flash(
            _("This is an old version, kept for the grades given with it. You are editing the current version."), "info"
        )
        return redirect(url_for("rubrics.edit", rubric_id=current.id))
    cohort = db.session.get(Cohort, rubric.cohort_id) if rubric.cohort_id else None
    grades = services.grades_using(db.session, rubric) if rubric.frozen else 0
    form = RubricForm()
    if request.method == "GET":
        form.load(services.rubric_to_data(rubric))
        return _builder(form, rubric=rubric, cohort=cohort, grades=grades)
    action, data = _post_builder(form)
    if action != "save":
        return _builder(form, rubric=rubric, cohort=cohort, grades=grades)
    if data is None:
        return _builder(form, rubric=rubric, cohort=cohort, status=422, grades=grades)
    old_version = rubric.version
    on_refusal(lambda exc: _refused(form, exc, rubric=rubric, cohort=cohort, grades=grades))
    current, made_new = services.update_rubric(
        db.session, rubric, data, actor=current_user, review_grades=bool(form.review_grades.data)
    )
    if made_new:
        flash(
            _(
                "The rubric was already used for grading, so your changes are saved as version %(new)s.",
                new=current.version,
            ),
            "info",
        )
        if form.review_grades.data:
            flash(
                ngettext(
                    "%(num)s grade still uses version %(old)s and is marked for review.",
                    "%(num)s grades still use version %(old)s and are marked for review.",
                    grades,
                    old=old_version,
                ),
                "info",
            )
        else:
            flash(
                ngettext(
                    "%(num)s grade still uses version %(old)s.",
                    "%(num)s grades still use version %(old)s.",
                    grades,
                    old=old_version,
                ),
                "info",
            )
    else:
        flash(_("Rubric %(title)s saved.", title=current.title), "success")
    return redirect(url_for("rubrics.show", rubric_id=current.id))


# -- one rubric ----------------------------------------------------------------------------------


@bp.route("/<int:rubric_id>")
@require("rubric.view", load=Rubric)
def show(rubric: Rubric):
    cohort = db.session.get(Cohort, rubric.cohort_id) if rubric.cohort_id else None
    family = services.versions(db.session, rubric)
    current = next((r for r in family if not r.superseded), rubric)
    targets = _editable_cohorts() if can(current_user, "rubrics.library.edit") else []
    return render_template(
        "rubrics/show.html", rubric=rubric, cohort=cohort, family=family, current=current, targets=targets
    )


@bp.route("/<int:rubric_id>/export.json")
@require("rubric.view", load=Rubric)
def export_json(rubric: Rubric):
    body = rubric_io.to_json(services.rubric_to_data(rubric))
    return _download(body, "application/json", _file_name(rubric, "json"))


@bp.route("/<int:rubric_id>/export.csv")
@require("rubric.view", load=Rubric)
def export_csv(rubric: Rubric):
    body = rubric_io.to_csv(services.rubric_to_data(rubric))
    return _download(body, "text/csv", _file_name(rubric, "csv"))


@bp.route("/<int:rubric_id>/copy", methods=["POST"])
@require("rubric.view", load=Rubric)
def copy(rubric: Rubric):
    target = _cohort_arg("cohort.edit")
    if target is None:
        abort(400)
    refuse_to(url_for("rubrics.show", rubric_id=rubric.id))
    made = services.copy_rubric(db.session, rubric, actor=current_user, cohort=target)
    flash(
        _(
            "%(title)s is copied into %(cohort)s. Changes to the copy do not change the original.",
            title=made.title,
            cohort=target.title,
        ),
        "success",
    )
    return redirect(url_for("rubrics.show", rubric_id=made.id))


@bp.route("/<int:rubric_id>/save-as-template", methods=["POST"])
@require("rubric.view", load=Rubric)
def save_as_template(rubric: Rubric):
    if not can(current_user, "rubrics.library.edit"):
        abort(403)
    refuse_to(url_for("rubrics.show", rubric_id=rubric.id))
    made = services.copy_rubric(db.session, rubric, actor=current_user, is_template=True)
    flash(_("%(title)s is saved in the rubric library.", title=made.title), "success")
    return redirect(url_for("rubrics.show", rubric_id=made.id))


# -- import --------------------------------------------------------------------------------------


def _import(form: ImportForm, cohort: Cohort | None) -> Any:
    page = form_page(form, "rubrics/import.html", cohort=cohort)

    def refused(exc: DomainError | rubric_io.RubricFileError, status: int) -> tuple[str, int]:
        form.file.errors = [exc.message]  # whatever is wrong, it is wrong with the file
        return page(status)

    on_refusal(lambda exc: refused(exc, exc.status))
    if not form.validate_on_submit():
        return page()
    upload = form.file.data
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        form.file.errors = [_("The file is too large for a rubric (at most 1 MB).")]
        return page(413)
    stem = os.path.splitext(os.path.basename(upload.filename or ""))[0].strip()
    typed = (form.title.data or "").strip()
    try:
        data = rubric_io.read_file(raw, title=typed or stem)
    except rubric_io.RubricFileError as exc:
        return refused(exc, 422)
    if typed:
        data.title = typed
    elif not str(data.title).strip():
        data.title = stem or _("Imported rubric")
    rubric = services.create_rubric(db.session, data, actor=current_user, cohort=cohort, is_template=cohort is None)
    flash(_("Rubric %(title)s imported.", title=rubric.title), "success")
    return redirect(url_for("rubrics.show", rubric_id=rubric.id))


@bp.route("/import", methods=["GET", "POST"])
@require("rubrics.library.edit")
def import_template():
    return _import(ImportForm(), None)


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def import_cohort(cohort: Cohort):
    return _import(ImportForm(), cohort)
