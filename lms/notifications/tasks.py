"""The notification work the job queue runs: immediate e-mails after a commit, the daily digest and
the hourly reminders. Every one is idempotent: several consumers may run them at once."""

from __future__ import annotations

from lms.db import utcnow
from lms.jobs.queue import TaskRun, periodic, task
from lms.notifications.delivery import send_digests, send_immediate
from lms.notifications.reminders import send_reminders
from lms.notifications.services import MAIL_TASK


@task(MAIL_TASK, retries=3, retry_delay=30, retry_backoff=2)
def mail(run: TaskRun) -> None:
    """E-mail every notification waiting for an immediate e-mail."""
    send_immediate(run.session, utcnow())


# 00:00 UTC is 07:00 WIB: the day's summary arrives at the start of the working day in Jakarta.
@periodic("notifications.digest", minute="0", hour="0")
def digest(run: TaskRun) -> None:
    """One e-mail per person with everything waiting for the digest."""
    send_digests(run.session, utcnow())


@periodic("notifications.reminders", minute="5")
def reminders(run: TaskRun) -> None:
    """Deadline and plugin reminders that fell due; each reaches a person once."""
    send_reminders(run.session, utcnow())
