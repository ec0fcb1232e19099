"""A job's page: progress that updates itself, the download, the failure reason and a retry."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _

from lms import db
from lms.core.access import require
from lms.core.views import act
from lms.jobs import (
    services,
)
from lms.jobs.models import Job

bp = Blueprint("jobs", __name__, template_folder="templates")


@bp.route("/jobs/<int:job_id>")
@require("job.own", load=Job)
def show(job: Job):
    return render_template(
        "jobs/show.html", job=job, title=services.kind_title(job), downloadable=services.is_downloadable(job)
    )


@bp.route("/jobs/<int:job_id>/status")
@require("job.own", load=Job)
def status(job: Job):
    g.no_store = True
    return jsonify(services.status_dict(job))


@bp.route("/jobs/<int:job_id>/download")
@require("job.own", load=Job)
def download(job: Job):
    path = services.result_file(job)
    if not services.is_downloadable(job) or path is None or not os.path.exists(path):
        return render_template(
            "jobs/show.html", job=job, title=services.kind_title(job), downloadable=False, gone=True
        ), 410
    g.no_store = True
    return send_file(path, mimetype=job.result_type, as_attachment=True, download_name=job.result_name, max_age=0)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@require("job.own", load=Job)
def retry(job: Job):
    back = url_for("jobs.show", job_id=job.id)
    return act(lambda: services.retry(db.session, job), back=back, message=_("The job is queued again."))


def start_page(job: Job):
    """Where a view sends the owner after starting a job (303: the POST is not repeated)."""
    current_app.logger.info("job %s (%s) queued", job.id, job.kind)
    return redirect(url_for("jobs.show", job_id=job.id), code=303)
