"""Generating a cohort's certificates as one background job: number every peserta who passed and
has none yet, then write all the cohort's valid certificates into one PDF."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.certificates import services
from lms.certificates.pdf import render_pdf
from lms.cohorts.models import Cohort
from lms.core.errors import DomainError
from lms.core.timezones import local_zone
from lms.jobs.services import JobContext, job_kind
from lms.results.outcomes import cohort_outcomes


@job_kind("certificates.issue", title=_l("Cohort certificates"))
def issue_certificates(ctx: JobContext, *, cohort_id: int) -> None:
    cohort = ctx.session.get(Cohort, cohort_id)
    if cohort is None:
        raise DomainError(_("This cohort no longer exists."))
    template = services.template_for(ctx.session, cohort.program)
    if template is None:
        raise DomainError(_("Set up the certificate of program %(code)s first.", code=cohort.program.code))
    ctx.progress(2, _("Reading the outcomes…"))
    outcomes = cohort_outcomes(ctx.session, cohort)
    today = datetime.now(local_zone()).date()

    def progress(done: int, total: int) -> None:
        ctx.progress(
            5 + 45 * done // max(total, 1), _("Numbered %(done)s of %(total)s certificates…", done=done, total=total)
        )

    issued = services.issue_all(ctx.session, cohort, ctx.job.owner_id, outcomes, today=today, progress=progress)
    certificates = [c for c in services.cohort_certificates(ctx.session, cohort) if c.is_valid]
    if not certificates:
        raise DomainError(_("No peserta of this cohort has passed (lulus) yet: there is no certificate to make."))
    ctx.progress(50, _("Writing %(n)s certificates…", n=len(certificates)))
    name = f"{cohort.program.code}_{cohort.name}_{cohort.year}_sertifikat.pdf".replace(" ", "_")
    with ctx.output(name, "application/pdf") as handle:
        handle.write(render_pdf(certificates, template))
    ctx.progress(100, _("Done: %(issued)s new, %(n)s in the file.", issued=issued, n=len(certificates)))
