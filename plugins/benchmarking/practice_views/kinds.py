"""The submission kinds' entry points, and the labels their templates read (what they show comes from
the kinds' batch loaders in :mod:`plugins.benchmarking.queries`)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.assessments.models import Assessment
from lms.core.access import require
from plugins.benchmarking import practices, queries
from plugins.benchmarking.practice_views.blueprint import bp


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
    group = queries.group_of(db.session, assessment.id, current_user.id)
    if group is None:
        flash(_("You are not in a group for this visit yet."), "info")
        return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return redirect(url_for("benchmarking_practices.group_report", group_id=group.id))


@bp.app_template_global("benchmarking_labels")
def labels() -> dict:
    """Stage, category and reason labels for the submission-kind templates."""
    return {
        "stages": practices.STAGE_LABELS,
        "categories": practices.CATEGORY_LABELS,
        "reasons": practices.REASON_LABELS,
    }
