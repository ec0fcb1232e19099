"""Several machines' worth of Tolok on this one: two gunicorn web nodes and two job consumers
(separate processes, separate ports) on PostgreSQL and Redis, behind a real nginx on 127.0.0.1.

nginx listens on three ports: the site (both nodes, the shipped deploy/nginx/tolok_proxy.conf) and
one port per node, so that "log in on node 1, use node 2" goes through nginx as well. Redis is a
redis-server of the test's own on another port, so that stopping it touches nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import FAST_HASH, PASSWORD, PG_URL

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
REDIS_SERVER = shutil.which("redis-server")
LOGIN_LIMIT = 10

pytestmark = [
    pytest.mark.multinode,
    pytest.mark.skipif(not NGINX, reason="nginx is not installed (Debian: nginx; .ci/run installs it)"),
    pytest.mark.skipif(not REDIS_SERVER, reason="redis-server is not installed"),
    pytest.mark.skipif(not PG_URL, reason="needs LMS_TEST_DATABASE_URL (PostgreSQL)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (http.client only)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None, timeout: float = 30):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, data

    def get(self, port: int, path: str, **kw):
        return self.request(port, "GET", path, **kw)

    def csrf(self, port: int, path: str = "/login") -> str:
        status, _headers, body = self.get(port, path)
        assert status == 200, (path, status)
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'name="csrf-token" content="([^"]+)"', body
        )
        assert found, f"no CSRF token on {path}"
        return found.group(1).decode()

    def login(self, port: int, email: str, password: str) -> int:
        token = self.csrf(port)
        status, _h, _b = self.request(
            port, "POST", "/login", {"csrf_token": token, "email": email, "password": password}
        )
        return status


class Cluster:
    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp = tmp
        self.db_url = db_url
        self.procs: dict[str, subprocess.Popen] = {}
        self.redis_port = free_port()
        self.node_ports = [free_port(), free_port()]
        self.site_port, self.node1_via_nginx, self.node2_via_nginx = free_port(), free_port(), free_port()
        self.uploads = tmp / "shared-uploads"
        self.uploads.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            {
                "LMS_ENV": "production",
                "LMS_SECRET_KEY": "multinode-test-secret-the-same-on-every-node",
                "LMS_SECURE_COOKIES": "false",  # plain HTTP on 127.0.0.1
                "LMS_DATABASE_URL": self.db_url,
                "LMS_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "LMS_NODES": "2",
                "LMS_UPLOAD_DIR": str(self.uploads),
                "LMS_UPLOAD_DIR_SHARED": "true",
                "LMS_PROXY_COUNT": "1",
                "LMS_PASSWORD_HASH_METHOD": FAST_HASH,
                "LMS_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
                "LMS_READY_TIMEOUT": "1",
            }
        )
        env.update(extra)
        return env

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc._log = log  # type: ignore[attr-defined]
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        proc._log.close()  # type: ignore[attr-defined]

    def start_redis(self) -> None:
        self.start(
            "redis",
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            os.environ.copy(),
        )
        wait_for(lambda: _tcp_open(self.redis_port), 10, "redis-server listening")

    def start_web(self, index: int) -> None:
        folder = self.tmp / f"metrics-web{index}"
        env = self.env(
            GUNICORN_BIND=f"127.0.0.1:{self.node_ports[index]}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
            PROMETHEUS_MULTIPROC_DIR=str(folder),
        )
        self.start(
            f"web{index}",
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"), "wsgi:app"],
            env,
        )

    def start_worker(self, index: int) -> None:
        folder = self.tmp / f"metrics-web{index}" / "worker"
        folder.mkdir(parents=True, exist_ok=True)
        self.start(
            f"worker{index}",
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker"],
            self.env(PROMETHEUS_MULTIPROC_DIR=str(folder)),
        )

    def start_nginx(self) -> None:
        conf = self.tmp / "nginx"
        (conf / "logs").mkdir(parents=True)
        one, two = self.node_ports
        user = "user root;" if os.geteuid() == 0 else ""
        proxy = ROOT / "deploy/nginx/tolok_proxy.conf"
        (conf / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {conf}/nginx.pid;
error_log {conf}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {conf}/logs/access.log;
    client_body_temp_path {conf}/body;
    proxy_temp_path {conf}/proxy;
    fastcgi_temp_path {conf}/fastcgi;
    uwsgi_temp_path {conf}/uwsgi;
    scgi_temp_path {conf}/scgi;
    client_max_body_size 64m;
    proxy_read_timeout 75s;
    upstream site {{ server 127.0.0.1:{one} max_fails=1 fail_timeout=10s; server 127.0.0.1:{two} max_fails=1 fail_timeout=10s; keepalive 8; }}
    upstream node1 {{ server 127.0.0.1:{one}; }}
    upstream node2 {{ server 127.0.0.1:{two}; }}
    server {{ listen 127.0.0.1:{self.site_port}; location / {{ proxy_pass http://site; include {proxy}; }} }}
    server {{ listen 127.0.0.1:{self.node1_via_nginx}; location / {{ proxy_pass http://node1; include {proxy}; }} }}
    server {{ listen 127.0.0.1:{self.node2_via_nginx}; location / {{ proxy_pass http://node2; include {proxy}; }} }}
}}
""")
        check = subprocess.run(
            [NGINX, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        self.start(
            "nginx", [NGINX, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"], os.environ.copy()
        )
        wait_for(lambda: _tcp_open(self.site_port), 10, "nginx listening")

    def ready(self, port: int) -> tuple[int, dict]:
        status, _h, body = Browser().get(port, "/readyz", timeout=10)
        return status, json.loads(body)

    def logs(self) -> str:
        out = []
        for path in sorted(self.tmp.glob("*.log")) + sorted((self.tmp / "nginx" / "logs").glob("*.log")):
            out.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def _tcp_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from lms import cli
    from lms.app import create_app
    from lms.users.models import User
    from tests.fixtures import app_config

    tmp = tmp_path_factory.mktemp("multinode")
    base = make_url(PG_URL)
    name = f"{base.database}_multinode_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    app = create_app(app_config(url, tmp))
    cli.upgrade(app)
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    from lms import db

    with app.app_context():
        from lms.auth.services import set_password

        users = db.session.query(User).filter(User.email.like("%@%")).order_by(User.id).all()
        for user in users:
            set_password(user, PASSWORD, FAST_HASH)
            user.must_change_password = False
        db.session.commit()
        emails = [u.email for u in users if not u.is_admin]
        from lms.cohorts.models import Cohort

        cohort_id = db.session.query(Cohort.id).order_by(Cohort.id).limit(1).scalar()  # the demo's first angkatan
    app.extensions["lms.db"].dispose()

    c = Cluster(tmp, url)
    c.emails = emails
    c.cohort_id = cohort_id
    try:
        c.start_redis()
        c.start_web(0)
        c.start_web(1)
        c.start_worker(0)
        c.start_worker(1)
        for port in c.node_ports:
            wait_for(lambda port=port: c.ready(port)[0] == 200, 60, f"node on {port} ready")
        c.start_nginx()
        yield c
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.stop_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_login_on_one_node_is_valid_on_the_other(cluster):
    person = Browser()
    assert person.login(cluster.node1_via_nginx, cluster.emails[0], PASSWORD) == 302
    status, _h, body = person.get(cluster.node2_via_nginx, "/")
    assert status == 200, body[:300]
    assert b'action="/logout"' in body  # a logged-in page, not the login form


def test_logout_on_one_node_ends_the_session_on_the_other(cluster):
    person = Browser()
    assert person.login(cluster.node1_via_nginx, cluster.emails[5], PASSWORD) == 302
    assert person.get(cluster.node1_via_nginx, "/")[0] == 200
    kept = dict(person.cookies)  # what a thief (or a forgotten second tab) holds

    token = person.csrf(cluster.node2_via_nginx, "/")
    status, _h, _b = person.request(cluster.node2_via_nginx, "POST", "/logout", {"csrf_token": token})
    assert status in (302, 303)

    replay = Browser()
    replay.cookies = kept
    status, headers, _b = replay.get(cluster.node1_via_nginx, "/")
    assert status == 302 and "/login" in headers["Location"], "the session outlived its logout on the other node"


def _sample(scraped: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines() if line.startswith(prefix))


def test_a_pdf_export_started_on_one_node_runs_on_a_consumer_and_downloads_from_the_other(cluster):
    coordinator = Browser()
    assert coordinator.login(cluster.node1_via_nginx, "penyelenggara@tolok.example", PASSWORD) == 302
    results = f"/cohorts/{cluster.cohort_id}/results"
    token = coordinator.csrf(cluster.node1_via_nginx, results)
    status, headers, _b = coordinator.request(
        cluster.node1_via_nginx, "POST", f"{results}/export", {"csrf_token": token, "format": "pdf"}
    )
    assert status == 303, status
    job_id = int(re.search(r"/jobs/(\d+)", headers["Location"]).group(1))

    def finished():
        state = json.loads(coordinator.get(cluster.node2_via_nginx, f"/jobs/{job_id}/status")[2])
        return state if state["status"] in ("done", "failed") else None

    state = wait_for(finished, 120, "the export job finished", interval=0.5)
    assert state["status"] == "done", state
    status, headers, body = coordinator.get(cluster.node2_via_nginx, f"/jobs/{job_id}/download")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    # One of the two consumers made it; each node's /metrics adds in its own consumer's samples.
    made = [
        _sample(Browser().get(port, "/metrics")[2].decode(), 'lms_exports_total{format="pdf"}')
        for port in cluster.node_ports
    ]
    assert sorted(made) == [0.0, 1.0], made


def test_killing_a_node_mid_run_loses_no_request_nginx_can_retry(cluster):
    person = Browser()
    assert person.login(cluster.site_port, cluster.emails[2], PASSWORD) == 302
    results: list[tuple[str, int]] = []
    stop = threading.Event()

    def load():
        for i in range(400):
            if stop.is_set():
                break
            path = "/" if i % 2 else "/login"
            try:
                status = (person if path == "/" else Browser()).get(cluster.site_port, path, timeout=30)[0]
            except OSError as exc:
                status = repr(exc)
            results.append((path, status))

    runner = threading.Thread(target=load)
    runner.start()
    wait_for(lambda: len(results) >= 30, 60, "first requests through nginx")
    cluster.stop("web1", signal.SIGKILL)  # no goodbye: connections in flight just break
    wait_for(lambda: len(results) >= 130, 120, "requests after the kill")
    stop.set()
    runner.join(timeout=60)
    failed = [r for r in results if r[1] != 200]
    assert not failed, f"{len(failed)} of {len(results)} requests lost: {failed[:5]}"
    # A POST after the kill: nginx finds the dead node refusing and sends it to the live one.
    for _ in range(4):
        assert Browser().login(cluster.site_port, cluster.emails[3], PASSWORD) == 302
    cluster.start_web(1)
    wait_for(lambda: cluster.ready(cluster.node_ports[1])[0] == 200, 60, "node 2 back")


def test_failed_logins_on_both_nodes_are_limited_together(cluster):
    # Earlier tests logged in from the same address (127.0.0.1, as nginx forwards it): start
    # from zero. Redis is the test's own.
    import redis

    redis.Redis(port=cluster.redis_port).flushdb()
    email = cluster.emails[1]
    seen = {cluster.node1_via_nginx: 0, cluster.node2_via_nginx: 0}
    answers = []
    for attempt in range(2 * LOGIN_LIMIT):
        port = cluster.node1_via_nginx if attempt % 2 == 0 else cluster.node2_via_nginx
        status = Browser().login(port, email, "not-the-password")
        answers.append(status)
        if status == 429:
            break
        seen[port] += 1
    assert answers[-1] == 429, answers
    # Each node alone saw fewer failures than the limit: only a shared count can have refused.
    assert max(seen.values()) < LOGIN_LIMIT and sum(seen.values()) <= LOGIN_LIMIT, (answers, seen)


def test_readyz_turns_red_without_redis_and_green_when_it_returns(cluster):
    node = cluster.node_ports[0]
    assert cluster.ready(node)[0] == 200
    cluster.stop("redis")
    started = time.monotonic()
    status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(cluster.ready(node)), 5, "/readyz red")
    assert time.monotonic() - started < 5
    assert body["checks"]["redis"] != "ok" and body["checks"]["database"] == "ok"
    # What needs no Redis goes on: the login page, and a login (limits counted in memory meanwhile).
    assert Browser().get(cluster.site_port, "/login")[0] == 200
    assert Browser().login(cluster.site_port, cluster.emails[4], PASSWORD) == 302

    cluster.start_redis()
    started = time.monotonic()
    wait_for(lambda: cluster.ready(node)[0] == 200, 5, "/readyz green again")
    assert time.monotonic() - started < 5


def test_metrics_of_a_node_through_its_address_only(cluster):
    # Loopback scrape straight to the node: fine. Through nginx from "outside" (X-Forwarded-For is
    # the client nginx saw, 127.0.0.1 here), nginx's own site config returns 404 for /metrics.
    status, _h, body = Browser().get(cluster.node_ports[0], "/metrics")
    assert status == 200 and b'lms_http_requests_total{endpoint="auth.login"' in body
