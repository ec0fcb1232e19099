"""The notification work the job queue runs: immediate e-mails after a commit, the daily digest and
the hourly reminders. Every one is idempotent: several consumers may run them at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from lms.db import utcnow
from lms.jobs.queue import TaskRun, periodic, task
from lms.notifications.delivery import send_digests, send_immediate
from lms.notifications.reminders import send_reminders
from lms.notifications.services import MAIL_TASK


@task(MAIL_TASK, retries=3, retry_delay=30, retry_backoff=2)
def mail(run: TaskRun) -> None:
    """E-mail every notification waiting for an immediate e-mail."""
    send_immediate(run.session, utcnow())


def digest_hour_utc(config: Mapping[str, Any]) -> str:
    """The UTC hour of ``LMS_DIGEST_HOUR`` in the site's time zone (07:00 WIB, the start of the working
    day in Jakarta, is 00 UTC); Indonesia keeps no daylight saving, so the offset of today holds."""
    zone = ZoneInfo(config["DEFAULT_TIMEZONE"])
    local = datetime.now(zone).replace(hour=int(config["DIGEST_HOUR"]), minute=0, second=0, microsecond=0)
    return str(local.astimezone(UTC).hour)


@periodic("notifications.digest", minute="0", hour=digest_hour_utc)
def digest(run: TaskRun) -> None:
    """One e-mail per person with everything waiting for the digest."""
    send_digests(run.session, utcnow())


@periodic("notifications.reminders", minute="5")
def reminders(run: TaskRun) -> None:
    """Deadline and plugin reminders that fell due; each reaches a person once."""
    send_reminders(run.session, utcnow())
