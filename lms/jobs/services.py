"""Jobs a person starts and follows: start, run with progress, finish with a file, fail, retry.

A job kind is a function registered with :func:`job_kind`; :func:`start_job` records a
:class:`~lms.jobs.models.Job` and queues it after the commit; a consumer runs it through the task
``jobs.run``. The file a job writes appears under its final name only when it is complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms import db
from lms.core.context import real_app
from lms.core.errors import Conflict, DomainError
from lms.core.urls import path_for
from lms.db import changed_rows, utcnow
from lms.jobs.models import Job, JobStatus
from lms.jobs.queue import TaskRun, enqueue, periodic, task
from lms.notifications import events as notifications
from lms.ops import metrics

log = logging.getLogger("lms.jobs")
HEARTBEAT_SECONDS = 10
PROGRESS_EVERY_SECONDS = 0.5


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Callable[..., None]
    title: Any  # lazy string: what the owner sees ("Cohort results (PDF)")


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, title: Any) -> Callable[[Any], Any]:
    """Register ``fn(ctx: JobContext, **params)`` as job kind ``name``; ``title`` names it to people.

    Raise :class:`~lms.core.errors.DomainError` for a failure the owner should read; any other
    exception fails the job with a generic reason (and is logged).
    """

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        known = _KINDS.get(name)
        if known is not None and known.fn.__qualname__ != fn.__qualname__:
            raise RuntimeError(f"job kind {name!r} is registered twice")
        _KINDS[name] = JobKind(name, fn, title)
        return fn

    return deco


def kind_title(job: Job) -> str:
    kind = _KINDS.get(job.kind)
    return str(kind.title) if kind else job.kind


# -- the file store ------------------------------------------------------------------------------


def _store_root() -> str:
    return os.path.join(current_app.config["UPLOAD_DIR"], "jobs")


def result_file(job: Job) -> str | None:
    """Absolute path of a finished job's file, or None."""
    if not job.result_path:
        return None
    return os.path.join(current_app.config["UPLOAD_DIR"], job.result_path)


@contextlib.contextmanager
def _atomic_file(relative: str) -> Iterator[IO[bytes]]:
    """Write to a temporary name beside the store and rename when the block ends without error:
    a killed worker leaves only a ``.part`` file in ``jobs/tmp`` (the reaper removes it)."""
    final = os.path.join(current_app.config["UPLOAD_DIR"], relative)
    tmp_dir = os.path.join(_store_root(), "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    tmp = os.path.join(tmp_dir, f"{secrets.token_hex(8)}.part")
    try:
        with open(tmp, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


# -- starting and following ----------------------------------------------------------------------


def start_job(
    session: Session, owner: Any, kind: str, params: dict[str, Any], *, locale: str, back_url: str = ""
) -> Job:
    """Record a job for ``owner`` and queue it once the session commits."""
    if kind not in _KINDS:
        raise LookupError(f"unknown job kind {kind!r}")
    job = Job(
        kind=kind,
        owner_id=owner.id,
        params=params,
        locale=locale,
        back_url=back_url[:255],
        status=JobStatus.QUEUED,
        progress=0,
        message="",
    )
    session.add(job)
    session.flush()
    enqueue(session, "jobs.run", job_id=job.id)
    return job


def retry(session: Session, job: Job) -> Job:
    """Queue a failed job again; a job that is not failed (or a second click) is a conflict."""
    retried = changed_rows(
        session,
        update(Job)
        .where(Job.id == job.id, Job.status == JobStatus.FAILED)
        .values(
            status=JobStatus.QUEUED,
            progress=0,
            message="",
            error=None,
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False),
    )
    if retried != 1:
        raise Conflict(_("This job is not failed (any more): there is nothing to retry."))
    session.refresh(job)
    enqueue(session, "jobs.run", job_id=job.id)
    return job


def is_downloadable(job: Job, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        job.status == JobStatus.DONE
        and job.result_path is not None
        and job.expires_at is not None
        and now < job.expires_at
    )


def status_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status.value,
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "downloadable": is_downloadable(job),
    }


# -- running ------------------------------------------------------------------------------------


class JobContext:
    """What a job kind's function uses: its session, progress reports, and its output file."""

    def __init__(self, session: Session, job: Job) -> None:
        self.session = session
        self.job = job
        self._last_report = 0.0
        self._result: tuple[str, str, str] | None = None

    def progress(self, percent: int, message: str = "") -> None:
        """Report progress (0–100) where every node reads it; cheap to call often (throttled)."""

        now = time.monotonic()
        if now - self._last_report < PROGRESS_EVERY_SECONDS and percent < 100:
            return
        self._last_report = now
        _write_state(
            self.job.id, progress=max(0, min(100, int(percent))), message=str(message)[:200], heartbeat_at=utcnow()
        )

    @contextlib.contextmanager
    def output(self, filename: str, mimetype: str) -> Iterator[IO[bytes]]:
        """The job's result file, offered to the owner as ``filename``; complete or absent."""
        relative = os.path.join("jobs", str(self.job.id), f"{secrets.token_hex(8)}-result")
        with _atomic_file(relative) as handle:
            yield handle
        self._result = (relative, filename, mimetype)


def _write_state(job_id: int, **values: Any) -> None:
    """Update a job row in a short transaction of its own, so progress is visible at once and
    never waits for (or commits) the job's own work."""

    with Session(bind=db.get_db().engine) as own:
        own.execute(update(Job).where(Job.id == job_id).values(**values).execution_options(synchronize_session=False))
        own.commit()


class _Heartbeat:
    """Tells the reaper the worker is alive while a long step (a PDF render) reports nothing."""

    def __init__(self, app: Any, job_id: int) -> None:
        self.app, self.job_id = app, job_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            with self.app.app_context():
                _write_state(self.job_id, heartbeat_at=utcnow())

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


@task("jobs.run")
def run_job(run: TaskRun, *, job_id: int) -> None:
    """Claim a queued job (one worker wins), run its kind, record done or failed."""
    session = run.session
    now = utcnow()
    claimed = changed_rows(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False),
    )
    session.commit()
    if claimed != 1:
        return  # already taken, finished or deleted
    job = session.get(Job, job_id)
    assert job is not None
    kind = _KINDS.get(job.kind)
    context = JobContext(session, job)
    error: str | None = None
    with force_locale(job.locale), _Heartbeat(real_app(), job.id):
        try:
            if kind is None:
                raise DomainError(_("This kind of job is no longer known to the server."))
            kind.fn(context, **job.params)
        except DomainError as exc:
            error = str(exc.message)
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            error = _("The job stopped because of an unexpected error (reference: job %(id)s).", id=job.id)
    session.rollback()  # the kind's own reads end here; the outcome is written below
    finished = utcnow()
    metrics.job_finished(job.kind, error is not None, (finished - now).total_seconds())
    if error is None and context._result is not None:
        relative, name, mimetype = context._result
        hours = current_app.config["JOB_RESULT_HOURS"]
        _write_state(
            job.id,
            status=JobStatus.DONE,
            progress=100,
            finished_at=finished,
            result_path=relative,
            result_name=name,
            result_type=mimetype,
            expires_at=finished + timedelta(hours=hours),
        )

        # The owner may have left the progress page: the bell (and e-mail, if they chose it) says so.
        notifications.export_ready(session, job.owner_id, name, path_for("jobs.show", job_id=job.id), finished)
    elif error is None:
        _write_state(job.id, status=JobStatus.DONE, progress=100, finished_at=finished)
    else:
        _write_state(job.id, status=JobStatus.FAILED, finished_at=finished, error=error[:500])


