"""Certificate pages: a program's template, a cohort's list and its generation job, one certificate's
PDF, revoking, and the public verification page."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.certificates import jobs as _certificate_jobs  # noqa: F401  (registers the job kind)
from lms.certificates import services
from lms.certificates.forms import RevokeForm, TemplateForm
from lms.certificates.models import Certificate
from lms.certificates.pdf import render_pdf
from lms.cohorts.models import Cohort, Program
from lms.core.access import require
from lms.core.views import form_page
from lms.extensions import limiter
from lms.jobs import services as jobs
from lms.jobs.views import start_page

bp = Blueprint("certificates", __name__, template_folder="templates")


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/programs/<int:program_id>/certificate", methods=["GET", "POST"])
@require("certificate.template", load=Program)
def template(program: Program):
    form = TemplateForm(obj=services.template_for(db.session, program))
    page = form_page(form, "certificates/template_form.html", program=program)
    if form.validate_on_submit():
        services.save_template(
            db.session,
            program,
            letterhead=form.letterhead.data or "",
            number_pattern=form.number_pattern.data,
            signer_name=form.signer_name.data,
            signer_nip=form.signer_nip.data or "",
            signer_position=form.signer_position.data or "",
            place=form.place.data or "",
        )
        flash(_("Certificate template saved."), "success")
        return redirect(url_for("cohorts.programs"), code=303)
    return page()


@bp.route("/cohorts/<int:cohort_id>/certificates")
@require("certificates.view", load=Cohort)
def cohort(cohort: Cohort):
    return render_template(
        "certificates/cohort.html",
        cohort=cohort,
        certificates=services.cohort_certificates(db.session, cohort),
        template=services.template_for(db.session, cohort.program),
        active="certificates",
    )


@bp.route("/cohorts/<int:cohort_id>/certificates/mine")
@require("certificate.own", load=Cohort)
def mine(cohort: Cohort):
    """A peserta's own certificate: its PDF and its public verification page, once issued."""
    certificate = services.certificate_of(db.session, cohort, current_user)
    return render_template(
        "certificates/mine.html",
        cohort=cohort,
        certificate=certificate,
        verify=services.verify_url(certificate) if certificate else None,
        active="certificates",
    )


@bp.route("/cohorts/<int:cohort_id>/certificates/generate", methods=["POST"])
@require("certificates.issue", load=Cohort)
def generate(cohort: Cohort):
    """One job numbers every missing certificate of the cohort and writes them all into one PDF."""
    if services.template_for(db.session, cohort.program) is None:
        flash(_("Set up the certificate of program %(code)s first.", code=cohort.program.code), "danger")
        return redirect(url_for("certificates.cohort", cohort_id=cohort.id), code=303)
    job = jobs.start_job(
        db.session,
        current_user,
        "certificates.issue",
        {"cohort_id": cohort.id},
        locale=str(get_locale()),
        back_url=url_for("certificates.cohort", cohort_id=cohort.id),
    )
    return start_page(job)


@bp.route("/certificates/<int:certificate_id>/pdf")
@require("certificate.download", load=Certificate)
def pdf(certificate: Certificate):
    template = services.template_for(db.session, certificate.cohort.program)
    if template is None:
        flash(_("Set up the certificate of program %(code)s first.", code=certificate.cohort.program.code), "danger")
        return redirect(url_for("home.dashboard"), code=303)
    g.no_store = True
    name = f"sertifikat_{certificate.number}.pdf".replace("/", "-").replace(" ", "_")
    return send_file(
        io.BytesIO(render_pdf([certificate], template)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        max_age=0,
    )


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@require("certificate.revoke", load=Certificate)
def revoke(certificate: Certificate):
    """A page of its own that says what revoking does, and asks why: the confirmation."""
    form = RevokeForm()
    page = form_page(
        form, "certificates/revoke.html", certificate=certificate, history=services.events(db.session, certificate)
    )
    if form.validate_on_submit():
        services.revoke(db.session, certificate, current_user, form.reason.data)  # revoked already: 409
        flash(_("Certificate %(number)s revoked.", number=certificate.number), "success")
        return redirect(url_for("certificates.cohort", cohort_id=certificate.cohort_id), code=303)
    return page()


@bp.route("/verify")
@require("public")
@limiter.limit(_verify_limit)
def lookup():
    """Public: type the code printed beside the QR code."""
    typed = request.args.get("code", "")
    if typed:
        code = services.normalise_code(typed)
        if code is not None:
            return redirect(url_for("certificates.verify", code=code), code=303)
    return render_template("certificates/lookup.html", typed=typed[:40]), 422 if typed else 200


@bp.route("/verify/<code>")
@require("public")
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: only name, program, angkatan, date, number and validity."""
    certificate = services.by_code(db.session, code)
    if certificate is None:
        return render_template("certificates/verify_unknown.html"), 404
    return render_template("certificates/verify.html", view=services.public_view(certificate))
