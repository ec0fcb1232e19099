"""Background jobs: progress every node can read, owner-only download for a limited time, failure
shown and retried, and a real consumer process (SQLite store, and Redis when LMS_TEST_REDIS_URL is
set) that leaves no file behind when it is killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lms.config import ConfigError
from lms.config import load as load_config
from lms.db import utcnow
from lms.jobs.models import Job, JobStatus
from tests.factories import graded_world
from tests.support import login
from tests.test_exports import page_texts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")
STORES = ["sqlite"] + (["redis"] if REDIS_URL else [])


@pytest.fixture
def world(ctx, session, make_cohort):
    return graded_world(session, make_cohort)


def start_export(client: Any, cohort_id: int, fmt: str = "pdf") -> int:
    response = client.post(f"/cohorts/{cohort_id}/results/export", data={"format": fmt})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def download(client: Any, job_id: int) -> Any:
    response = client.get(f"/jobs/{job_id}/download")
    response.get_data()
    response.close()  # send_file streams from the file: close it as a browser would
    return response


# -- in the request's process (immediate mode) ---------------------------------------------------


def test_pdf_export_job_runs_shows_progress_and_downloads_for_its_owner_only(app_factory, world, session, make_user):
    app = app_factory(JOBS_IMMEDIATE=True)
    client = app.test_client()
    login(client, world["cohort"].people["coordinator"])
    job_id = start_export(client, world["cohort"].id)

    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and 'value="100"' in page and "jobs.js" in page
    assert "<script>" not in page  # strict CSP: the bar is updated by a static module
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["status"] == "done" and status["progress"] == 100 and status["downloadable"] is True
    response = download(client, job_id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"] and ".pdf" in response.headers["Content-Disposition"]
    texts = " ".join(text for text, _portrait in page_texts(response.data))
    assert world["participants"][0].name in texts
    from lms.notifications.models import Notification

    (ready,) = session.scalars(select(Notification).where(Notification.kind == "export_ready")).all()
    assert ready.recipient_id == world["cohort"].people["coordinator"].id and ready.link == f"/jobs/{job_id}"

    other = app.test_client()
    login(other, make_user(is_admin=True))  # not even an admin reads another person's export
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
        assert other.get(url).status_code == 403
    assert other.post(f"/jobs/{job_id}/retry").status_code == 403


def test_download_expires_and_the_file_is_removed(app_factory, world, session):
    from lms.jobs.queue import TaskRun
    from lms.jobs.services import reap, result_file

    app = app_factory(JOBS_IMMEDIATE=True)
    client = app.test_client()
    login(client, world["cohort"].people["coordinator"])
    job_id = start_export(client, world["cohort"].id, "csv")
    job = session.get(Job, job_id)
    with app.app_context():
        path = result_file(job)
    assert path and os.path.exists(path)
    later = job.expires_at + timedelta(minutes=1)
    with app.app_context():
        from lms import db

        reap(TaskRun(db.session(), 0), now=later)
        db.session.commit()
    assert not os.path.exists(path)
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 410
    assert "no longer available" in response.get_data(as_text=True) or "tidak tersedia" in response.get_data(
        as_text=True
    )


def test_a_failed_job_shows_its_reason_and_can_be_retried_once(app_factory, world, session):
    app = app_factory(JOBS_IMMEDIATE=True, DEFAULT_LOCALE="en")
    client = app.test_client()
    coordinator = world["cohort"].people["coordinator"]
    login(client, coordinator)
    from lms.jobs.services import start_job

    with app.test_request_context():
        from lms import db

        job = start_job(db.session, coordinator, "results.export", {"cohort_id": 999999, "format": "pdf"}, locale="en")
        db.session.commit()
        job_id = job.id
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.status == JobStatus.FAILED and job.error == "This cohort no longer exists."
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "This cohort no longer exists." in page and "Try again" in page

    # Retry: queued again, runs again (and fails again for the same reason); a retry of a job that
    # is not failed is refused with 409, and nothing changes.
    session.execute(
        Job.__table__.update().where(Job.id == job_id).values(params={"cohort_id": world["cohort"].id, "format": "csv"})
    )
    session.commit()
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.status == JobStatus.DONE and job.attempts == 2 and job.error is None
    response = client.post(f"/jobs/{job_id}/retry", follow_redirects=True)
    assert "nothing to retry" in response.get_data(as_text=True)
    assert session.get(Job, job_id).status == JobStatus.DONE


def test_nothing_is_queued_when_the_transaction_rolls_back(app_factory, world, session):
    app = app_factory()  # a real store, no consumer
    coordinator = world["cohort"].people["coordinator"]
    from lms.jobs.services import start_job

    with app.app_context():
        from lms import db

        huey = app.extensions["lms.jobs"].huey
        before = huey.pending_count()  # the world's released grades queued their notification e-mails
        start_job(
            db.session, coordinator, "results.export", {"cohort_id": world["cohort"].id, "format": "csv"}, locale="id"
        )
        db.session.rollback()
        assert huey.pending_count() == before
        start_job(
            db.session, coordinator, "results.export", {"cohort_id": world["cohort"].id, "format": "csv"}, locale="id"
        )
        assert huey.pending_count() == before  # flushed but not committed: a worker could not see the row
        db.session.commit()
        assert huey.pending_count() == before + 1


def test_an_unknown_format_is_refused_before_any_job(app_factory, world, session, client):
    login(client, world["cohort"].people["coordinator"])
    response = client.post(f"/cohorts/{world['cohort'].id}/results/export", data={"format": "docx"})
    assert response.status_code == 400
    assert session.scalars(select(Job)).all() == []


# -- a real consumer process ---------------------------------------------------------------------


def worker_env(app: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        {
            "LMS_ENV": "testing",
            "LMS_SECRET_KEY": "test-secret",
            "LMS_DATABASE_URL": app.config["DATABASE_URL"],
            "LMS_UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "LMS_JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"],
            "LMS_REDIS_URL": app.config["REDIS_URL"],
            "LMS_PLUGINS": __import__("json").dumps(app.config["PLUGINS"]),
            "LMS_MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
            "PYTHONPATH": ROOT,
        }
    )
    return env


def start_worker(app: Any) -> subprocess.Popen:
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    log = os.path.join(os.path.dirname(app.config["UPLOAD_DIR"]), "worker.log")
    with open(log, "ab") as handle:  # a file, not a pipe: a full pipe would stall the consumer
        worker = subprocess.Popen(
            [flask, "--app", "tests.jobs_app:create_app", "lms", "worker", "--workers", "1"],
            cwd=ROOT,
            env=worker_env(app),
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )
    worker.log = log  # type: ignore[attr-defined]
    return worker


@pytest.fixture(params=STORES)
def store_app(request, app_factory):
    extra: dict[str, Any] = {}
    if request.param == "redis":
        extra["REDIS_URL"] = REDIS_URL
    app = app_factory(**extra)
    app.extensions["lms.jobs"].huey.flush()  # a fresh queue (Redis keeps what an earlier run left)
    return app


def wait_for(client: Any, job_id: int, until: Any, worker: subprocess.Popen, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    seen: list[int] = []
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}/status").get_json()
        seen.append(status["progress"])
        if until(status):
            status["seen"] = seen
            return status
        if worker.poll() is not None:
            with open(worker.log, encoding="utf-8", errors="replace") as handle:  # type: ignore[attr-defined]
                raise AssertionError(f"the consumer exited: {handle.read()[-2000:]}")
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the state: {status}")


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.real_database
@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_a_real_consumer_runs_the_export_and_the_owner_downloads_it(store_app, world, fmt):
    """The PDF always, the CSV and XLSX of cohorts above the inline limit: the same job kind."""
    client = store_app.test_client()
    login(client, world["cohort"].people["coordinator"])
    job_id = start_export(client, world["cohort"].id, fmt)
    assert client.get(f"/jobs/{job_id}/status").get_json()["status"] == "queued"
    worker = start_worker(store_app)
    try:
        status = wait_for(client, job_id, lambda s: s["status"] in {"done", "failed"}, worker)
    finally:
        stop(worker)
    assert status["status"] == "done", status
    assert status["progress"] == 100 and status["downloadable"]
    response = download(client, job_id)
    assert response.status_code == 200
    name = world["participants"][0].name
    if fmt == "pdf":
        assert response.data.startswith(b"%PDF")
        assert any(name in text for text, _ in page_texts(response.data))
    elif fmt == "xlsx":
        assert response.data.startswith(b"PK") and response.mimetype.endswith("spreadsheetml.sheet")
    else:
        assert response.data.startswith("\ufeff".encode()) and name.encode() in response.data


@pytest.mark.real_database
def test_a_consumer_killed_mid_job_leaves_no_file_and_the_job_fails_with_a_reason(store_app, world, session):
    from lms.jobs.queue import TaskRun
    from lms.jobs.services import reap, start_job

    coordinator = world["cohort"].people["coordinator"]
    with store_app.app_context():
        from lms import db

        job = start_job(
            db.session, coordinator, "results.export", {"cohort_id": world["cohort"].id, "format": "pdf"}, locale="en"
        )
        job.kind = "test.slow"  # a kind only tests.jobs_app knows: it writes for five seconds
        job.params = {"chunks": 50, "pause": 0.1}
        db.session.commit()
        job_id = job.id
    client = store_app.test_client()
    login(client, coordinator)
    worker = start_worker(store_app)
    try:
        wait_for(client, job_id, lambda s: s["status"] == "running" and s["progress"] >= 20, worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        stop(worker)
    job_dir = os.path.join(store_app.config["UPLOAD_DIR"], "jobs", str(job_id))
    assert not os.path.exists(job_dir) or os.listdir(job_dir) == []  # no result file, not even a short one
    parts = os.listdir(os.path.join(store_app.config["UPLOAD_DIR"], "jobs", "tmp"))
    assert len(parts) == 1 and parts[0].endswith(".part")  # the half-written file is only ever a .part

    session.expire_all()
    assert session.get(Job, job_id).status == JobStatus.RUNNING
    later = utcnow() + timedelta(seconds=store_app.config["JOB_STALE_SECONDS"] + 5)
    with store_app.app_context():
        from lms import db

        reap(TaskRun(db.session(), 0), now=later)
        db.session.commit()
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.status == JobStatus.FAILED and "stopped before it finished" in job.error
    assert job.result_path is None and client.get(f"/jobs/{job_id}/download").status_code == 410
    assert os.listdir(os.path.join(store_app.config["UPLOAD_DIR"], "jobs", "tmp")) == []


@pytest.mark.parametrize(("hour", "utc_hour"), [(7, 0), (8, 1), (0, 17)])
def test_the_digest_goes_out_at_the_hour_the_site_sets_in_its_own_time_zone(app_factory, hour, utc_hour):
    """``LMS_DIGEST_HOUR`` is local time (WIB by default); the consumer's schedule is in UTC."""
    app = app_factory(DIGEST_HOUR=hour)
    task = app.extensions["lms.jobs"].wrappers["notifications.digest"].task_class()
    due = [h for h in range(24) if task.validate_datetime(datetime(2026, 12, 3, h, 0))]
    assert due == [utc_hour]


def test_a_digest_hour_outside_the_day_is_refused():
    with pytest.raises(ConfigError, match="LMS_DIGEST_HOUR"):
        load_config(environ={"LMS_ENV": "testing", "LMS_DIGEST_HOUR": "24"})
