"""An app for consumer subprocesses in tests: Tolok plus a slow job kind that a test can kill mid-file.

Run as ``flask --app tests.jobs_app lms worker``; settings come from ``LMS_*`` variables.
"""

from __future__ import annotations

import time

from lms.app import create_app as _create_app
from lms.jobs.services import JobContext, job_kind


@job_kind("test.slow", title="Slow test file")
def slow_file(ctx: JobContext, *, chunks: int = 50, pause: float = 0.1) -> None:
    with ctx.output("slow.txt", "text/plain") as handle:
        for n in range(chunks):
            handle.write(b"x" * 1024)
            ctx.progress(int(100 * n / chunks), f"chunk {n}")
            time.sleep(pause)


def create_app():
    return _create_app()
