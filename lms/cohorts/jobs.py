"""A large roster imported by the job queue: the request that confirms the preview only starts
it, so twenty thousand rows never run (and die) inside a web request. All or nothing: the rows
are committed once, at the end; a file changed since its preview is refused and kept."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.cohorts import roster, services
from lms.cohorts.models import Cohort
from lms.core.errors import DomainError
from lms.core.timezones import today_local
from lms.db import utcnow
from lms.jobs.queue import TaskRun, periodic
from lms.jobs.services import JobContext, job_kind
from lms.notifications.events import roster_imported
from lms.users.models import User

ROSTER_IMPORT = "cohorts.roster_import"


@job_kind(ROSTER_IMPORT, title=_l("Roster import"))
def import_roster(ctx: JobContext, *, cohort_id: int, token: str) -> None:
    session = ctx.session
    cohort = session.get(Cohort, cohort_id)
    actor = session.get(User, ctx.job.owner_id)
    if cohort is None or actor is None:
        raise DomainError(_("This cohort no longer exists."))
    try:
        upload = roster.kept_upload(token)
    except (ValueError, roster.UploadGone):
        raise DomainError(_("The roster file is no longer kept (imported, cancelled or older than a day).")) from None
    if upload.cohort_id != cohort.id or upload.user_id != actor.id:
        raise DomainError(_("The roster file is no longer kept (imported, cancelled or older than a day)."))
    ctx.progress(1, _("Checking %(n)s rows…", n=upload.rows))
    preview = roster.preview(
        session, cohort, upload.data, upload.filename, current_app.config["ROSTER_MAX_ROWS"], actor=actor
    )
    if not preview.ok:
        raise DomainError(
            _(
                "Since the preview, some of these people were changed elsewhere (for example by another "
                "import at the same moment), so nothing was imported. Upload the file again to see the new preview."
            )
        )

    def progress(done: int, total: int) -> None:
        ctx.progress(10 + 85 * done // max(total, 1), _("%(done)s of %(n)s rows imported…", done=done, n=total))

    try:
        counts = roster.import_rows(session, cohort, preview, progress=progress)
        roster_imported(session, actor, cohort, counts, utcnow())
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError(
            _(
                "Some of these people were added by another import at the same moment, so nothing was "
                "imported. Upload the file again to see the new preview."
            )
        ) from None
    roster.drop_upload(token)
    ctx.progress(
        100,
        _(
            "Roster imported: %(created)s new accounts, %(enrolled)s existing people enrolled, "
            "%(updated)s profiles updated, %(unchanged)s unchanged.",
            **counts,
        ),
    )


@periodic("cohorts.follow_dates", minute="2")
def follow_dates(run: TaskRun) -> None:
    """Cohorts whose status follows their dates move on when a start or end date passes."""
    services.follow_dates(run.session, today_local())
