"""/healthz, /readyz and /metrics: what a load balancer, an orchestrator and Prometheus see."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import text

from lms import cli
from lms.app import create_app
from tests.fixtures import BACKENDS, app_config

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture(params=BACKENDS)
def migrated_url(request, new_database, tmp_path):
    """An empty database brought to heads by the migrations, as `flask db upgrade` does."""
    url = new_database(request.param)
    app = create_app(app_config(url, tmp_path))
    cli.upgrade(app)
    app.extensions["lms.db"].dispose()
    return url


@pytest.fixture
def ready_app(migrated_url, tmp_path):
    built = []

    def make(**extra):
        app = create_app(app_config(migrated_url, tmp_path, **extra))
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["lms.db"].dispose()


def test_healthz_answers_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_green_on_a_migrated_database_with_redis(ready_app):
    response = ready_app(REDIS_URL=REDIS_URL).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "storage": "ok", "redis": "ok", "queue": "ok"},
    }


@pytest.mark.real_database  # the checks run in threads of their own: each needs its own connection
def test_readyz_fails_on_a_database_the_migrations_never_touched(client):
    # The test fixtures build tables from the models without Alembic: no version recorded.
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert "flask db upgrade" in body["checks"]["migrations"]


def test_readyz_fails_when_the_database_is_behind_the_code(ready_app):
    from alembic.script import ScriptDirectory

    app = ready_app()
    script = ScriptDirectory.from_config(cli.alembic_config(app))
    head = next(h for h in script.get_heads() if isinstance(script.get_revision(h).down_revision, str))
    older = script.get_revision(head).down_revision
    with app.extensions["lms.db"].engine.begin() as conn:
        conn.execute(
            text("UPDATE alembic_version SET version_num = :old WHERE version_num = :head"),
            {"old": older, "head": head},
        )
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "fail" and body["checks"]["migrations"].startswith("behind")


def test_readyz_accepts_a_database_ahead_of_the_code(ready_app):
    """Rolling upgrade: migrations run first; nodes still on the old code must stay in the pool."""
    app = ready_app()
    with app.extensions["lms.db"].engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('fffffffffff1')"))
        heads = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
        conn.execute(
            text("DELETE FROM alembic_version WHERE version_num = :h"),
            {"h": next(h for h in heads if h != "fffffffffff1")},
        )
    assert app.test_client().get("/readyz").get_json()["checks"]["migrations"] == "ok"


def test_readyz_fails_when_uploads_cannot_be_written(ready_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    response = ready_app(UPLOAD_DIR=str(blocker / "uploads")).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"].startswith("unavailable")


def test_readyz_answers_quickly_when_redis_hangs(ready_app):
    # A port that accepts connections and never answers: the worst case for a probe.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = ready_app(REDIS_URL=f"redis://127.0.0.1:{port}/0", READY_TIMEOUT=1.0)
        started = time.monotonic()
        response = app.test_client().get("/readyz")
        elapsed = time.monotonic() - started
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] != "ok"
    assert "127.0.0.1" not in json.dumps(body)  # reasons name the failure, not the infrastructure
    assert elapsed < 2.0


def test_readyz_fails_when_redis_refuses(ready_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        body = ready_app(REDIS_URL=f"redis://127.0.0.1:{port}/0").test_client().get("/readyz").get_json()
    assert body["status"] == "fail" and body["checks"]["redis"].startswith("unavailable")


def _scrape(client, **kwargs):
    return client.get("/metrics", **kwargs)


def test_metrics_count_requests_per_endpoint(client):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page")
    response = _scrape(client)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text_ = response.get_data(as_text=True)
    assert 'lms_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text_
    assert 'lms_http_requests_total{endpoint="unmatched",method="GET",status="404"}' in text_
    assert 'lms_http_request_duration_seconds_bucket{endpoint="ops.healthz"' in text_
    assert "/no/such/page" not in text_


def _sample(scraped: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines() if line.startswith(prefix))


def test_metrics_show_jobs_their_outcome_and_exports(app_factory, make_cohort):
    from tests.support import login

    cohort = make_cohort(participants=2)
    before = app_factory().test_client().get("/metrics").get_data(as_text=True)
    app = app_factory(JOBS_IMMEDIATE=True)
    client = app.test_client()
    login(client, cohort.people["coordinator"])
    assert client.post(f"/cohorts/{cohort.id}/results/export", data={"format": "csv"}).status_code == 303
    scraped = client.get("/metrics").get_data(as_text=True)
    done = 'lms_jobs_total{kind="results.export",outcome="done"}'
    assert _sample(scraped, done) == _sample(before, done) + 1
    assert _sample(scraped, 'lms_exports_total{format="csv"}') == _sample(before, 'lms_exports_total{format="csv"}') + 1
    assert 'lms_job_duration_seconds_count{kind="results.export"}' in scraped


def test_metrics_show_the_queue_depth(app_factory, make_cohort):
    from tests.support import login

    cohort = make_cohort()
    client = app_factory().test_client()  # no consumer runs: the job waits in the queue
    login(client, cohort.people["coordinator"])
    client.post(f"/cohorts/{cohort.id}/results/export", data={"format": "pdf"})
    scraped = client.get("/metrics").get_data(as_text=True)
    assert "lms_jobs_queue_up 1.0" in scraped
    assert 'lms_jobs_queue_depth{state="pending"} 1.0' in scraped


def test_metrics_refuse_callers_from_elsewhere(app_factory):
    client = app_factory(METRICS_TOKEN="s3cret-metrics-token").test_client()
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert _scrape(client, environ_base=outside).status_code == 403
    assert _scrape(client, environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert (
        _scrape(client, environ_base=outside, headers={"Authorization": "Basic s3cret-metrics-token"}).status_code
        == 403
    )
    ok = _scrape(client, environ_base=outside, headers={"Authorization": "Bearer s3cret-metrics-token"})
    assert ok.status_code == 200 and b"lms_http_requests_total" in ok.data
    assert _scrape(client, environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_without_a_token_configured_refuse_any_bearer(app_factory):
    client = app_factory(METRICS_TOKEN="").test_client()
    assert (
        _scrape(client, environ_base={"REMOTE_ADDR": "203.0.113.7"}, headers={"Authorization": "Bearer "}).status_code
        == 403
    )


def test_metrics_behind_a_proxy_judge_the_forwarded_client(app_factory):
    """Behind nginx the peer is always 127.0.0.1: a visitor from outside must not count as loopback."""
    client = app_factory(PROXY_COUNT=1).test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert _scrape(client, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert _scrape(client, environ_base=proxy, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    # Someone reaching gunicorn's port directly cannot claim to be loopback.
    direct = {"REMOTE_ADDR": "198.51.100.9"}
    assert _scrape(client, environ_base=direct, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_metrics_add_up_across_worker_processes(tmp_path):
    """gunicorn's workers are processes: with PROMETHEUS_MULTIPROC_DIR one scrape sees them all."""
    folder = tmp_path / "prom"
    folder.mkdir()
    env = dict(
        os.environ,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        LMS_ENV="testing",
        LMS_DATABASE_URL=f"sqlite:///{tmp_path / 'mp.sqlite3'}",
        LMS_UPLOAD_DIR=str(tmp_path / "up"),
    )
    worker = textwrap.dedent("""
        import sys
        from lms.app import create_app
        client = create_app().test_client()
        for _ in range(int(sys.argv[1])):
            assert client.get("/healthz").status_code == 200
        if len(sys.argv) > 2:
            print(client.get("/metrics").get_data(as_text=True))
    """)
    # Two web workers, and a process of the consumer, which keeps its files in a subfolder.
    (folder / "worker").mkdir()
    for count, where in (("3", folder), ("4", folder), ("2", folder / "worker")):
        subprocess.run(
            [sys.executable, "-c", worker, count],
            env=dict(env, PROMETHEUS_MULTIPROC_DIR=str(where)),
            check=True,
            timeout=120,
        )
    scraped = subprocess.run(
        [sys.executable, "-c", worker, "0", "scrape"], env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    line = next(x for x in scraped.splitlines() if x.startswith('lms_http_requests_total{endpoint="ops.healthz"'))
    assert float(line.rsplit(" ", 1)[1]) == 9.0


def test_check_refuses_several_nodes_on_per_process_stores(app_factory):
    app = app_factory(NODES=3)
    result = app.test_cli_runner().invoke(args=["lms", "check", "--config-only"])
    assert result.exit_code == 1
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert "LMS_DATABASE_URL" in result.output
    for setting in ("LMS_REDIS_URL", "LMS_UPLOAD_DIR_SHARED"):
        assert setting in result.output
    assert "must not serve" in result.output


def test_check_accepts_several_nodes_on_shared_stores():
    from lms.config import load, multinode_problems

    shared = load(
        {
            "ENV": "testing",
            "NODES": 2,
            "DATABASE_URL": "postgresql+psycopg://db/lms",
            "REDIS_URL": REDIS_URL,
            "UPLOAD_DIR_SHARED": True,
        }
    )
    assert multinode_problems(shared) == []
    memory_limits = dict(shared, RATELIMIT_STORAGE_URI="memory://")
    assert any("LMS_RATELIMIT_STORAGE_URI" in p for p in multinode_problems(memory_limits))
    assert multinode_problems(dict(shared, NODES=1, REDIS_URL="", DATABASE_URL="")) == []


def test_check_passes_a_ready_node(ready_app):
    green = ready_app(REDIS_URL=REDIS_URL).test_cli_runner().invoke(args=["lms", "check"])
    assert green.exit_code == 0, green.output
    assert "single node" in green.output


def test_check_refuses_a_node_that_is_not_ready(app):
    # The fixtures' database has tables but no recorded migrations.
    red = app.test_cli_runner().invoke(args=["lms", "check"])
    assert red.exit_code == 1 and "migrations:" in red.output


@pytest.fixture
def redis_db():
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def _fail_login(client, email):
    return client.post("/login", data={"email": email, "password": "wrong-password"}).status_code


def test_login_limits_are_shared_between_nodes_through_redis(app_factory, redis_db, make_user):
    user = make_user()
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "4 per minute", "REDIS_URL": REDIS_URL}
    node1, node2 = app_factory(**settings).test_client(), app_factory(**settings).test_client()
    answers = [_fail_login(node, user.email) for node in (node1, node2, node1, node2, node1, node2)]
    assert answers == [200, 200, 200, 200, 429, 429]
    assert redis_db.dbsize() > 0


