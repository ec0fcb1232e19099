"""The files in deploy/ are what nginx and systemd accept, and agree with the app's settings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lms.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/b; proxy_temp_path {tmp_path}/p; fastcgi_temp_path {tmp_path}/f;
    uwsgi_temp_path {tmp_path}/u; scgi_temp_path {tmp_path}/s;
    {site}
}}
""")
    return subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)


def _local(text: str) -> str:
    """The site with its include pointing into the repository and its ports on loopback."""
    text = text.replace("/etc/nginx/tolok_proxy.conf", str(DEPLOY / "nginx/tolok_proxy.conf"))
    text = re.sub(r"listen \[::\]:\d+[^;]*;", "", text)
    text = re.sub(
        r"listen (\d+)( ssl http2)?;",
        lambda m: f"listen 127.0.0.1:{18000 + int(m.group(1)) % 1000}{m.group(2) or ''};",
        text,
    )
    return text.replace("web1:8000", "127.0.0.1:18001").replace("web2:8000", "127.0.0.1:18002")


@pytest.mark.skipif(not NGINX or not shutil.which("openssl"), reason="needs nginx and openssl")
def test_the_nginx_sites_are_accepted_by_debians_nginx(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=lms.example.go.id",
        ],
        check=True,
        capture_output=True,
    )
    site = _local((DEPLOY / "nginx/tolok.conf").read_text())
    site = site.replace("/etc/letsencrypt/live/lms.example.go.id/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/lms.example.go.id/privkey.pem", str(key))
    result = _nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
    compose = _nginx_test(tmp_path, _local((DEPLOY / "nginx/compose.conf").read_text()))
    assert compose.returncode == 0, compose.stderr


def test_nginx_takes_the_uploads_the_app_takes():
    limit_mb = DEFAULTS["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    for name in ("tolok.conf", "compose.conf"):
        assert f"client_max_body_size {limit_mb}m;" in (DEPLOY / "nginx" / name).read_text(), name


def test_nginx_never_retries_a_request_a_node_may_have_handled():
    proxy = (DEPLOY / "nginx/tolok_proxy.conf").read_text()
    retry = next(line for line in proxy.splitlines() if line.startswith("proxy_next_upstream "))
    assert "error" in retry and "non_idempotent" not in retry


def test_systemd_units_start_checked_and_run_the_shipped_commands():
    for unit, command, metrics in (
        ("tolok-web.service", "gunicorn -c deploy/gunicorn.conf.py wsgi:app", "/run/tolok/metrics"),
        ("tolok-worker.service", "flask --app wsgi lms worker", "/run/tolok/metrics/worker"),
    ):
        lines = (DEPLOY / "systemd" / unit).read_text().splitlines()
        settings = [line.split("=", 1) for line in lines if "=" in line and not line.startswith("#")]
        values = {}
        for key, value in settings:
            values.setdefault(key, []).append(value)
        assert any(command in v for v in values["ExecStart"]), unit
        assert any("lms check" in v for v in values["ExecStartPre"]), unit
        assert values["EnvironmentFile"] == ["/etc/tolok/tolok.env"], unit
        assert f"PROMETHEUS_MULTIPROC_DIR={metrics}" in values["Environment"], unit