@periodic("jobs.reap", minute="*")
def reap(run: TaskRun, now: datetime | None = None) -> None:
    """Fail jobs whose worker died, re-send jobs whose message was lost, delete expired files."""
    session = run.session
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    dead = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < stale)).all()
    for job in dead:
        with force_locale(job.locale):
            reason = _("The worker running this job stopped before it finished. Nothing was kept; try again.")
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.RUNNING, Job.heartbeat_at < stale)
            .values(status=JobStatus.FAILED, error=reason, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        _remove_dir(job.id)
    lost = session.scalars(
        select(Job).where(
            Job.status == JobStatus.QUEUED,
            Job.created_at < stale,
            (Job.heartbeat_at.is_(None)) | (Job.heartbeat_at < stale),
        )
    ).all()
    for job in lost:
        job.heartbeat_at = now
        enqueue(session, "jobs.run", job_id=job.id)
    expired = session.scalars(
        select(Job).where(Job.status == JobStatus.DONE, Job.expires_at < now, Job.result_path.is_not(None))
    ).all()
    for job in expired:
        _remove_dir(job.id)
        job.result_path = None
    _remove_old_parts(now)
    session.flush()


def _remove_dir(job_id: int) -> None:
    folder = os.path.join(_store_root(), str(job_id))
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _remove_old_parts(now: datetime) -> None:
    tmp_dir = os.path.join(_store_root(), "tmp")
    if not os.path.isdir(tmp_dir):
        return
    limit = (now - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])).timestamp()
    for name in os.listdir(tmp_dir):
        path = os.path.join(tmp_dir, name)
        with contextlib.suppress(FileNotFoundError):
            if os.path.getmtime(path) < limit:
                os.remove(path)


def visible_jobs(session: Session, owner: Any, limit: int = 20) -> list[Job]:
    """The owner's latest jobs, newest first."""
    return list(session.scalars(select(Job).where(Job.owner_id == owner.id).order_by(Job.id.desc()).limit(limit)))


__all__ = ["JobContext", "job_kind", "start_job", "retry", "reap", "status_dict", "is_downloadable"]
