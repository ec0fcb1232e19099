"""The submission kinds' entry points and the template globals their templates read."""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms import db
from lms.assessments.models import Assessment, Submission
from lms.core.access import require
from plugins.benchmarking import practices
from plugins.benchmarking.models import FieldVisit, GroupReport, Practice, VisitGroup
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
    row = db.session.scalar(select(GroupReport).where(GroupReport.submission_id == submission_id))
    if row is None:
        return None
    return {"report": row, "practices": row.practices}


@bp.app_template_global("benchmarking_labels")
def labels() -> dict:
    """Stage, category and reason labels for the submission-kind templates."""
    return {"stages": practices.STAGE_LABELS, "categories": practices.CATEGORY_LABELS, "reasons": practices.REASON_LABELS}
