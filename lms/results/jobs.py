"""Cohort exports as background jobs: the PDF always (minutes for a large cohort), the CSV and XLSX
of cohorts above :data:`lms.results.exports.INLINE_LIMIT`. Written straight into the job's file,
which appears only when complete."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort
from lms.cohorts.services import participant_count
from lms.core.errors import DomainError
from lms.core.memory import give_back
from lms.core.spreadsheet import DIALECTS
from lms.core.timezones import local_zone
from lms.jobs.services import JobContext, job_kind
from lms.ops import metrics
from lms.results import stored
from lms.results.exports import FORMATS
from lms.results.exports.as_csv import csv_chunks
from lms.results.exports.as_pdf import write_pdf
from lms.results.exports.as_xlsx import write_xlsx
from lms.results.exports.names import filename


@job_kind("results.export", title=_l("Cohort results export"))
def export_results(ctx: JobContext, *, cohort_id: int, format: str) -> None:  # noqa: A002 (the params' key)
    """The same table as the screen, written as ``format`` (pdf, xlsx or csv) to the job's file."""
    if format not in FORMATS:
        raise DomainError(_("Unknown export format “%(format)s”: choose csv, csv-id, xlsx or pdf.", format=format[:20]))
    cohort = ctx.session.get(Cohort, cohort_id)
    if cohort is None:
        raise DomainError(_("This cohort no longer exists."))
    ctx.progress(2, _("Reading the results…"))
    # The PDF lays out parts of the whole table; CSV and XLSX write rows as the cursor yields them.
    table = stored.rows_of(ctx.session, cohort) if format == "pdf" else stored.stream_table(ctx.session, cohort)
    people = participant_count(ctx.session, cohort.id)
    ctx.progress(5, _("Writing the file for %(n)s participants…", n=people))
    name = filename(table, format, datetime.now(local_zone()).date())

    def done(sheets: int, total: int) -> None:
        ctx.progress(
            5 + 94 * sheets // max(total, 1), _("%(done)s of %(n)s results sheets written…", done=sheets, n=total)
        )

    with ctx.output(name, FORMATS[format]) as handle:
        if format == "pdf":
            write_pdf(ctx.session, table, handle, progress=done)
            give_back()  # the renderer's pages, so that the consumer does not keep them
        elif format == "xlsx":
            write_xlsx(ctx.session, table, handle, rows=stored.export_rows(ctx.session, table))
        else:
            for chunk in csv_chunks(table, DIALECTS[format], stored.export_rows(ctx.session, table)):
                handle.write(chunk.encode("utf-8"))
    metrics.EXPORTS.labels(format).inc()
    ctx.progress(100, _("Done: %(n)s participants.", n=people))
