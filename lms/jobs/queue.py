"""The task queue: one huey instance per app, built from its config, running tasks in its context.

Code elsewhere registers plain functions by name (:func:`task`, :func:`periodic`, and
:func:`lms.jobs.services.job_kind` for jobs a person follows) at import time; ``init_app`` gives each
app a huey instance that knows every registered name, so the web process (which enqueues) and the
consumer (which runs) agree on names without a module-level huey. See docs/jobs.md.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms import db

log = logging.getLogger("lms.jobs")
_PENDING = "lms.jobs.pending"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    retry_backoff: float = 0
    # crontab fields, for periodic tasks; a callable field is given the app's config when the queue
    # is built (a schedule an operator sets, such as the digest's hour)
    schedule: dict[str, str | Callable[[Mapping[str, Any]], str]] | None = None


@dataclass(frozen=True)
class TaskRun:
    """What a task function gets besides its own arguments."""

    session: Session
    # Retries huey still has for this task after the current attempt; 0 on the last attempt.
    retries_left: int

    @property
    def final(self) -> bool:
        return self.retries_left <= 0


_TASKS: dict[str, TaskSpec] = {}


def task(name: str, *, retries: int = 0, retry_delay: int = 0, retry_backoff: float = 0) -> Callable[[Any], Any]:
    """Register ``fn(run: TaskRun, **kwargs)`` as background task ``name``.

    An exception makes huey retry up to ``retries`` times, waiting ``retry_delay`` seconds, then
    that times ``retry_backoff`` for each further retry. The function runs in an app context with a
    session of its own, committed when it returns and rolled back when it raises.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _register(TaskSpec(name, fn, retries, retry_delay, retry_backoff))
        return fn

    return deco


def periodic(name: str, **schedule: str | Callable[[Mapping[str, Any]], str]) -> Callable[[Any], Any]:
    """Register ``fn(run: TaskRun)`` to run on a crontab schedule (``minute="*/5"``, ``hour="7"``,
    or ``hour=fn(config)`` read from the app's settings) in the consumer; several consumers may run,
    so the function must be idempotent."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _register(TaskSpec(name, fn, schedule=schedule))
        return fn

    return deco


def _register(spec: TaskSpec) -> None:
    known = _TASKS.get(spec.name)
    if known is not None and known.fn is not spec.fn and known.fn.__qualname__ != spec.fn.__qualname__:
        raise RuntimeError(f"background task {spec.name!r} is registered twice")
    _TASKS[spec.name] = spec


class Queue:
    """An app's huey instance and its task wrappers, by task name."""

    def __init__(self, app: Flask, huey: Huey) -> None:
        self.app = app
        self.huey = huey
        self.wrappers: dict[str, Any] = {}
        for spec in _TASKS.values():
            self.wrappers[spec.name] = self._wrap(spec)

    def _wrap(self, spec: TaskSpec) -> Any:
        app = self.app

        def run(*_args: Any, task: Any = None, **kwargs: Any) -> None:
            with app.app_context():
                database = db.get_db()
                session = database.session()
                retries_left = task.retries if task is not None else 0
                try:
                    spec.fn(TaskRun(session, retries_left), **kwargs)
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    database.session.remove()

        run.__name__ = spec.name.replace(".", "_")
        if spec.schedule is not None:
            fields = {k: v(app.config) if callable(v) else v for k, v in spec.schedule.items()}
            return self.huey.periodic_task(crontab(**fields), name=spec.name, context=True)(run)
        return self.huey.task(
            retries=spec.retries,
            retry_delay=spec.retry_delay,
            retry_backoff=spec.retry_backoff,
            name=spec.name,
            context=True,
        )(run)

    def send(self, name: str, kwargs: dict[str, Any], delay: float | None = None) -> None:
        """Put one task on the queue now (callers use :func:`enqueue`, which waits for the commit)."""
        wrapper = self.wrappers[name]
        if self.huey.immediate:
            # Immediate mode runs the task in the caller; a thread of its own gives it its own
            # scoped session, as a consumer would, instead of the one that is just committing.
            worker = threading.Thread(target=wrapper, kwargs=kwargs)
            worker.start()
            worker.join()
        elif delay:
            wrapper.schedule(kwargs=kwargs, delay=delay)
        else:
            wrapper(**kwargs)


def build_huey(app: Flask) -> Huey:
    """RedisHuey when ``REDIS_URL`` is set, else SqliteHuey in the instance folder."""
    config = app.config
    name = "tolok"
    immediate = bool(config["JOBS_IMMEDIATE"])
    if config["REDIS_URL"]:
        return RedisHuey(name, url=config["REDIS_URL"], immediate=immediate, results=False)
    path = config["JOBS_SQLITE_PATH"] or os.path.join(app.instance_path, "jobs.sqlite3")
    return SqliteHuey(name, filename=path, immediate=immediate, results=False)


def init_app(app: Flask) -> Queue:
    """Give ``app`` its queue; call after every module that registers tasks is imported."""

    queue = Queue(app, build_huey(app))
    app.extensions["lms.jobs"] = queue
    return queue


def get_queue(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions["lms.jobs"]


def enqueue(session: Session, name: str, *, delay: float | None = None, **kwargs: Any) -> None:
    """Queue task ``name`` with ``kwargs`` once ``session`` commits; nothing is queued on rollback.

    So a task never runs before the rows it reads are visible to the worker.
    """
    if name not in _TASKS:
        raise LookupError(f"unknown background task {name!r}")
    session.info.setdefault(_PENDING, []).append((get_queue(), name, kwargs, delay))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    for queue, name, kwargs, delay in pending or ():
        try:
            queue.send(name, kwargs, delay)
        except Exception:  # the queue store is down: the row says "queued"; the reaper re-sends
            log.exception("could not queue task %s", name)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def run_consumer(app: Flask, workers: int) -> None:
    """Run a huey consumer for ``app`` until SIGINT/SIGTERM (``flask lms worker``)."""

    queue = get_queue(app)
    if queue.huey.immediate:
        raise RuntimeError("LMS_JOBS_IMMEDIATE is set: a consumer has nothing to do")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    Consumer(queue.huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=True).run()
