"""Evidence files of a practice: upload, download, thumbnail and delete."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.core.access import require
from lms.core.views import act, on_refusal
from plugins.benchmarking import evidence
from plugins.benchmarking.forms import EvidenceForm
from plugins.benchmarking.models import Attachment, Followup, Practice
from plugins.benchmarking.practice_views.blueprint import bp


@bp.route("/practices/<int:practice_id>/files", methods=["POST"])
@require("benchmarking.practice.edit", load=Practice)
def upload(practice: Practice):
    """One evidence file; answers JSON to the practice form's script (which shows the progress), else
    goes back to the practice."""
    wants_json = request.accept_mimetypes.best == "application/json"
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data:
        if wants_json:
            return jsonify(error="refused", message=_("Choose a file.")), 400
        flash(_("Choose a file."), "danger")
        return redirect(url_for("benchmarking_practices.show", practice_id=practice.id)), 303
    limit = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    data = form.file.data.read(limit + 1)
    on_refusal(
        lambda exc: (
            (jsonify(error="refused", message=str(exc.message)), exc.status)
            if wants_json
            else (
                render_template("benchmarking/upload_refused.html", practice=practice, message=exc.message),
                exc.status,
            )
        )
    )
    attachment = evidence.add(
        db.session,
        practice,
        current_user,
        data,
        form.file.data.filename,
        max_file=limit,
        max_practice=current_app.config["EVIDENCE_MAX_PRACTICE_BYTES"],
    )
    if wants_json:
        return jsonify(id=attachment.id, name=attachment.original_name, size=attachment.size)
    flash(_("Evidence added."), "success")
    return redirect(url_for("benchmarking_practices.show", practice_id=practice.id))


@bp.route("/files/<int:attachment_id>")
@require("benchmarking.attachment.view", load=Attachment)
def download(attachment: Attachment):
    return served(attachment)


def served(attachment: Attachment) -> Response:
    """The file as a download, never shown inline, never cached (the mentor's link uses it too)."""
    path = evidence.path_of(attachment.stored_name)
    mimetype, name = evidence.served_as(attachment.content_type, attachment.original_name)
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/files/<int:attachment_id>/thumbnail")
@require("benchmarking.attachment.view", load=Attachment)
def thumbnail(attachment: Attachment):
    if not attachment.is_image:
        abort(404)
    try:
        data = evidence.thumbnail(evidence.path_of(attachment.stored_name))
    except Exception:  # a broken or oversized image has no thumbnail (Pillow raises many kinds)
        abort(404)
    return Response(
        data,
        mimetype="image/jpeg",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"},
    )


@bp.route("/files/<int:attachment_id>/delete", methods=["POST"])
@require("benchmarking.attachment.delete", load=Attachment)
def delete_file(attachment: Attachment):
    if attachment.practice_id is not None:
        back = url_for("benchmarking_practices.show", practice_id=attachment.practice_id)
    else:
        followup = db.session.get(Followup, attachment.followup_id)
        back = (
            url_for("benchmarking_practices.report", round_id=followup.round_id)
            if followup
            else url_for("home.dashboard")
        )
    return act(
        lambda: evidence.remove(db.session, attachment, current_user),
        back=back,
        after_commit=lambda stored: evidence.discard_files([stored]),
        message=_("The file is deleted."),
    )