def test_logins_go_on_while_the_limit_store_is_down(app_factory, make_user):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
        user = make_user()
        client = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", REDIS_URL=dead).test_client()
        answers = [_fail_login(client, user.email) for _ in range(5)]
    # Counted in memory meanwhile: still limited, never a 500.
    assert answers == [200, 200, 200, 429, 429]


def test_gunicorn_refuses_to_start_a_node_of_several_on_per_process_stores(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        LMS_ENV="testing",
        LMS_NODES="2",
        LMS_DATABASE_URL=f"sqlite:///{tmp_path / 'n.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(root / "deploy/gunicorn.conf.py"), "wsgi:app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        "refusing to start" in result.stderr
        and "LMS_DATABASE_URL" in result.stderr
        and "LMS_REDIS_URL" in result.stderr
    )


class Forwarder:
    """A TCP relay in front of PostgreSQL that the test can cut and restore ("the database stops")."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.close()

        def accept() -> None:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                if self.listener is not listener:  # stopped while this connection was being accepted
                    client.close()
                    return
                server = socket.create_connection(self.target)
                self.sockets += [client, server]
                threading.Thread(target=pump, args=(client, server), daemon=True).start()
                threading.Thread(target=pump, args=(server, client), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            listener, self.listener = self.listener, None
            # close() alone does not wake a thread blocked in accept() on Linux: the old socket
            # would go on accepting ("the database is back" too early); shutdown() wakes it.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
                s.close()
        self.sockets = []


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs LMS_TEST_DATABASE_URL (PostgreSQL)")
def test_readyz_red_within_seconds_when_postgresql_stops_and_green_when_it_returns(new_database, tmp_path):
    from sqlalchemy.engine import make_url

    url = make_url(new_database("postgresql"))
    direct = create_app(app_config(url.render_as_string(hide_password=False), tmp_path))
    cli.upgrade(direct)
    direct.extensions["lms.db"].dispose()
    relay = Forwarder((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    app = create_app(
        app_config(
            url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False),
            tmp_path,
            READY_TIMEOUT=1.0,
        )
    )
    client = app.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        relay.stop()
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503 and time.monotonic() - started < 5
        checks = response.get_json()["checks"]
        assert checks["database"] != "ok" and checks["storage"] == "ok"
        # What needs no database still answers.
        assert client.get("/healthz").status_code == 200
        assert client.get("/login").status_code == 200
        relay.start()
        started = time.monotonic()
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() - started < 5, "not green again within 5 s"
            time.sleep(0.2)
    finally:
        relay.stop()
        app.extensions["lms.db"].dispose()
