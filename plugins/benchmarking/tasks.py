"""The plugin's periodic work on the queue's scheduler (lms.jobs.queue): reminders to mentors.

Registered on import (plugin.py imports this module); task names are global to the process, so an
app without the plugin (the test suite builds both) skips the run instead of reading tables it lacks.
"""

from __future__ import annotations

from flask import current_app

from lms.db import utcnow
from lms.jobs.queue import TaskRun, periodic
from plugins.benchmarking.mentor_reminders import remind


# Hourly, a quarter past: after the core's reminders (minute 5), well within a working day in WIB.
@periodic("benchmarking.mentor_reminders", minute="15")
def mentor_reminders(run: TaskRun) -> None:
    """E-mail the mentors who have reports waiting in a round that closes soon; each moment once."""
    if "benchmarking" not in current_app.config.get("PLUGINS_ENABLED", ()):
        return
    remind(run.session, utcnow())
